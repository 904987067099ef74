package fositeauthredirect_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
)

// oauthConfig is client id's golang.org/x/oauth2 configuration for srv,
// authenticating with HTTP Basic as RFC 6749 §2.3.1 recommends.
func oauthConfig(srv *testServer, id, secret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: id, ClientSecret: secret, RedirectURL: demoRedirect,
		Scopes: []string{"openid", "offline"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/oauth/authorize", TokenURL: srv.URL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader},
	}
}

// rowContext is a context whose token requests carry the row's name and
// the application's decision as headers.
func rowContext(srv *testServer, row, decision string) context.Context {
	base := srv.Client().Transport
	c := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Row", row)
		r.Header.Set("X-Decision", decision)
		return base.RoundTrip(r)
	})}
	return context.WithValue(context.Background(), oauth2.HTTPClient, c)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// authorizationCode runs the authorization request of client id and
// returns the code fosite issued.
func authorizationCode(t *testing.T, srv *testServer, id, scope string) string {
	t.Helper()
	res, err := noFollow(srv.Server).Get(srv.URL + "/oauth/authorize?" + authorizeQuery("client_id", id, "scope", scope))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	code := loc.Query().Get("code")
	require.NotEmpty(t, code, "Location %s", loc)
	return code
}

// tokenRow is one row of README's token table.
type tokenRow struct {
	row  string
	name string // the RFC6749Error.ErrorField of the cause; "" when there is none
	want *codes.Error
	// do makes the request, with golang.org/x/oauth2 where it can send it.
	do func(t *testing.T, srv *testServer, ctx context.Context) error
}

// post sends form to the token endpoint as client demo, as a client that
// golang.org/x/oauth2 cannot be made to be would.
func post(method string, form url.Values) func(*testing.T, *testServer, context.Context) error {
	return postRaw(method, form.Encode())
}

func postRaw(method, body string) func(*testing.T, *testServer, context.Context) error {
	return func(t *testing.T, srv *testServer, ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+"/oauth/token", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("demo", demoSecret)
		res, err := ctx.Value(oauth2.HTTPClient).(*http.Client).Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return &oauth2.RetrieveError{Response: res, Body: body}
	}
}

func exchange(id, secret string, code func(*testing.T, *testServer) string) func(*testing.T, *testServer, context.Context) error {
	return func(t *testing.T, srv *testServer, ctx context.Context) error {
		_, err := oauthConfig(srv, id, secret).Exchange(ctx, code(t, srv))
		return err
	}
}

func clientCredentials(id, scope string) func(*testing.T, *testServer, context.Context) error {
	return func(t *testing.T, srv *testServer, ctx context.Context) error {
		cc := clientcredentials.Config{ClientID: id, ClientSecret: demoSecret, TokenURL: srv.URL + "/oauth/token",
			Scopes: strings.Fields(scope), AuthStyle: oauth2.AuthStyleInHeader}
		_, err := cc.Token(ctx)
		return err
	}
}

func validCode(t *testing.T, srv *testServer) string {
	return authorizationCode(t, srv, "demo", "openid offline")
}
func badCode(*testing.T, *testServer) string { return "not-a-code" }

var tokenRows = []tokenRow{
	// Produced by fosite itself.
	{row: "wrong method", name: "invalid_request", want: codes.InvalidRequest.Err(),
		do: post(http.MethodPut, url.Values{"grant_type": {"authorization_code"}})},
	{row: "empty body", name: "invalid_request", want: codes.InvalidRequest.Err(), do: post(http.MethodPost, url.Values{})},
	{row: "missing grant_type", name: "invalid_request", want: codes.InvalidRequest.Err(),
		do: post(http.MethodPost, url.Values{"code": {"x"}})},
	{row: "grant_type no handler takes", name: "invalid_request", want: codes.UnsupportedGrantType.Err(),
		do: post(http.MethodPost, url.Values{"grant_type": {"urn:example:unknown"}})},
	{row: "wrong client secret", name: "invalid_client", want: codes.UnauthorizedClient.Err(),
		do: exchange("demo", "wrong-secret", badCode)},
	{row: "unknown client", name: "invalid_client", want: codes.UnauthorizedClient.With(codes.ClientIDNotFound),
		do: exchange("nope", demoSecret, badCode)},
	{row: "client storage down", name: "invalid_client", want: codes.ServerError.Err(),
		do: exchange("broken", demoSecret, badCode)},
	{row: "unknown code", name: "invalid_grant", want: codes.InvalidGrant.Err(),
		do: exchange("demo", demoSecret, badCode)},
	{row: "code used twice", name: "invalid_grant", want: codes.InvalidGrant.Err(),
		do: func(t *testing.T, srv *testServer, ctx context.Context) error {
			code := validCode(t, srv)
			_, err := oauthConfig(srv, "demo", demoSecret).Exchange(context.Background(), code)
			require.NoError(t, err)
			_, err = oauthConfig(srv, "demo", demoSecret).Exchange(ctx, code)
			return err
		}},
	{row: "unknown refresh token", name: "invalid_grant", want: codes.UnauthorizedClient.Err(),
		do: func(t *testing.T, srv *testServer, ctx context.Context) error {
			_, err := oauthConfig(srv, "demo", demoSecret).TokenSource(ctx, &oauth2.Token{RefreshToken: "nope.nope"}).Token()
			return err
		}},
	{row: "grant the client may not use", name: "unauthorized_client", want: codes.UnauthorizedClient.Err(),
		do: clientCredentials("demo", "openid")},
	{row: "unknown scope", name: "invalid_scope", want: codes.InvalidScope.Err(), do: clientCredentials("svc", "read write")},
	// Answered by the application with fosite's error values.
	{row: "resource owner denied", name: "access_denied", want: codes.AccessDenied.Err(),
		do: exchange("demo", demoSecret, validCode)},
	{row: "maintenance", name: "temporarily_unavailable", want: codes.TemporarilyUnavailable.Err(),
		do: exchange("demo", demoSecret, validCode)},
	{row: "an application's own 5xx name", name: "app_outage", want: codes.ServerError.Err(),
		do: exchange("demo", demoSecret, validCode)},
	{row: "a plain error", want: codes.ServerError.Err(), do: exchange("demo", demoSecret, validCode)},
	// Refused before fosite reads the request: the core library's guards.
	{row: "malformed body", want: codes.InvalidRequest.Err(), do: postRaw(http.MethodPost, "grant_type=authorization_code&code=%zz")},
	{row: "repeated parameter", want: codes.InvalidRequest.Err(),
		do: post(http.MethodPost, url.Values{"grant_type": {"authorization_code", "client_credentials"}})},
}

