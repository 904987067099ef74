package fositeauthredirect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
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
		require.NotPanics(t, func() { got = a.AuthorizeError(context.Background(), httptest.NewRecorder(), fosite.NewAuthorizeRequest(), e) })
		ce, ok := codes.As(got)
		require.True(t, ok)
		assert.Equal(t, codes.ServerError, ce.Code())
		require.NotPanics(t, func() { got = a.AccessError(context.Background(), r, nil, e) })
		ce, ok = codes.As(got)
		require.True(t, ok)
		assert.Equal(t, codes.ServerError, ce.Code())
	}
}
