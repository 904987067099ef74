package zitadelauthredirect_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// oauth2Config is the demo client as golang.org/x/oauth2 sees it.
func (e *env) oauth2Config(id, secret, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: id, ClientSecret: secret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{TokenURL: e.base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"openid", "profile"},
	}
}

func (e *env) ctx() context.Context {
	return context.WithValue(e.t.Context(), oauth2.HTTPClient, e.http)
}

// assertRetrieveError checks the error x/oauth2 returns against the
// contract's JSON answer.
func (e *env) assertRetrieveError(t *testing.T, err error, want *codes.Error) {
	t.Helper()
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, want.Code().Name(), re.ErrorCode)
	e.assertJSON(t, re.Response, string(re.Body), want)
}

// TestToken_Table produces every row of the README's token endpoint table
// with the real library, through golang.org/x/oauth2 where a client would
// (RFC 6749 5.2).
func TestToken_Table(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	demo := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI)

	t.Run("unknown client", func(t *testing.T) {
		_, err := e.oauth2Config("nope", "x", app.RedirectURI).Exchange(e.ctx(), e.code(authorizeQuery(nil)))
		e.assertRetrieveError(t, err, codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, err := e.oauth2Config(app.ClientID, "wrong", app.RedirectURI).Exchange(e.ctx(), e.code(authorizeQuery(nil)))
		e.assertRetrieveError(t, err, codes.UnauthorizedClient.Err())
	})
	t.Run("unknown code", func(t *testing.T) {
		_, err := demo.Exchange(e.ctx(), "not-a-code")
		e.assertRetrieveError(t, err, codes.InvalidGrant.Err())
	})
	t.Run("code used twice", func(t *testing.T) {
		code := e.code(authorizeQuery(nil))
		_, err := demo.Exchange(e.ctx(), code)
		require.NoError(t, err)
		_, err = demo.Exchange(e.ctx(), code)
		e.assertRetrieveError(t, err, codes.InvalidGrant.Err())
	})
	t.Run("code of another client", func(t *testing.T) {
		code := e.code(authorizeQuery(map[string]string{"client_id": "other"}))
		_, err := demo.Exchange(e.ctx(), code)
		e.assertRetrieveError(t, err, codes.InvalidGrant.Err())
	})
	t.Run("redirect_uri differs", func(t *testing.T) {
		_, err := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI+"/x").Exchange(e.ctx(), e.code(authorizeQuery(nil)))
		e.assertRetrieveError(t, err, codes.InvalidGrant.Err())
	})
	t.Run("wrong code_verifier", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		code := e.code(authorizeQuery(map[string]string{"code_challenge": oauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method": "S256"}))
		_, err := demo.Exchange(e.ctx(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		e.assertRetrieveError(t, err, codes.InvalidGrant.Err())
	})
	t.Run("missing code_verifier", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		code := e.code(authorizeQuery(map[string]string{"code_challenge": oauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method": "S256"}))
		_, err := demo.Exchange(e.ctx(), code)
		e.assertRetrieveError(t, err, codes.InvalidRequest.Err())
	})
	t.Run("public client without PKCE", func(t *testing.T) {
		code := e.code(authorizeQuery(map[string]string{"client_id": "native", "redirect_uri": nativeRedirect}))
		cfg := e.oauth2Config("native", "", nativeRedirect)
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		_, err := cfg.Exchange(e.ctx(), code)
		e.assertRetrieveError(t, err, codes.InvalidRequest.Err())
	})
	t.Run("grant type not allowed for the client", func(t *testing.T) {
		_, err := e.oauth2Config("device", "device-secret", app.RedirectURI).Exchange(e.ctx(), "any-code")
		e.assertRetrieveError(t, err, codes.UnauthorizedClient.Err())
	})
	t.Run("unknown refresh token", func(t *testing.T) {
		_, err := demo.TokenSource(e.ctx(), &oauth2.Token{RefreshToken: "not-a-refresh-token"}).Token()
		e.assertRetrieveError(t, err, codes.UnauthorizedClient.Err())
	})
	t.Run("refresh token of another client", func(t *testing.T) {
		other := e.oauth2Config("other", "other-secret", app.RedirectURI)
		tok, err := other.Exchange(e.ctx(), e.code(authorizeQuery(map[string]string{"client_id": "other", "scope": "openid offline_access"})))
		require.NoError(t, err)
		require.NotEmpty(t, tok.RefreshToken)
		_, err = demo.TokenSource(e.ctx(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		e.assertRetrieveError(t, err, codes.InvalidClient.Err())
	})

	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	for _, tt := range []struct {
		name   string
		method string
		body   url.Values
		want   *codes.Error
	}{
		{"no grant_type", "POST", form("code", "x"), codes.InvalidRequest.Err()},
		{"unsupported grant_type", "POST", form("grant_type", "password", "username", "u", "password", "p"), codes.UnsupportedGrantType.Err()},
		{"client_credentials (not served by the adapter)", "POST", form("grant_type", "client_credentials"), codes.UnsupportedGrantType.Err()},
		{"no code", "POST", form("grant_type", "authorization_code", "client_id", "demo", "client_secret", "demo-secret"), codes.InvalidRequest.Err()},
		{"no client_id", "POST", form("grant_type", "authorization_code", "code", "x"), codes.UnauthorizedClient.Err()},
		{"no refresh_token", "POST", form("grant_type", "refresh_token", "client_id", "demo", "client_secret", "demo-secret"), codes.InvalidRequest.Err()},
		{"private_key_jwt the provider does not support", "POST", form("grant_type", "authorization_code", "code", "x",
			"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", "x.y.z"), codes.InvalidClient.Err()},
		{"two client authentications", "POST", form("grant_type", "authorization_code", "code", "x", "client_id", "demo", "client_secret", "s",
			"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", "x.y.z"), codes.InvalidRequest.Err()},
		{"repeated parameter", "POST", form("grant_type", "authorization_code", "code", "x", "code", "y"), codes.InvalidRequest.Err()},
		{"wrong method", "GET", nil, codes.InvalidRequest.Err()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.do(tt.method, "/oauth/token", tt.body)
			e.assertJSON(t, res, body, tt.want)
		})
	}
	t.Run("malformed body", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader("grant_type=%zz"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := e.http.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		e.assertJSON(t, res, string(body), codes.InvalidRequest.Err())
	})
}

// TestToken_Refresh: the refresh_token grant, and a scope beyond the one
// granted (invalid_scope, RFC 6749 6).
func TestToken_Refresh(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	demo := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI)
	tok, err := demo.Exchange(e.ctx(), e.code(authorizeQuery(map[string]string{"scope": "openid offline_access"})))
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)

	res, body := e.do(http.MethodPost, "/oauth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid profile"},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	e.assertJSON(t, res, body, codes.InvalidScope.Err())

	next, err := demo.TokenSource(e.ctx(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.NoError(t, err)
	assert.NotEmpty(t, next.AccessToken)
	assert.NotEqual(t, tok.RefreshToken, next.RefreshToken)
}

// TestToken_Success: x/oauth2 gets op's own token answer.
func TestToken_Success(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	tok, err := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI).Exchange(e.ctx(), e.code(authorizeQuery(nil)))
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.NotEmpty(t, tok.Extra("id_token"))
}

// TestToken_LibraryFailures: Storage failures and panics are server_error
// (500) with nothing of the cause in the answer.
func TestToken_LibraryFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(*faults)
	}{
		{"client lookup fails", func(f *faults) { f.clientDown.Store(true) }},
		{"client lookup panics", func(f *faults) { f.clientPanics.Store(true) }},
		{"secret check fails (oidc server_error)", func(f *faults) { f.secretDown.Store(true) }},
		{"code lookup fails", func(f *faults) { f.codeDown.Store(true) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, zitadelauthredirect.Config{})
			code := e.code(authorizeQuery(nil))
			tt.fault(e.f)
			_, err := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI).Exchange(e.ctx(), code)
			e.assertRetrieveError(t, err, codes.ServerError.Err())
		})
	}
	t.Run("storage answers temporarily_unavailable: 503 with Retry-After", func(t *testing.T) {
		e := newEnv(t, zitadelauthredirect.Config{})
		code := e.code(authorizeQuery(nil))
		e.f.codeBusy.Store(true)
		_, err := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI).Exchange(e.ctx(), code)
		e.assertRetrieveError(t, err, codes.TemporarilyUnavailable.Err())
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, http.StatusServiceUnavailable, re.Response.StatusCode)
		assert.NotEmpty(t, re.Response.Header.Get("Retry-After"))
	})
	t.Run("refresh token lookup fails", func(t *testing.T) {
		e := newEnv(t, zitadelauthredirect.Config{})
		e.f.refreshDown.Store(true)
		_, err := e.oauth2Config(app.ClientID, app.ClientSecret, app.RedirectURI).TokenSource(e.ctx(), &oauth2.Token{RefreshToken: "r"}).Token()
		e.assertRetrieveError(t, err, codes.ServerError.Err())
		assert.False(t, errors.Is(err, context.Canceled))
	})
}
