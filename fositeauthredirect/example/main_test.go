package main

import (
	"context"
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

// TestExample_Failures: the request and the bad inputs, each
// answered with the contract's exact redirect.
func TestExample_Failures(t *testing.T) {
	base := serve(t)
	for _, tc := range []struct {
		name, path string
		want       *codes.Error
	}{
		{"unknown client", "/oauth/authorize?response_type=code&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid",
			codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
		{"unregistered redirect_uri", "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=http://evil.example/cb&scope=openid&state=abcdefgh",
			codes.UnauthorizedClient.With(codes.InvalidRedirectURI)},
		{"repeated parameter", "/oauth/authorize?response_type=code&client_id=demo&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid",
			codes.InvalidRequest.Err()},
		{"malformed query", "/oauth/authorize?response_type=code&client_id=%zz",
			codes.InvalidRequest.Err()},
		{"unsupported response_type", "/oauth/authorize?response_type=token&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid&state=abcdefgh",
			codes.UnsupportedResponseType.Err()},
		{"unknown scope", "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid+admin&state=abcdefgh",
			codes.InvalidScope.Err()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := noFollow().Get(base + tc.path)
			require.NoError(t, err)
			defer res.Body.Close()
			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			want := "/ooops?oauth_exception=" + tc.want.Code().Name()
			if tc.want.Detail().Valid() {
				want += "&exception_details=" + tc.want.Detail().Name()
			}
			assert.Equal(t, want, res.Header.Get("Location"))
			kit, err := authredirecttest.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login"})
			require.NoError(t, err)
			assert.NoError(t, kit.CheckLocation(res.Header.Get("Location"), tc.want))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
		})
	}
}

// TestExample_CodeFlow: sign in, get a code at the client's redirect URI,
// exchange it with golang.org/x/oauth2; a wrong secret is the contract's
// unauthorized_client JSON.
func TestExample_CodeFlow(t *testing.T) {
	base := serve(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := noFollow()
	client.Jar = jar
	cfg := &oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret, RedirectURL: app.DefaultRedirectURI,
		Scopes:   []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}

	res, err := client.Get(cfg.AuthCodeURL("state-12345678"))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	login := res.Header.Get("Location")
	require.True(t, strings.HasPrefix(login, "/login?continue="), login)

	res, err = client.Get(base + login)
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	continueTo, err := url.QueryUnescape(strings.TrimPrefix(login, "/login?continue="))
	require.NoError(t, err)
	assert.Contains(t, string(page), `name="continue" value="/oauth/authorize?client_id=demo&amp;`) // html/template escapes the rest

	res, err = client.PostForm(base+"/login", url.Values{"email": {app.UserEmail}, "password": {"wrong"}, "continue": {continueTo}})
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/login?identity_exception=unauthorized", res.Header.Get("Location"))

	res, err = client.PostForm(base+"/login", url.Values{"email": {app.UserEmail}, "password": {app.UserPassword}, "continue": {continueTo}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, continueTo, res.Header.Get("Location"))

	res, err = client.Get(base + continueTo)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	callback, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, app.DefaultRedirectURI, callback.Scheme+"://"+callback.Host+callback.Path)
	assert.Equal(t, "state-12345678", callback.Query().Get("state"))
	code := callback.Query().Get("code")
	require.NotEmpty(t, code)

	wrong := *cfg
	wrong.ClientSecret = "wrong"
	_, err = wrong.Exchange(context.Background(), code)
	var re *oauth2.RetrieveError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, http.StatusBadRequest, re.Response.StatusCode)
	assert.Equal(t, "unauthorized_client", re.ErrorCode)

	tok, err := cfg.Exchange(context.Background(), code)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.Extra("id_token"))
}

// TestExample_PromptNoneGoesBackToTheClient: a prompt=none request of a
// visitor who has not signed in is answered login_required at the client's
// redirect URI (OpenID Connect Core §3.1.2.6), with its state.
func TestExample_PromptNoneGoesBackToTheClient(t *testing.T) {
	base := serve(t)
	res, err := noFollow().Get(base + "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid&state=state-12345678&prompt=none")
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, app.DefaultRedirectURI, loc.Scheme+"://"+loc.Host+loc.Path)
	assert.Equal(t, "login_required", loc.Query().Get("error"))
	assert.Equal(t, "state-12345678", loc.Query().Get("state"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
}

// TestExample_LoginContinuesOnlyToTheAuthorizeEndpoint: the login form's
// continue target is never another site.
func TestExample_LoginContinuesOnlyToTheAuthorizeEndpoint(t *testing.T) {
	base := serve(t)
	for _, next := range []string{"https://evil.example/oauth/authorize?x=1", "//evil.example/oauth/authorize", "/ooops?x", "/oauth/authorize/../x"} {
		res, err := noFollow().PostForm(base+"/login", url.Values{"email": {app.UserEmail}, "password": {app.UserPassword}, "continue": {next}})
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, "/ooops", res.Header.Get("Location"), next)
	}
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
