package fositeauthredirect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
)

// parityRow is one request served twice on one provider: by fosite alone
// (WriteAuthorizeError, WriteAccessError) and through the adapter. fosite
// decides; the adapter changes only the answer's shape.
type parityRow struct {
	row      string
	token    bool   // the token endpoint; else the authorize endpoint
	method   string // default GET on authorize, POST on token
	params   string // the query on GET, the urlencoded body otherwise
	basic    string // the client id of HTTP Basic, with its secret after a ':'; "" sends none
	decision string // the application's own answer, see decisions
	// body makes params when they need a live code or token.
	body func(t *testing.T, srv *testServer) string

	// fosite's decision, as fosite alone answers.
	name     string // its error name; "" when it lets the request through
	toClient bool   // it sends the browser to the client's redirect_uri
	// The adapter's answer: nil when it is fosite's own (a success, or an
	// OpenID Connect prompt answer sent to the client).
	want *codes.Error
	// why says where the adapter's answer differs on purpose from
	// fosite's, beyond the contract's names.
	why string
}

const contractRoute = "the contract sends every authorization error to the error page"

var parityRows = []parityRow{
	// Authorize endpoint.
	{row: "success", params: authorizeQuery(), toClient: true},
	{row: "success, POST (OpenID Connect Core §3.1.2.1)", method: http.MethodPost, params: authorizeQuery(), toClient: true},
	{row: "unknown client", params: authorizeQuery("client_id", "nope"), name: "invalid_client",
		want: codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
	{row: "missing client id", params: authorizeQuery("client_id", ""), name: "invalid_client",
		want: codes.UnauthorizedClient.Err()},
	{row: "client storage down", params: authorizeQuery("client_id", "broken"), name: "invalid_client",
		want: codes.ServerError.Err(), why: "the storage failed: the client is not unknown"},
	{row: "client without redirect URIs", params: authorizeQuery("client_id", "noredirect"), name: "invalid_request",
		want: codes.UnauthorizedClient.With(codes.RedirectURINotSet)},
	{row: "unregistered redirect_uri", params: authorizeQuery("redirect_uri", "http://evil.example/cb"), name: "invalid_request",
		want: codes.UnauthorizedClient.With(codes.InvalidRedirectURI)},
	{row: "missing response_type", params: authorizeQuery("response_type", ""), name: "unsupported_response_type", toClient: true,
		want: codes.InvalidRequest.Err(), why: contractRoute + "; a missing parameter is invalid_request"},
	{row: "unsupported response_type", params: authorizeQuery("response_type", "foo"), name: "unsupported_response_type", toClient: true,
		want: codes.UnsupportedResponseType.Err(), why: contractRoute},
	{row: "unknown scope", params: authorizeQuery("scope", "openid admin"), name: "invalid_scope", toClient: true,
		want: codes.InvalidScope.Err(), why: contractRoute},
	{row: "weak state", params: authorizeQuery("state", "short"), name: "invalid_state", toClient: true,
		want: codes.InvalidRequest.Err(), why: contractRoute},
	{row: "unsupported response_mode", params: authorizeQuery("response_mode", "bogus"), name: "unsupported_response_mode",
		want: codes.InvalidRequest.Err()},
	{row: "request object", params: authorizeQuery("request", "e30.e30."), name: "request_not_supported",
		want: codes.InvalidRequest.Err()},
	{row: "registration", params: authorizeQuery("registration", "{}"), name: "registration_not_supported", toClient: true,
		want: codes.InvalidRequest.Err(), why: contractRoute},
	{row: "implicit grant not allowed", params: authorizeQuery("client_id", "noimplicit", "response_type", "token", "scope", "openid"),
		name: "invalid_grant", toClient: true, want: codes.UnauthorizedClient.Err(), why: contractRoute},
	{row: "user denied", params: authorizeQuery(), decision: "deny", name: "access_denied", toClient: true,
		want: codes.AccessDenied.Err(), why: contractRoute},
	{row: "a plain error", params: authorizeQuery(), decision: "plain", name: "error", toClient: true,
		want: codes.ServerError.Err(), why: contractRoute},
	{row: "prompt=login, signed in before", params: authorizeQuery("prompt", "login"), name: "login_required", toClient: true},
	{row: "prompt=none, consent needed", params: authorizeQuery("prompt", "none"), decision: "consent", name: "consent_required", toClient: true},
	{row: "repeated parameter", params: authorizeQuery() + "&client_id=nope", toClient: true,
		want: codes.InvalidRequest.Err(), why: "fosite reads the first of repeated parameters; the guard refuses them"},
	{row: "PUT", method: http.MethodPut, params: authorizeQuery(), toClient: true,
		want: codes.InvalidRequest.Err(), why: "fosite takes any method; the contract's wrong HTTP method is all but GET and POST"},

	// Token endpoint.
	{row: "token: code exchanged", token: true, basic: "demo:" + demoSecret, body: codeBody},
	{row: "token: missing client id", token: true, params: "grant_type=authorization_code&code=x", name: "invalid_request",
		want: codes.UnauthorizedClient.Err()},
	{row: "token: unknown client", token: true, basic: "nope:" + demoSecret, params: "grant_type=authorization_code&code=x",
		name: "invalid_client", want: codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
	{row: "token: wrong secret", token: true, basic: "demo:wrong", params: "grant_type=authorization_code&code=x",
		name: "invalid_client", want: codes.UnauthorizedClient.Err()},
	{row: "token: wrong secret in the body", token: true,
		params: "grant_type=authorization_code&code=x&client_id=demo&client_secret=wrong",
		name:   "invalid_client", want: codes.UnauthorizedClient.Err()},
	{row: "token: unknown refresh token", token: true, basic: "demo:" + demoSecret, params: "grant_type=refresh_token&refresh_token=nope.nope",
		name: "invalid_grant", want: codes.UnauthorizedClient.Err()},
	{row: "token: client storage down", token: true, basic: "broken:" + demoSecret, params: "grant_type=authorization_code&code=x",
		name: "invalid_client", want: codes.ServerError.Err(), why: "the storage failed: the client is not unknown"},
	{row: "token: an authentication method the client does not allow", token: true, basic: "oidc:" + demoSecret,
		params: "grant_type=authorization_code&code=x", name: "invalid_client", want: codes.InvalidClient.Err()},
	{row: "token: unknown code", token: true, basic: "demo:" + demoSecret, params: "grant_type=authorization_code&code=x",
		name: "invalid_grant", want: codes.InvalidGrant.Err()},
	{row: "token: grant_type no handler takes", token: true, basic: "demo:" + demoSecret, params: "grant_type=urn:example:unknown",
		name: "invalid_request", want: codes.UnsupportedGrantType.Err()},
	{row: "token: missing grant_type", token: true, basic: "demo:" + demoSecret, params: "code=x",
		name: "invalid_request", want: codes.InvalidRequest.Err()},
	{row: "token: a grant the client may not use", token: true, basic: "demo:" + demoSecret, params: "grant_type=client_credentials",
		name: "unauthorized_client", want: codes.UnauthorizedClient.Err()},
	{row: "token: another client's refresh token", token: true, basic: "nooffline:" + demoSecret, body: refreshBody,
		name: "invalid_grant", want: codes.InvalidGrant.Err()},
	{row: "token: refresh token", token: true, basic: "demo:" + demoSecret, body: refreshBody},
	{row: "token: unknown scope", token: true, basic: "svc:" + demoSecret, params: "grant_type=client_credentials&scope=read+write",
		name: "invalid_scope", want: codes.InvalidScope.Err()},
}

func codeBody(t *testing.T, srv *testServer) string {
	return "grant_type=authorization_code&redirect_uri=" + url.QueryEscape(demoRedirect) +
		"&code=" + url.QueryEscape(authorizationCode(t, srv, "demo", "openid offline"))
}

// refreshBody exchanges a code of client demo and asks for a refresh with
// its refresh token.
func refreshBody(t *testing.T, srv *testServer) string {
	tok, err := oauthConfig(srv, "demo", demoSecret).Exchange(context.Background(), validCode(t, srv))
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	return "grant_type=refresh_token&refresh_token=" + url.QueryEscape(tok.RefreshToken)
}

// answer is what one server answered to a row's request.
type answer struct {
	status   int
	location string
	body     map[string]string
}

func (a answer) toClient() bool { return strings.HasPrefix(a.location, demoRedirect) }

// name is fosite's error name in its own answer: in the redirect to the
// client, or in its JSON.
func (a answer) name(t *testing.T) string {
	if a.location != "" {
		u, err := url.Parse(a.location)
		require.NoError(t, err)
		q := u.Query()
		if u.Fragment != "" {
			q, err = url.ParseQuery(u.Fragment)
			require.NoError(t, err)
		}
		return q.Get("error")
	}
	return a.body["error"]
}

func send(t *testing.T, srv *testServer, path string, tc parityRow) answer {
	t.Helper()
	method, params := tc.method, tc.params
	if method == "" {
		method = http.MethodGet
		if tc.token {
			method = http.MethodPost
		}
	}
	if tc.body != nil {
		params = tc.body(t, srv)
	}
	target, body := srv.URL+path, io.Reader(nil)
	if method == http.MethodGet {
		target += "?" + params
	} else {
		body = strings.NewReader(params)
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if id, secret, ok := strings.Cut(tc.basic, ":"); ok {
		req.SetBasicAuth(id, secret)
	}
	req.Header.Set("X-Decision", tc.decision)
	res, err := noFollow(srv.Server).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	a := answer{status: res.StatusCode, location: res.Header.Get("Location")}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
		a.body = map[string]string{}
		for k, v := range m {
			if s, ok := v.(string); ok {
				a.body[k] = s
			}
		}
	}
	return a
}

// TestParity_FositeDecidesTheAdapterAnswers serves each row with fosite
// alone and through the adapter on the same provider: the adapter refuses
// exactly what fosite refuses (but for the guards' rows, which say why),
// sends the browser to the client only where fosite would and the
// contract allows, and answers with the contract's code for fosite's
// error (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect Core §3.1.2.6).
func TestParity_FositeDecidesTheAdapterAnswers(t *testing.T) {
	require.GreaterOrEqual(t, len(parityRows), 25)
	srv := newServer(t, fositeauthredirect.Config{})
	for _, tc := range parityRows {
		t.Run(tc.row, func(t *testing.T) {
			endpoint := "authorize"
			if tc.token {
				endpoint = "token"
			}
			alone := send(t, srv, "/fosite/"+endpoint, tc)
			assert.Equal(t, tc.name, alone.name(t), "fosite's error name")
			assert.Equal(t, tc.toClient, alone.toClient(), "fosite sends the browser to the client: %s", alone.location)
			if tc.name == "" && !tc.token {
				assert.NotEmpty(t, mustQuery(t, alone.location).Get("code"), "fosite lets it through: %s", alone.location)
			}

			adapter := send(t, srv, "/oauth/"+endpoint, tc)
			switch {
			case tc.want == nil && tc.token:
				assert.Equal(t, http.StatusOK, adapter.status)
				assert.Equal(t, alone.status, adapter.status)
				assert.NotEmpty(t, adapter.body["access_token"])
			case tc.want == nil:
				assert.Equal(t, http.StatusSeeOther, adapter.status)
				assert.True(t, adapter.toClient(), "the adapter sends it to the client as fosite does: %s", adapter.location)
				assert.Equal(t, tc.name, adapter.name(t))
				if tc.name == "" {
					assert.NotEmpty(t, mustQuery(t, adapter.location).Get("code"), adapter.location)
				}
			case tc.token:
				assert.Equal(t, tc.want.Code().HTTPStatus(), adapter.status)
				want := map[string]string{"error": tc.want.Code().Name(), "error_description": tc.want.Code().Description()}
				if tc.want.Detail().Valid() {
					want["exception_details"] = tc.want.Detail().Name()
				}
				assert.Equal(t, want, adapter.body)
			default:
				assert.Equal(t, http.StatusSeeOther, adapter.status)
				wantLoc := "/ooops?oauth_exception=" + tc.want.Code().Name()
				if tc.want.Detail().Valid() {
					wantLoc += "&exception_details=" + tc.want.Detail().Name()
				}
				assert.Equal(t, wantLoc, adapter.location)
			}
			if tc.name != "" && !tc.toClient {
				assert.False(t, adapter.toClient(), "never to a client fosite would not send it to")
			}
			if tc.name == "" && tc.want != nil {
				assert.NotEmpty(t, tc.why, "the adapter refuses what fosite lets through only on purpose")
			}
		})
	}
}

func mustQuery(t *testing.T, location string) url.Values {
	u, err := url.Parse(location)
	require.NoError(t, err)
	return u.Query()
}
