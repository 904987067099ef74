package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect/example/app"
	"github.com/authredirect/authredirect/render"
)

// handler is the example's handler, built once: making its signing key is
// slow, and no test depends on another's sessions.
var handler = sync.OnceValues(func() (http.Handler, error) {
	return app.New(app.Config{Logger: slog.New(slog.DiscardHandler)})
})

// serve runs the example's server, as main builds it, on a loopback
// listener and returns its base URL.
func serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h, err := handler()
	require.NoError(t, err)
	srv := newServer(h)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		assert.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return "http://" + ln.Addr().String()
}

func noFollow() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// authorizeURL is the demo client's authorization request with the
// changes given: a value of "" removes the parameter.
func authorizeURL(base string, changes ...string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {app.DefaultRedirectURI},
		"scope": {"openid"}, "state": {"state-12345678"}}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			q.Del(changes[i])
		} else {
			q.Set(changes[i], changes[i+1])
		}
	}
	return base + "/oauth/authorize?" + q.Encode()
}

// checkRedirect asserts a 303 to location with the headers every redirect
// of the example carries.
func checkRedirect(t *testing.T, res *http.Response, location string) {
	t.Helper()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, []string{location}, res.Header.Values("Location"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
}

func errorPage(e *codes.Error) string {
	want := "/ooops?oauth_exception=" + e.Code().Name()
	if e.Detail().Valid() {
		want += "&exception_details=" + e.Detail().Name()
	}
	return want
}

// TestExample_Failures: each failure at the authorize endpoint is the
// contract's exact redirect to the error page, as examples/accounts
// answers it, whatever Host and X-Forwarded-Host say.
func TestExample_Failures(t *testing.T) {
	base := serve(t)
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, url, contentType, body string
		want                                 *codes.Error
	}{
		{"unknown client", "GET", authorizeURL(base, "client_id", "nope"), "", "", codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
		{"missing client id", "GET", authorizeURL(base, "client_id", ""), "", "", codes.UnauthorizedClient.Err()},
		{"unregistered redirect_uri", "GET", authorizeURL(base, "redirect_uri", "http://evil.example/cb"), "", "",
			codes.UnauthorizedClient.With(codes.InvalidRedirectURI)},
		{"unsupported response_type", "GET", authorizeURL(base, "response_type", "token"), "", "", codes.UnsupportedResponseType.Err()},
		{"missing response_type", "GET", authorizeURL(base, "response_type", ""), "", "", codes.InvalidRequest.Err()},
		{"unknown scope", "GET", authorizeURL(base, "scope", "openid admin"), "", "", codes.InvalidScope.Err()},
		{"repeated parameter", "GET", authorizeURL(base) + "&client_id=nope", "", "", codes.InvalidRequest.Err()},
		{"malformed query", "GET", base + "/oauth/authorize?response_type=code&client_id=%zz", "", "", codes.InvalidRequest.Err()},
		{"PUT", "PUT", authorizeURL(base), "", "", codes.InvalidRequest.Err()},
		{"POST, unknown client", "POST", base + "/oauth/authorize", form,
			strings.SplitN(authorizeURL(base, "client_id", "nope"), "?", 2)[1], codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
		{"POST, repeated in the body", "POST", base + "/oauth/authorize", form,
			strings.SplitN(authorizeURL(base), "?", 2)[1] + "&client_id=demo", codes.InvalidRequest.Err()},
		{"POST, multipart", "POST", base + "/oauth/authorize", "multipart/form-data; boundary=x",
			"--x\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\ndemo\r\n--x--\r\n", codes.InvalidRequest.Err()},
		{"GET, multipart", "GET", authorizeURL(base), "multipart/form-data; boundary=x",
			"--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n" + strings.Repeat("a", 1<<20) + "\r\n--x--\r\n",
			codes.InvalidRequest.Err()},
		{"POST, body beyond the limit", "POST", base + "/oauth/authorize", form,
			strings.SplitN(authorizeURL(base), "?", 2)[1] + "&pad=" + strings.Repeat("a", 1<<20), codes.InvalidRequest.Err()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil.example")
			res, err := noFollow().Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			checkRedirect(t, res, errorPage(tc.want))
			kit, err := authredirecttest.New(render.Config{ErrorPage: "/ooops", LoginPage: "/"})
			require.NoError(t, err)
			assert.NoError(t, kit.CheckLocation(res.Header.Get("Location"), tc.want))
		})
	}
}

// TestExample_Token: the token endpoint's failures are the contract's
// JSON, the same as examples/accounts answers: the grants not served are
// unsupported_grant_type, every client failure unauthorized_client.
func TestExample_Token(t *testing.T) {
	base := serve(t)
	for _, tc := range []struct {
		name, basic, body, want, detail string
	}{
		{"client_credentials", "demo:demo-secret", "grant_type=client_credentials", "unsupported_grant_type", ""},
		{"password", "demo:demo-secret", "grant_type=password&username=jane@example.com&password=jane-password", "unsupported_grant_type", ""},
		{"missing client id", "", "grant_type=authorization_code&code=x", "unauthorized_client", ""},
		{"unknown client", "nope:demo-secret", "grant_type=authorization_code&code=x", "unauthorized_client", "client_id_not_found"},
		{"wrong secret", "demo:wrong", "grant_type=authorization_code&code=x", "unauthorized_client", ""},
		{"unknown refresh token", "demo:demo-secret", "grant_type=refresh_token&refresh_token=nope.nope", "unauthorized_client", ""},
		{"unknown code", "demo:demo-secret", "grant_type=authorization_code&code=nope.nope", "invalid_grant", ""},
		{"repeated parameter", "demo:demo-secret", "grant_type=authorization_code&code=a&code=b", "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if id, secret, ok := strings.Cut(tc.basic, ":"); ok {
				req.SetBasicAuth(id, secret)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			var body map[string]string
			require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
			assert.Equal(t, tc.want, body["error"])
			assert.Equal(t, tc.detail, body["exception_details"])
		})
	}
}

