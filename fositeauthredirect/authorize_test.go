package fositeauthredirect_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/render"
)

// authorizeQuery is a valid authorization request of client demo, with
// the changes given: a value of "" removes the parameter.
func authorizeQuery(changes ...string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {"demo"}, "redirect_uri": {demoRedirect},
		"scope": {"openid profile"}, "state": {"state-12345678"}, "nonce": {"nonce-12345678"},
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			q.Del(changes[i])
		} else {
			q.Set(changes[i], changes[i+1])
		}
	}
	return q.Encode()
}

// authorizeRow is one row of README's authorize table: a request, the error
// name fosite (or the application, through fosite's error values) gave it,
// and what the adapter answers.
type authorizeRow struct {
	row      string
	query    string
	decision string // the application's own answer, see decisions
	name     string // the RFC6749Error.ErrorField of the cause; "" when there is none
	want     *codes.Error
}

var authorizeRows = []authorizeRow{
	// Produced by fosite itself.
	{row: "unknown client", query: authorizeQuery("client_id", "nope"), name: "invalid_client",
		want: codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
	{row: "missing client id", query: authorizeQuery("client_id", ""), name: "invalid_client",
		want: codes.UnauthorizedClient.Err()},
	{row: "client storage down", query: authorizeQuery("client_id", "broken"), name: "invalid_client",
		want: codes.ServerError.Err()},
	{row: "client without redirect URIs", query: authorizeQuery("client_id", "noredirect"), name: "invalid_request",
		want: codes.UnauthorizedClient.With(codes.RedirectURINotSet)},
	{row: "unregistered redirect_uri", query: authorizeQuery("redirect_uri", "http://evil.example/cb"), name: "invalid_request",
		want: codes.UnauthorizedClient.With(codes.InvalidRedirectURI)},
	{row: "redirect_uri missing on an OpenID Connect request", query: authorizeQuery("redirect_uri", ""), name: "invalid_request",
		want: codes.InvalidRequest.Err()},
	{row: "unsupported response_type", query: authorizeQuery("response_type", "foo"), name: "unsupported_response_type",
		want: codes.UnsupportedResponseType.Err()},
	{row: "missing response_type", query: authorizeQuery("response_type", ""), name: "unsupported_response_type",
		want: codes.InvalidRequest.Err()},
	{row: "unknown scope", query: authorizeQuery("scope", "openid admin"), name: "invalid_scope",
		want: codes.InvalidScope.Err()},
	{row: "weak state", query: authorizeQuery("state", "short"), name: "invalid_state",
		want: codes.InvalidRequest.Err()},
	{row: "weak nonce", query: authorizeQuery("response_type", "id_token", "nonce", "short"), name: "insufficient_entropy",
		want: codes.InvalidRequest.Err()},
	{row: "unsupported response_mode", query: authorizeQuery("response_mode", "bogus"), name: "unsupported_response_mode",
		want: codes.InvalidRequest.Err()},
	{row: "request object", query: authorizeQuery("request", "e30.e30."), name: "request_not_supported",
		want: codes.InvalidRequest.Err()},
	{row: "request_uri", query: authorizeQuery("request_uri", "https://client.example/request.jwt"), name: "request_uri_not_supported",
		want: codes.InvalidRequest.Err()},
	{row: "request_uri the client did not register", query: authorizeQuery("client_id", "oidc", "scope", "openid",
		"request_uri", "https://client.example/request.jwt"), name: "invalid_request_uri", want: codes.InvalidRequest.Err()},
	{row: "request object signed with another algorithm", query: authorizeQuery("client_id", "oidc", "scope", "openid",
		"request", "eyJhbGciOiJub25lIn0.e30."), name: "invalid_request_object", want: codes.InvalidRequest.Err()},
	{row: "registration", query: authorizeQuery("registration", "{}"), name: "registration_not_supported",
		want: codes.InvalidRequest.Err()},
	{row: "public client over http", query: authorizeQuery("client_id", "public", "redirect_uri", "http://app.example/callback", "scope", "openid"),
		name: "invalid_request", want: codes.InvalidRequest.Err()},
	{row: "implicit grant not allowed", query: authorizeQuery("client_id", "noimplicit", "response_type", "token", "scope", "openid"), name: "invalid_grant",
		want: codes.UnauthorizedClient.Err()},
	// Answered by the application with fosite's error values.
	{row: "user denied", query: authorizeQuery(), decision: "deny", name: "access_denied",
		want: codes.AccessDenied.Err()},
	{row: "maintenance", query: authorizeQuery(), decision: "unavailable", name: "temporarily_unavailable",
		want: codes.TemporarilyUnavailable.Err()},
	{row: "an application's own 4xx name", query: authorizeQuery(), decision: "custom4xx", name: "app_rule",
		want: codes.InvalidRequest.Err()},
	{row: "an application's own 5xx name", query: authorizeQuery(), decision: "custom5xx", name: "app_outage",
		want: codes.ServerError.Err()},
	{row: "a plain error", query: authorizeQuery(), decision: "plain",
		want: codes.ServerError.Err()},
	// Refused before fosite reads the request: the core library's guards.
	{row: "repeated parameter", query: authorizeQuery() + "&client_id=nope",
		want: codes.InvalidRequest.Err()},
	{row: "malformed query", query: authorizeQuery() + "&scope=%zz",
		want: codes.InvalidRequest.Err()},
}

// checkContractRedirect asserts the exact wire answer of a contract
// redirect to the error page, and that nothing of fosite's text is on it.
func checkContractRedirect(t *testing.T, res *http.Response, want *codes.Error) {
	t.Helper()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	loc := res.Header.Get("Location")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	wantLoc := "/ooops?oauth_exception=" + want.Code().Name()
	if want.Detail().Valid() {
		wantLoc += "&exception_details=" + want.Detail().Name()
	}
	assert.Equal(t, wantLoc, loc)
	kit, err := authredirecttest.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login"})
	require.NoError(t, err)
	assert.NoError(t, kit.CheckLocation(loc, want))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
	checkNoLeak(t, loc+"\n"+string(body)+"\n"+headerText(res.Header))
}

// checkNoLeak asserts that no hint, debug or cause text reached the client.
func checkNoLeak(t *testing.T, wire string) {
	t.Helper()
	for _, s := range []string{secretHint, secretDebug, "hint", "debug", "storage", "Client", "fosite", "nil map"} {
		assert.NotContains(t, wire, s)
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

// TestAuthorize_EveryRowOfTheTable drives each row of README's authorize
// table through a real fosite server (compose.ComposeAllEnabled, its memory
// store) over HTTP (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6).
func TestAuthorize_EveryRowOfTheTable(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	client := noFollow(srv.Server)
	for _, tc := range authorizeRows {
		t.Run(tc.row, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/oauth/authorize?"+tc.query, nil)
			require.NoError(t, err)
			req.Header.Set("X-Row", tc.row)
			req.Header.Set("X-Decision", tc.decision)
			res, err := client.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			checkContractRedirect(t, res, tc.want)

			checkCause(t, srv, tc.row, tc.name)
		})
	}
}

// TestAuthorize_StoragePanicIsServerError: a panic in the client storage is
// server_error on the error page, the panic for the observer only.
func TestAuthorize_StoragePanicIsServerError(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/oauth/authorize?"+authorizeQuery("client_id", "panicky"), nil)
	require.NoError(t, err)
	req.Header.Set("X-Row", "panic")
	res, err := noFollow(srv.Server).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	checkContractRedirect(t, res, codes.ServerError.Err())
	ev, ok := srv.events.get("panic")
	require.True(t, ok)
	assert.True(t, ev.Panicked)
}

// promptNoneRows are OpenID Connect's answers to a request that may not
// interact with the user (OpenID Connect Core §3.1.2.6).
var promptNoneRows = []struct {
	row, query, decision, name, redirect string
	onErrorPage                          *codes.Error
}{
	{row: "login_required", query: authorizeQuery("prompt", "login"), name: "login_required",
		redirect: demoRedirect, onErrorPage: codes.AccessDenied.Err()},
	{row: "login_required by max_age", query: authorizeQuery("max_age", "60"), name: "login_required",
		redirect: demoRedirect, onErrorPage: codes.AccessDenied.Err()},
	{row: "consent_required", query: authorizeQuery("prompt", "none"), decision: "consent",
		name: "consent_required", redirect: demoRedirect, onErrorPage: codes.MissingGrant.Err()},
	{row: "interaction_required", query: authorizeQuery("prompt", "none"), decision: "interaction",
		name: "interaction_required", redirect: demoRedirect, onErrorPage: codes.AccessDenied.Err()},
	{row: "account_selection_required", query: authorizeQuery("prompt", "none"), decision: "account",
		name: "account_selection_required", redirect: demoRedirect, onErrorPage: codes.AccessDenied.Err()},
}

// TestAuthorize_PromptNoneAnswersGoToTheClient: by default the four OpenID
// Connect answers reach the client's validated redirect_uri, as fosite
// writes them, with state and without any hint or debug text.
func TestAuthorize_PromptNoneAnswersGoToTheClient(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	client := noFollow(srv.Server)
	for _, tc := range promptNoneRows {
		t.Run(tc.row, func(t *testing.T) {
			res := decide(t, client, srv.URL+"/oauth/authorize?"+tc.query, tc.decision)
			defer res.Body.Close()
			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
			loc, err := url.Parse(res.Header.Get("Location"))
			require.NoError(t, err)
			loc.RawQuery, loc.Fragment = "", ""
			assert.Equal(t, tc.redirect, loc.String())
			q, err := url.ParseQuery(strings.SplitN(res.Header.Get("Location"), "?", 2)[1])
			require.NoError(t, err)
			assert.Equal(t, tc.name, q.Get("error"))
			assert.Equal(t, "state-12345678", q.Get("state"))
			assert.NotEmpty(t, q.Get("error_description"))
			checkNoLeak(t, res.Header.Get("Location"))
			assert.NotContains(t, q.Get("error_description"), "Failed to validate")
		})
	}
}

// TestAuthorize_PromptErrorsToErrorPage: configured otherwise, the same
// answers go to the error page like every other.
func TestAuthorize_PromptErrorsToErrorPage(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{PromptErrorsToErrorPage: true})
	client := noFollow(srv.Server)
	for _, tc := range promptNoneRows {
		t.Run(tc.row, func(t *testing.T) {
			res := decide(t, client, srv.URL+"/oauth/authorize?"+tc.query, tc.decision)
			defer res.Body.Close()
			checkContractRedirect(t, res, tc.onErrorPage)
		})
	}
}

// TestAuthorize_SuccessReachesTheClientWithACode: the adapter leaves a
// request that succeeds to fosite.
func TestAuthorize_SuccessReachesTheClientWithACode(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	res, err := noFollow(srv.Server).Get(srv.URL + "/oauth/authorize?" + authorizeQuery())
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "localhost:8081", loc.Host)
	assert.NotEmpty(t, loc.Query().Get("code"))
	assert.Equal(t, "state-12345678", loc.Query().Get("state"))
}

