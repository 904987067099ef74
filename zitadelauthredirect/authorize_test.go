package zitadelauthredirect_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

const ooops = "/ooops?oauth_exception="

// TestAuthorize_Table produces every row of the README's authorization
// endpoint table with the real library over real HTTP (RFC 6749 4.1.2.1).
func TestAuthorize_Table(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	tests := []struct {
		name     string
		method   string
		query    string
		want     *codes.Error
		location string
	}{
		{"unknown client", "GET", authorizeQuery(map[string]string{"client_id": "nope"}),
			codes.UnauthorizedClient.With(codes.ClientIDNotFound), ooops + "unauthorized_client&exception_details=client_id_not_found"},
		{"no client_id", "GET", authorizeQuery(map[string]string{"client_id": ""}),
			codes.UnauthorizedClient.Err(), ooops + "unauthorized_client"},
		{"no redirect_uri", "GET", authorizeQuery(map[string]string{"redirect_uri": ""}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"unregistered redirect_uri", "GET", authorizeQuery(map[string]string{"redirect_uri": "https://evil.example/cb"}),
			codes.UnauthorizedClient.With(codes.InvalidRedirectURI), ooops + "unauthorized_client&exception_details=invalid_redirect_uri"},
		{"client without redirect URI", "GET", authorizeQuery(map[string]string{"client_id": "unconfigured"}),
			codes.UnauthorizedClient.With(codes.RedirectURINotSet), ooops + "unauthorized_client&exception_details=redirect_uri_not_set"},
		{"repeated parameter", "GET", authorizeQuery(nil) + "&client_id=demo",
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"malformed query", "GET", authorizeQuery(nil) + "&x=%zz",
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"wrong method", "PUT", authorizeQuery(nil),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"a value op's decoder refuses", "GET", authorizeQuery(map[string]string{"max_age": "soon"}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"response_type op does not support", "GET", authorizeQuery(map[string]string{"response_type": "token"}),
			codes.UnsupportedResponseType.Err(), ooops + "unsupported_response_type"},
		{"unknown response_type", "GET", authorizeQuery(map[string]string{"response_type": "magic"}),
			codes.UnsupportedResponseType.Err(), ooops + "unsupported_response_type"},
		{"no response_type", "GET", authorizeQuery(map[string]string{"response_type": ""}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"response_type not registered for the client", "GET",
			authorizeQuery(map[string]string{"client_id": "native", "redirect_uri": nativeRedirect, "response_type": "id_token"}),
			codes.UnauthorizedClient.Err(), ooops + "unauthorized_client"},
		{"unknown scope", "GET", authorizeQuery(map[string]string{"scope": "openid admin"}),
			codes.InvalidScope.Err(), ooops + "invalid_scope"},
		{"no scope", "GET", authorizeQuery(map[string]string{"scope": ""}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"prompt none with another", "GET", authorizeQuery(map[string]string{"prompt": "none login"}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"unsupported code_challenge_method", "GET", authorizeQuery(map[string]string{"code_challenge": "abc", "code_challenge_method": "S512"}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"request object (request_not_supported)", "GET", authorizeQuery(map[string]string{"request": "eyJhbGciOiJub25lIn0.e30."}),
			codes.InvalidRequest.Err(), ooops + "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.do(tt.method, "/oauth/authorize?"+tt.query, nil)
			assertRedirect(t, res, body, tt.want, tt.location)
		})
	}
}

// TestAuthorize_RequestObject: a provider that reads request objects
// refuses one that is not a JWT as op does, with invalid_request.
func TestAuthorize_RequestObject(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{}, func(c *op.Config) { c.RequestObjectSupported = true })
	for _, object := range []string{"not-a-jwt", "a.%%%.c"} {
		res, body := e.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(map[string]string{"request": object}), nil)
		assertRedirect(t, res, body, codes.InvalidRequest.Err(), ooops+"invalid_request")
	}
}

// TestAuthorize_POST reads a form body as op does (OpenID Connect Core
// 3.1.2.1), and a parameter in both query and body is repeated.
func TestAuthorize_POST(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	form, _ := url.ParseQuery(authorizeQuery(map[string]string{"client_id": "nope"}))
	res, body := e.do(http.MethodPost, "/oauth/authorize", form)
	assertRedirect(t, res, body, codes.UnauthorizedClient.With(codes.ClientIDNotFound), ooops+"unauthorized_client&exception_details=client_id_not_found")

	form, _ = url.ParseQuery(authorizeQuery(nil))
	res, body = e.do(http.MethodPost, "/oauth/authorize?client_id=demo", form)
	assertRedirect(t, res, body, codes.InvalidRequest.Err(), ooops+"invalid_request")
}

// TestAuthorize_LibraryFailures: a failing Storage and a panicking one are
// server_error, and nothing of the cause reaches the client.
func TestAuthorize_LibraryFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(*faults)
	}{
		{"client lookup fails", func(f *faults) { f.clientDown.Store(true) }},
		{"client lookup panics", func(f *faults) { f.clientPanics.Store(true) }},
		{"storing the request fails", func(f *faults) { f.createDown.Store(true) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, zitadelauthredirect.Config{})
			tt.fault(e.f)
			res, body := e.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
			assertRedirect(t, res, body, codes.ServerError.Err(), ooops+"server_error")
		})
	}
}