// TestExample_CodeFlow: the login page carries the authorization request
// (PKCE and OpenID Connect's parameters among it) through a failed
// sign-in and back to the authorize endpoint; the client gets a code at
// its redirect URI, exchanges it with golang.org/x/oauth2 and refreshes.
func TestExample_CodeFlow(t *testing.T) {
	base := serve(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := noFollow()
	client.Jar = jar
	cfg := &oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret, RedirectURL: app.DefaultRedirectURI,
		Scopes:   []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()

	res, err := client.Get(cfg.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-12345678")))
	require.NoError(t, err)
	res.Body.Close()
	flow := "response_type=code&client_id=demo&redirect_uri=" + url.QueryEscape(app.DefaultRedirectURI) +
		"&scope=openid+profile+offline_access&state=state-12345678&code_challenge=" + oauth2.S256ChallengeFromVerifier(verifier) +
		"&code_challenge_method=S256&nonce=nonce-12345678"
	checkRedirect(t, res, "/?"+flow)

	res, err = client.Get(base + "/?" + flow)
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(page), `action="/login?response_type=code&amp;client_id=demo&amp;`) // html/template escapes the rest

	res, err = client.PostForm(base+"/login?"+flow, url.Values{"email": {app.UserEmail}, "password": {"wrong"}})
	require.NoError(t, err)
	res.Body.Close()
	checkRedirect(t, res, "/?identity_exception=unauthorized&"+flow)

	res, err = client.PostForm(base+"/login?"+flow, url.Values{"email": {app.UserEmail}, "password": {app.UserPassword}})
	require.NoError(t, err)
	res.Body.Close()
	checkRedirect(t, res, "/oauth/authorize?"+flow)

	res, err = client.Get(base + "/oauth/authorize?" + flow)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
	callback, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, app.DefaultRedirectURI, callback.Scheme+"://"+callback.Host+callback.Path)
	assert.Equal(t, "state-12345678", callback.Query().Get("state"))
	code := callback.Query().Get("code")
	require.NotEmpty(t, code)

	wrong := *cfg
	wrong.ClientSecret = "wrong"
	_, err = wrong.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, http.StatusBadRequest, re.Response.StatusCode)
	assert.Equal(t, "unauthorized_client", re.ErrorCode)

	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.Extra("id_token"))
	require.NotEmpty(t, tok.RefreshToken)
	tok.Expiry = time.Now().Add(-time.Hour) // expired: the source refreshes
	fresh, err := cfg.TokenSource(context.Background(), tok).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
}

