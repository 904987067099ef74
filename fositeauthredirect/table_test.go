package fositeauthredirect_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
)

// fositeErrors are every error value fosite v0.49 exports, each with the
// contract code README's table gives it on the authorize endpoint (sent to
// the error page) and on the token endpoint (JSON).
var fositeErrors = []struct {
	value            *fosite.RFC6749Error
	authorize, token codes.Code
}{
	{fosite.ErrInvalidRequest, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrUnauthorizedClient, codes.UnauthorizedClient, codes.UnauthorizedClient},
	{fosite.ErrAccessDenied, codes.AccessDenied, codes.AccessDenied},
	{fosite.ErrUnsupportedResponseType, codes.UnsupportedResponseType, codes.UnsupportedResponseType},
	{fosite.ErrUnsupportedResponseMode, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrInvalidScope, codes.InvalidScope, codes.InvalidScope},
	{fosite.ErrServerError, codes.ServerError, codes.ServerError},
	{fosite.ErrTemporarilyUnavailable, codes.TemporarilyUnavailable, codes.TemporarilyUnavailable},
	{fosite.ErrUnsupportedGrantType, codes.UnsupportedGrantType, codes.UnsupportedGrantType},
	{fosite.ErrInvalidGrant, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrInvalidClient, codes.UnauthorizedClient, codes.InvalidClient},
	{fosite.ErrInvalidState, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrMisconfiguration, codes.ServerError, codes.ServerError},
	{fosite.ErrInsufficientEntropy, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrNotFound, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrRequestUnauthorized, codes.UnauthorizedClient, codes.InvalidClient},
	{fosite.ErrTokenSignatureMismatch, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrInvalidTokenFormat, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrTokenExpired, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrScopeNotGranted, codes.AccessDenied, codes.AccessDenied},
	{fosite.ErrTokenClaim, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrInactiveToken, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrLoginRequired, codes.AccessDenied, codes.AccessDenied},
	{fosite.ErrInteractionRequired, codes.AccessDenied, codes.AccessDenied},
	{fosite.ErrConsentRequired, codes.MissingGrant, codes.MissingGrant},
	{fosite.ErrRequestNotSupported, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrRequestURINotSupported, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrRegistrationNotSupported, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrInvalidRequestURI, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrInvalidRequestObject, codes.InvalidRequest, codes.InvalidRequest},
	{fosite.ErrJTIKnown, codes.UnauthorizedClient, codes.InvalidGrant},
	{fosite.ErrSerializationFailure, codes.ServerError, codes.ServerError},
	{fosite.ErrUnknownRequest, codes.ServerError, codes.ServerError},
	{fosite.ErrRequestForbidden, codes.AccessDenied, codes.AccessDenied},
}

// TestTable_EveryFositeErrorValue: each error value fosite exports, given
// by the application between fosite's parsing and its response with a
// hint and debug text, is answered by its row on both endpoints of a real
// server, and none of fosite's text reaches the client. (The OpenID Connect
// answers go to the error page here because the server is configured so;
// TestAuthorize_PromptNoneAnswersGoToTheClient has the default.)
func TestTable_EveryFositeErrorValue(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{PromptErrorsToErrorPage: true})
	client := noFollow(srv.Server)
	for i, tc := range fositeErrors {
		t.Run(tc.value.ErrorField+"/"+strconv.Itoa(tc.value.CodeField), func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/oauth/authorize?"+authorizeQuery(), nil)
			require.NoError(t, err)
			req.Header.Set("X-Fosite-Error", strconv.Itoa(i))
			res, err := client.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			checkContractRedirect(t, res, tc.authorize.Err())

			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: roundTripper(
				func(r *http.Request) (*http.Response, error) {
					r = r.Clone(r.Context())
					r.Header.Set("X-Fosite-Error", strconv.Itoa(i))
					return srv.Client().Transport.RoundTrip(r)
				})})
			_, err = oauthConfig(srv, "demo", demoSecret).Exchange(ctx, authorizationCode(t, srv, "demo", "openid"))
			var re *oauth2.RetrieveError
			require.True(t, errors.As(err, &re), "a token error: %v", err)
			assert.Equal(t, tc.token.HTTPStatus(), re.Response.StatusCode)
			assert.Equal(t, tc.token.Name(), re.ErrorCode)
			assert.JSONEq(t, `{"error":"`+tc.token.Name()+`","error_description":"`+tc.token.Description()+`"}`, string(re.Body))
			checkNoLeak(t, string(re.Body))
		})
	}
}