// TestAuthorize_Success: a valid request goes to the client's login URL
// exactly as op.Authorize sends it (302), untouched by the adapter.
func TestAuthorize_Success(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	res, body := e.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/", loc.Path)
	assert.NotEmpty(t, loc.Query().Get("authRequestID"))
	assert.Contains(t, body, "Found")
}

// TestAuthorize_DropUnknownScopes keeps op's own policy when asked: the
// unknown scope is removed and the request goes on.
func TestAuthorize_DropUnknownScopes(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{DropUnknownScopes: true})
	id := e.login(authorizeQuery(map[string]string{"scope": "openid admin"}))
	authReq, err := e.store.AuthRequestByID(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, []string{"openid"}, authReq.GetScopes())
}

// TestAuthorize_PromptAnswers: OpenID Connect's answers to a request that
// needs the user go to the validated redirect_uri with the state (OpenID
// Connect Core 3.1.2.6), or to the error page when configured so.
func TestAuthorize_PromptAnswers(t *testing.T) {
	hint := authorizeQuery(map[string]string{"id_token_hint": "not-a-token"})
	t.Run("to the client", func(t *testing.T) {
		e := newEnv(t, zitadelauthredirect.Config{})
		res, body := e.do(http.MethodGet, "/oauth/authorize?"+hint, nil)
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, app.RedirectURI+"?error=login_required&state=st-1", res.Header.Get("Location"))
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
		assert.Empty(t, body)
	})
	t.Run("to the error page", func(t *testing.T) {
		e := newEnv(t, zitadelauthredirect.Config{PromptErrorsToErrorPage: true})
		res, body := e.do(http.MethodGet, "/oauth/authorize?"+hint, nil)
		assertRedirect(t, res, body, codes.AccessDenied.Err(), ooops+"access_denied")
	})
}

// TestNew_RequiresProvider: invalid configuration is an error at
// construction.
func TestNew_RequiresProvider(t *testing.T) {
	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{})
	assert.Nil(t, a)
	assert.ErrorIs(t, err, zitadelauthredirect.ErrConfig)
}

// TestBoundedInput: a multipart body and a body over
// middleware.DefaultMaxFormBytes are invalid_request at every endpoint of
// the adapter, refused before anything parses them (no temporary file is
// written), and a parameter repeated in the body too.
func TestBoundedInput(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	multipartBody := "--b\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\ndemo\r\n--b--\r\n"
	for _, path := range []string{"/oauth/authorize", "/oauth/authorize/callback", "/oauth/token"} {
		for _, tt := range []struct {
			name, contentType, body string
		}{
			{"multipart", "multipart/form-data; boundary=b", multipartBody},
			{"multipart, other case", " Multipart/Mixed; boundary=b", multipartBody},
			{"too large", "application/x-www-form-urlencoded", "grant_type=authorization_code&x=" + strings.Repeat("a", middleware.DefaultMaxFormBytes)},
			{"repeated in the body", "application/x-www-form-urlencoded", "grant_type=authorization_code&client_id=demo&client_id=demo"},
		} {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(tt.body))
				require.NoError(t, err)
				req.Header.Set("Content-Type", tt.contentType)
				res, err := e.http.Do(req)
				require.NoError(t, err)
				body, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				res.Body.Close()
				if path == "/oauth/token" {
					e.assertJSON(t, res, string(body), codes.InvalidRequest.Err())
					return
				}
				assertRedirect(t, res, string(body), codes.InvalidRequest.Err(), ooops+"invalid_request")
			})
		}
	}
}