// TestExample_AuthorizeByPOST: the authorize endpoint takes a form post
// (OpenID Connect Core §3.1.2.1); the login page carries its parameters.
func TestExample_AuthorizeByPOST(t *testing.T) {
	base := serve(t)
	res, err := noFollow().PostForm(base+"/oauth/authorize", url.Values{"response_type": {"code"}, "client_id": {"demo"},
		"redirect_uri": {app.DefaultRedirectURI}, "scope": {"openid"}, "state": {"state-12345678"}})
	require.NoError(t, err)
	res.Body.Close()
	checkRedirect(t, res, "/?response_type=code&client_id=demo&redirect_uri="+url.QueryEscape(app.DefaultRedirectURI)+
		"&scope=openid&state=state-12345678")
}

// TestExample_Login: the login endpoint's failures go to the login page.
func TestExample_Login(t *testing.T) {
	base := serve(t)
	for _, tc := range []struct {
		name, contentType, body, location string
	}{
		{"unknown account", "application/x-www-form-urlencoded", "email=nobody%40example.com&password=x", "/?identity_exception=unauthorized"},
		{"wrong password", "application/x-www-form-urlencoded", "email=jane%40example.com&password=x", "/?identity_exception=unauthorized"},
		{"malformed body", "application/x-www-form-urlencoded", "email=%zz", "/?identity_exception=invalid_request"},
		{"repeated field", "application/x-www-form-urlencoded", "email=jane%40example.com&email=x&password=x", "/?identity_exception=invalid_request"},
		{"multipart", "multipart/form-data; boundary=x", "--x--\r\n", "/?identity_exception=invalid_request"},
		{"signed in, nothing carried: the error page", "application/x-www-form-urlencoded", "email=jane%40example.com&password=jane-password", "/ooops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tc.contentType)
			res, err := noFollow().Do(req)
			require.NoError(t, err)
			res.Body.Close()
			checkRedirect(t, res, tc.location)
		})
	}
}

// TestExample_LoopGuard: the 4th arrival of one browser for one client
// within 30 seconds ends on the error page with to_many_redirects.
func TestExample_LoopGuard(t *testing.T) {
	base := serve(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := noFollow()
	client.Jar = jar
	for i := range 4 {
		res, err := client.Get(authorizeURL(base))
		require.NoError(t, err)
		res.Body.Close()
		if i < 3 {
			assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/?response_type=code"), "arrival %d: %s", i+1, res.Header.Get("Location"))
			continue
		}
		checkRedirect(t, res, "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects")
	}
}

// TestExample_PromptNoneGoesBackToTheClient: a prompt=none request of a
// visitor who has not signed in is answered login_required at the client's
// redirect URI (OpenID Connect Core §3.1.2.6), with its state.
func TestExample_PromptNoneGoesBackToTheClient(t *testing.T) {
	base := serve(t)
	res, err := noFollow().Get(authorizeURL(base, "prompt", "none"))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, app.DefaultRedirectURI, loc.Scheme+"://"+loc.Host+loc.Path)
	assert.Equal(t, "login_required", loc.Query().Get("error"))
	assert.Equal(t, "state-12345678", loc.Query().Get("state"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
}

// TestExample_ServerTimeouts: the command serves with examples/accounts'
// limits.
func TestExample_ServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	assert.Equal(t, 5*time.Second, srv.ReadHeaderTimeout)
	assert.Equal(t, 15*time.Second, srv.ReadTimeout)
	assert.Equal(t, 30*time.Second, srv.WriteTimeout)
	assert.Equal(t, 2*time.Minute, srv.IdleTimeout)
	assert.Equal(t, 64<<10, srv.MaxHeaderBytes)
}
