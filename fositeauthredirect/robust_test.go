package fositeauthredirect_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// TestErrors_TypedNilIsServerError: a nil *fosite.RFC6749Error returned as
// an error (the classic Go mistake), bare or wrapped, is server_error and
// never a panic: fosite's Unwrap is a value method, which a nil pointer
// cannot call.
func TestErrors_TypedNilIsServerError(t *testing.T) {
	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: newProvider(newStore(t))})
	require.NoError(t, err)
	var typedNil *fosite.RFC6749Error
	for _, e := range []error{typedNil, fmt.Errorf("wrapped: %w", typedNil), errors.Join(errors.New("x"), typedNil),
		fosite.ErrInvalidClient.WithWrap(typedNil)} {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
		var got error
		require.NotPanics(t, func() {
			got = a.AuthorizeError(context.Background(), httptest.NewRecorder(), fosite.NewAuthorizeRequest(), e)
		})
		ce, ok := codes.As(got)
		require.True(t, ok)
		assert.Equal(t, codes.ServerError, ce.Code())
		require.NotPanics(t, func() { got = a.AccessError(context.Background(), r, nil, e) })
		ce, ok = codes.As(got)
		require.True(t, ok)
		assert.Equal(t, codes.ServerError, ce.Code())
	}
}

// loopingError's Unwrap returns itself: errors.As and errors.Is would walk
// it forever.
type loopingError struct{}

func (e *loopingError) Error() string { return "loops" }
func (e *loopingError) Unwrap() error { return e }

// TestErrors_EndlessChainIsServerError: an error whose Unwrap chain never
// ends, bare or inside fosite's, is server_error, and the adapter returns.
func TestErrors_EndlessChainIsServerError(t *testing.T) {
	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: newProvider(newStore(t))})
	require.NoError(t, err)
	for _, e := range []error{&loopingError{}, fosite.ErrInvalidClient.WithWrap(&loopingError{})} {
		done := make(chan [2]error, 1)
		go func() {
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
			done <- [2]error{a.AuthorizeError(context.Background(), httptest.NewRecorder(), fosite.NewAuthorizeRequest(), e), a.AccessError(context.Background(), r, nil, e)}
		}()
		select {
		case got := <-done:
			for _, g := range got {
				ce, ok := codes.As(g)
				require.True(t, ok)
				assert.Equal(t, codes.ServerError, ce.Code())
			}
		case <-time.After(10 * time.Second): // a generous guard, not a measure
			t.Fatal("the adapter never returned: an endless walk")
		}
	}
}

// TestLogs_CarryFositesHintAndDebug: the default observer's log names
// fosite's hint and debug text, for the operator; the client never sees
// them (every row test checks the wire).
func TestLogs_CarryFositesHintAndDebug(t *testing.T) {
	var logs strings.Builder
	provider := newProvider(newStore(t))
	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: provider})
	require.NoError(t, err)
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
		Observer: middleware.LogObserver(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	})
	require.NoError(t, err)
	h := rc.Authorization(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		ar, err := provider.NewAuthorizeRequest(r.Context(), r)
		require.Error(t, err)
		return a.AuthorizeError(r.Context(), w, ar, err)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+authorizeQuery("client_id", "nope"), nil))
	assert.Equal(t, "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", w.Header().Get("Location"))
	assert.Contains(t, logs.String(), "The requested OAuth 2.0 Client does not exist.")
	assert.Contains(t, logs.String(), "not_found")
	assert.NotContains(t, w.Body.String()+w.Header().Get("Location"), "exist")
}