// TestNew_RefusesBadConfiguration: configuration errors come at New.
func TestNew_RefusesBadConfiguration(t *testing.T) {
	_, err := fositeauthredirect.New(fositeauthredirect.Config{})
	assert.ErrorIs(t, err, fositeauthredirect.ErrConfig)
	var notFosite struct{ fosite.OAuth2Provider }
	_, err = fositeauthredirect.New(fositeauthredirect.Config{Provider: notFosite})
	assert.ErrorIs(t, err, fositeauthredirect.ErrConfig)
	_, err = fositeauthredirect.New(fositeauthredirect.Config{Provider: notFosite, Clients: newStore(t)})
	assert.NoError(t, err)
}

// decide sends an authorization request on which the test's login step
// takes decision (the X-Decision header), without following redirects.
func decide(t *testing.T, client *http.Client, url, decision string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-Decision", decision)
	res, err := client.Do(req)
	require.NoError(t, err)
	return res
}

// checkCause checks that the observer heard of row's failure with fosite's
// error named name as its cause, or with no fosite error when name is "".
func checkCause(t *testing.T, srv *testServer, row, name string) {
	t.Helper()
	ev, ok := srv.events.get(row)
	require.True(t, ok, "the observer heard of the failure")
	var fe *fosite.RFC6749Error
	if name == "" {
		assert.False(t, errors.As(ev.Cause, &fe), "no fosite error: %v", ev.Cause)
		return
	}
	require.True(t, errors.As(ev.Cause, &fe), "fosite's error is the cause: %v", ev.Cause)
	assert.Equal(t, name, fe.ErrorField, "the name fosite gave")
}