var tokenDecisions = map[string]string{
	"resource owner denied": "deny", "maintenance": "unavailable",
	"an application's own 5xx name": "custom5xx", "a plain error": "plain",
}

// TestToken_EveryRowOfTheTable drives each row of README's token table
// through a real fosite server over HTTP, with golang.org/x/oauth2 as the
// client, and checks the contract's JSON (RFC 6749 §5.2): the code's
// status, its challenge or Retry-After, no-store, and no fosite text.
func TestToken_EveryRowOfTheTable(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	for _, tc := range tokenRows {
		t.Run(tc.row, func(t *testing.T) {
			err := tc.do(t, srv, rowContext(srv, tc.row, tokenDecisions[tc.row]))
			var re *oauth2.RetrieveError
			require.True(t, errors.As(err, &re), "a token error: %v", err)
			res := re.Response
			assert.Equal(t, tc.want.Code().HTTPStatus(), res.StatusCode)
			assert.Equal(t, "application/json", strings.Split(res.Header.Get("Content-Type"), ";")[0])
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			switch tc.want.Code() {
			case codes.InvalidClient:
				assert.Equal(t, "Basic", strings.Fields(res.Header.Get("WWW-Authenticate"))[0])
			case codes.TemporarilyUnavailable:
				assert.NotEmpty(t, res.Header.Get("Retry-After"))
			default:
				assert.Empty(t, res.Header.Get("WWW-Authenticate"))
			}
			var body map[string]string
			require.NoError(t, json.Unmarshal(re.Body, &body), "%s", re.Body)
			want := map[string]string{"error": tc.want.Code().Name(), "error_description": tc.want.Code().Description()}
			if tc.want.Detail().Valid() {
				want["exception_details"] = tc.want.Detail().Name()
			}
			assert.Equal(t, want, body)
			checkNoLeak(t, string(re.Body)+"\n"+headerText(res.Header))

			checkCause(t, srv, tc.row, tc.name)
		})
	}
}

// TestToken_SuccessAndRefresh: a code is exchanged and its refresh token
// used through the adapter, untouched.
func TestToken_SuccessAndRefresh(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	cfg := oauthConfig(srv, "demo", demoSecret)
	tok, err := cfg.Exchange(ctx, authorizationCode(t, srv, "demo", "openid offline"))
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	require.NotEmpty(t, tok.RefreshToken)
	tok.Expiry = tok.Expiry.Add(-24 * 3600 * 1e9) // expired: the source refreshes
	fresh, err := cfg.TokenSource(ctx, tok).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
}

// TestToken_StoragePanicIsServerError: a panic in the client storage is a
// 500 with the contract's JSON, the panic for the observer only.
func TestToken_StoragePanicIsServerError(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	_, err := oauthConfig(srv, "panicky", demoSecret).Exchange(rowContext(srv, "panic", ""), "x")
	var re *oauth2.RetrieveError
	require.True(t, errors.As(err, &re), "a token error: %v", err)
	assert.Equal(t, http.StatusInternalServerError, re.Response.StatusCode)
	assert.JSONEq(t, `{"error":"server_error","error_description":"`+codes.ServerError.Description()+`"}`, string(re.Body))
	ev, ok := srv.events.get("panic")
	require.True(t, ok)
	assert.True(t, ev.Panicked)
}
