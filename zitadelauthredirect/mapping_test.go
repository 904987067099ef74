package zitadelauthredirect_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/zitadelauthredirect"
)

// TestMap_Table checks the README's mapping table row by row, for every
// error name of the library (its oidc constants and constructors) and the
// RFC 6749 and OpenID Connect names a Storage or login UI can hand it.
func TestMap_Table(t *testing.T) {
	for _, tt := range []struct {
		err  *oidc.Error
		want codes.Code
	}{
		{oidc.ErrInvalidRequest(), codes.InvalidRequest},
		{oidc.ErrInvalidRequestRedirectURI(), codes.InvalidRequest},
		{&oidc.Error{ErrorType: "unsupported_response_type"}, codes.UnsupportedResponseType},
		{oidc.ErrInvalidScope(), codes.InvalidScope},
		{oidc.ErrInvalidClient(), codes.InvalidClient},
		{oidc.ErrInvalidGrant(), codes.InvalidGrant},
		{oidc.ErrUnauthorizedClient(), codes.UnauthorizedClient},
		{oidc.ErrUnsupportedGrantType(), codes.UnsupportedGrantType},
		{oidc.ErrServerError(), codes.ServerError},
		{&oidc.Error{ErrorType: "temporarily_unavailable"}, codes.TemporarilyUnavailable},
		{oidc.ErrAccessDenied(), codes.AccessDenied},
		{oidc.ErrLoginRequired(), codes.AccessDenied},
		{oidc.ErrInteractionRequired(), codes.AccessDenied},
		{&oidc.Error{ErrorType: "account_selection_required"}, codes.AccessDenied},
		{&oidc.Error{ErrorType: "consent_required"}, codes.MissingGrant},
		{oidc.ErrRequestNotSupported(), codes.InvalidRequest},
		{&oidc.Error{ErrorType: "request_uri_not_supported"}, codes.InvalidRequest},
		{&oidc.Error{ErrorType: "registration_not_supported"}, codes.InvalidRequest},
		{&oidc.Error{ErrorType: "invalid_request_uri"}, codes.InvalidRequest},
		{&oidc.Error{ErrorType: "invalid_request_object"}, codes.InvalidRequest},
		{oidc.ErrInvalidTarget(), codes.InvalidRequest},
		{oidc.ErrAuthorizationPending(), codes.InvalidGrant},
		{oidc.ErrSlowDown(), codes.InvalidGrant},
		{oidc.ErrExpiredDeviceCode(), codes.InvalidGrant},
		{&oidc.Error{ErrorType: "no_such_name"}, codes.ServerError},
		{&oidc.Error{}, codes.ServerError},
	} {
		t.Run(string(tt.err.ErrorType), func(t *testing.T) {
			got := zitadelauthredirect.Map(fmt.Errorf("wrapped: %w", tt.err))
			assert.Equal(t, tt.want, got.Code())
			assert.Equal(t, codes.Detail{}, got.Detail())
			assert.ErrorIs(t, got, tt.err, "the library's error is kept as the cause")
		})
	}
}

// TestMap_LibrarySentinels: errors op returns without an *oidc.Error are
// named as op names them (oidc.DefaultToServerError).
func TestMap_LibrarySentinels(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("%w: token contains an invalid number of segments", oidc.ErrParse), codes.InvalidRequest},
		{oidc.ErrExpired, codes.InvalidGrant},
		{fmt.Errorf("verify: %w", oidc.ErrSignatureInvalid), codes.InvalidGrant},
		{oidc.ErrNonceInvalid, codes.InvalidGrant},
		{oidc.ErrDiscoveryFailed, codes.ServerError},
	} {
		t.Run(tt.err.Error(), func(t *testing.T) {
			assert.Equal(t, tt.want, zitadelauthredirect.Map(tt.err).Code())
		})
	}
}

// TestMap_NeverReadsText: the description decides nothing, and a
// server_error anywhere in the chain wins over the outer type.
func TestMap_NeverReadsText(t *testing.T) {
	lying := oidc.ErrInvalidScope().WithDescription("server_error unauthorized_client invalid_grant")
	assert.Equal(t, codes.InvalidScope, zitadelauthredirect.Map(lying).Code())

	wrapped := oidc.ErrInvalidGrant().WithParent(oidc.ErrServerError().WithParent(errors.New("db down")))
	assert.Equal(t, codes.ServerError, zitadelauthredirect.Map(wrapped).Code())

	assert.Equal(t, codes.ServerError, zitadelauthredirect.Map(errors.New("invalid_grant")).Code())
	assert.Equal(t, codes.ServerError, zitadelauthredirect.Map(nil).Code())
	var nilErr *oidc.Error
	assert.Equal(t, codes.ServerError, zitadelauthredirect.Map(nilErr).Code())
}

// loopingError's Unwrap returns itself: errors.As and errors.Is would walk
// it forever.
type loopingError struct{}

func (e *loopingError) Error() string { return "loops" }
func (e *loopingError) Unwrap() error { return e }

// TestMap_EndlessChainIsServerError: an error whose Unwrap chain never
// ends, bare or as an *oidc.Error's parent, is server_error, and Map
// returns.
func TestMap_EndlessChainIsServerError(t *testing.T) {
	for _, err := range []error{&loopingError{}, oidc.ErrInvalidRequest().WithParent(&loopingError{})} {
		done := make(chan *codes.Error, 1)
		go func() { done <- zitadelauthredirect.Map(err) }()
		select {
		case got := <-done:
			assert.Equal(t, codes.ServerError, got.Code())
		case <-time.After(10 * time.Second): // a generous guard, not a measure
			t.Fatal("Map never returned: an endless walk")
		}
	}
}
