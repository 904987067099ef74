package bench

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	ar "github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncLog) Write(p []byte) (int, error) { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Write(p) }
func (b *syncLog) String() string              { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// TestChiWrapper_EmptyCopyThenFailureIsRedirected: beneath chi's
// WrapResponseWriter (chi's Logger and friends), whose ReadFrom sends the
// header before it copies, an empty copy followed by a failure still gets
// the contract's redirect, once, and the observer is told what the client
// got. It lives here because this module already depends on chi.
func TestChiWrapper_EmptyCopyThenFailureIsRedirected(t *testing.T) {
	var mu sync.Mutex
	var outcomes []ar.Outcome
	rc, err := ar.New(ar.Config{
		Render: render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"},
		Observer: func(ev ar.Event) {
			mu.Lock()
			outcomes = append(outcomes, ev.Outcome)
			mu.Unlock()
		},
	})
	require.NoError(t, err)
	chiWrap := func(next http.Handler) http.Handler { // what chi's Logger does to the writer
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(chimw.NewWrapResponseWriter(w, r.ProtoMajor), r)
		})
	}
	srv := httptest.NewUnstartedServer(chiWrap(rc.Authorization(ar.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		if _, err := io.Copy(w, struct{ io.Reader }{strings.NewReader("")}); err != nil {
			return err
		}
		return codes.InvalidScope
	}))))
	var logs syncLog
	srv.Config.ErrorLog = log.New(&logs, "", 0)
	srv.Start()
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Get(srv.URL + "/x")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=invalid_scope", res.Header.Get("Location"))
	assert.NotContains(t, logs.String(), "superfluous")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []ar.Outcome{ar.Redirected}, outcomes)
}
