package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// kit checks answers against the quick start's pages.
var kit = func() *authredirecttest.Kit {
	k, err := authredirecttest.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login"})
	if err != nil {
		panic(err)
	}
	return k
}()

// The quick start answers every failure by the contract, end to end: a
// browser-like client with a cookie jar that stops at contract redirects.
func TestQuickstart(t *testing.T) {
	srv := httptest.NewServer(newApp())
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar, CheckRedirect: stopAtTheClient}

	contract := func(method, path string, body url.Values, want *codes.Error) {
		t.Helper()
		var res *http.Response
		var err error
		if method == http.MethodPost {
			res, err = browser.PostForm(srv.URL+path, body)
		} else {
			res, err = browser.Get(srv.URL + path)
		}
		_, ok := codes.As(err) // the client stopped at the contract's redirect
		require.True(t, ok, "%s %s: %v", method, path, err)
		res.Body.Close()
		assert.NoError(t, kit.CheckLocation(res.Header.Get("Location"), want), "%s %s", method, path)
	}
	contract("GET", "/oauth/authorize?response_type=code", nil, codes.UnauthorizedClient.Err())
	contract("GET", "/oauth/authorize?response_type=code&client_id=nope", nil, codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	contract("GET", "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=https://evil.example/", nil,
		codes.UnauthorizedClient.With(codes.InvalidRedirectURI))
	contract("GET", "/oauth/authorize?response_type=token&client_id=demo", nil, codes.UnsupportedResponseType.Err())
	contract("GET", "/oauth/authorize?response_type=code&client_id=demo&client_id=demo", nil, codes.InvalidRequest.Err())
	contract("POST", "/oauth/authorize", url.Values{}, codes.InvalidRequest.Err())
	contract("POST", "/login", url.Values{"email": {"nobody@example.com"}}, codes.Unauthorized.Err())
	contract("POST", "/login", url.Values{"email": {userEmail}, "password": {"wrong"}}, codes.Unauthorized.WithEntityID(userID))
	contract("POST", "/login?a=%zz", url.Values{}, codes.IdentityInvalidRequest.Err())

	// Signed in, the authorization endpoint sends the user to the client;
	// a looping client trips the guard on the fourth arrival (a new
	// browser: the guard counts each browser's arrivals).
	jar, err = cookiejar.New(nil)
	require.NoError(t, err)
	browser = &http.Client{Jar: jar, CheckRedirect: stopAtTheClient}
	res, err := browser.PostForm(srv.URL+"/login", url.Values{"email": {userEmail}, "password": {userPassword}})
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusFound, res.StatusCode)
	assert.Equal(t, redirectURI+"?code=demo-code&state=", res.Header.Get("Location"), "signed in, the browser goes on to the client")
	for range 2 {
		res, err = browser.Get(srv.URL + "/oauth/authorize?response_type=code&client_id=demo")
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusFound, res.StatusCode)
	}
	contract("GET", "/oauth/authorize?response_type=code&client_id=demo", nil, codes.InvalidRequest.With(codes.TooManyRedirects))

	// A form post from another site is refused, by the contract.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader("email=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	res, err = browser.Do(req)
	_, ok := codes.As(err)
	require.True(t, ok, "%v", err)
	res.Body.Close()
	assert.NoError(t, kit.CheckLocation(res.Header.Get("Location"), codes.IdentityInvalidRequest.Err()))

	// The pages show what their query carries, and nothing else.
	assert.Contains(t, get(t, browser, srv.URL+"/login?identity_exception=unauthorized&entity_id=u-jane"),
		"Sign-in failed: <code>unauthorized</code>")
	assert.Contains(t, get(t, browser, srv.URL+"/ooops?oauth_exception=invalid_scope"), "<code>invalid_scope</code>")
	assert.NotContains(t, get(t, browser, srv.URL+"/ooops?oauth_exception=%3Cscript%3E"), "<script>")
}

func TestQuickstart_TokenEndpoint(t *testing.T) {
	srv := httptest.NewServer(newApp())
	defer srv.Close()
	for _, tc := range []struct {
		name, user, pass, body string
		status                 int
		want                   *codes.Error // nil for success
	}{
		{"no client authentication", "", "", "grant_type=authorization_code&code=demo-code", 401, codes.InvalidClient.Err()},
		{"wrong secret", clientID, "nope", "grant_type=authorization_code&code=demo-code", 401, codes.InvalidClient.Err()},
		{"unknown code", clientID, clientSecret, "grant_type=authorization_code&code=other", 400, codes.InvalidGrant.Err()},
		{"disabled grant type", clientID, clientSecret, "grant_type=client_credentials", 400, codes.UnsupportedGrantType.Err()},
		{"parameter twice", clientID, clientSecret, "grant_type=authorization_code&code=a&code=b", 400, codes.InvalidRequest.Err()},
		{"success", clientID, clientSecret, "grant_type=authorization_code&code=demo-code", 200, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			assert.Equal(t, tc.status, res.StatusCode)
			if tc.want != nil {
				assert.NoError(t, kit.CheckJSON(res, tc.want)) // status, headers and body fields
				return
			}
			var body map[string]any
			require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.Equal(t, "demo-token", body["access_token"])
		})
	}
}

// stopAtTheClient follows the app's redirects, stops at a contract
// redirect (kit.CheckRedirect), and stops before leaving for
// the client's redirect URI, where nothing listens.
func stopAtTheClient(req *http.Request, via []*http.Request) error {
	if strings.HasPrefix(req.URL.String(), redirectURI) {
		return http.ErrUseLastResponse
	}
	return kit.CheckRedirect(req, via)
}

func get(t *testing.T, c *http.Client, target string) string {
	t.Helper()
	res, err := c.Get(target)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	return string(b)
}
