package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

const authorizeQuery = "response_type=code&client_id=demo&redirect_uri=http%3A%2F%2Flocalhost%3A8081%2Fcallback&scope=openid&state=s1"

// send makes one request to the example and returns its answer with the
// body read.
func send(t *testing.T, client *http.Client, method, target, contentType, body string, basic ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

// TestExample_AuthorizeAnswers: one answer per failure at the authorization
// endpoint, each a 303 with the contract's headers and exactly one Location.
func TestExample_AuthorizeAnswers(t *testing.T) {
	base, client := serve(t)
	const form = "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, method, query, contentType, body, location string
	}{
		{"PUT", http.MethodPut, authorizeQuery, "", "", "/ooops?oauth_exception=invalid_request"},
		{"no response_type", http.MethodGet, strings.Replace(authorizeQuery, "response_type=code&", "", 1), "", "", "/ooops?oauth_exception=invalid_request"},
		{"response_type not code or token", http.MethodGet, strings.Replace(authorizeQuery, "response_type=code", "response_type=magic", 1), "", "", "/ooops?oauth_exception=unsupported_response_type"},
		{"prompt=none without a session", http.MethodGet, authorizeQuery + "&prompt=none", "", "", app.RedirectURI + "?error=login_required&state=s1"},
		{"multipart POST", http.MethodPost, "", "multipart/form-data; boundary=b", "--b--\r\n", "/ooops?oauth_exception=invalid_request"},
		{"body over the limit", http.MethodPost, "", form, authorizeQuery + "&nonce=" + strings.Repeat("n", app.MaxBodyBytes), "/ooops?oauth_exception=invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := send(t, client, tt.method, base+"/oauth/authorize?"+tt.query, tt.contentType, tt.body)
			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, []string{tt.location}, res.Header.Values("Location"))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
			assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
			assert.Empty(t, body)
		})
	}
	t.Run("POST accepted", func(t *testing.T) {
		res, _ := send(t, client, http.MethodPost, base+"/oauth/authorize", form, authorizeQuery)
		assert.Equal(t, http.StatusFound, res.StatusCode)
		assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/?authRequestID="), res.Header.Get("Location"))
	})
}

// TestExample_LoopGuard: the 4th arrival of one browser for one client
// within 30 s ends on the error page with to_many_redirects.
func TestExample_LoopGuard(t *testing.T) {
	base, client := serve(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client.Jar = jar
	for i := 1; i <= 4; i++ {
		res, _ := send(t, client, http.MethodGet, base+"/oauth/authorize?"+authorizeQuery, "", "")
		if i < 4 {
			assert.Equal(t, http.StatusFound, res.StatusCode, "arrival %d", i)
			continue
		}
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, []string{"/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"}, res.Header.Values("Location"))
	}
}

// TestExample_TokenAnswers: the token endpoint's failures as the contract's
// JSON (RFC 6749 5.2).
func TestExample_TokenAnswers(t *testing.T) {
	base, client := serve(t)
	const form = "application/x-www-form-urlencoded"
	code := "grant_type=authorization_code&code=nope&redirect_uri=" + url.QueryEscape(app.RedirectURI)
	for _, tt := range []struct {
		name, body    string
		basic         []string
		error, detail string
	}{
		{"missing client", code, nil, "unauthorized_client", ""},
		{"unknown client", code, []string{"nope", "x"}, "unauthorized_client", "client_id_not_found"},
		{"wrong secret", code, []string{app.ClientID, "wrong"}, "unauthorized_client", ""},
		{"unknown refresh token", "grant_type=refresh_token&refresh_token=nope", []string{app.ClientID, app.ClientSecret}, "unauthorized_client", ""},
		{"client_credentials", "grant_type=client_credentials", []string{app.ClientID, app.ClientSecret}, "unsupported_grant_type", ""},
		{"unknown code", code, []string{app.ClientID, app.ClientSecret}, "invalid_grant", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := send(t, client, http.MethodPost, base+"/oauth/token", form, tt.body, tt.basic...)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			var got map[string]string
			require.NoError(t, json.Unmarshal([]byte(body), &got))
			assert.Equal(t, tt.error, got["error"])
			assert.Equal(t, tt.detail, got["exception_details"])
		})
	}
}

// TestExample_OpEndpoints: discovery lists only what is served, op's
// endpoints that are not configured are not served, and op's failures
// carry none of op's or the storage's text.
func TestExample_OpEndpoints(t *testing.T) {
	base, client := serve(t)
	res, body := send(t, client, http.MethodGet, base+"/.well-known/openid-configuration", "", "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	for _, absent := range []string{"introspection_endpoint", "revocation_endpoint", "device_authorization_endpoint",
		"introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
		assert.NotContains(t, doc, absent)
	}
	assert.Equal(t, []any{"authorization_code", "refresh_token"}, doc["grant_types_supported"])
	for name, path := range map[string]string{
		"authorization_endpoint": "/oauth/authorize", "token_endpoint": "/oauth/token", "userinfo_endpoint": "/userinfo",
		"jwks_uri": "/keys", "end_session_endpoint": "/end_session",
	} {
		assert.Equal(t, base+path, doc[name], name)
	}

	res, _ = send(t, client, http.MethodGet, base+"/keys", "", "")
	assert.Equal(t, http.StatusOK, res.StatusCode)

	for _, path := range []string{"/oauth/introspect", "/device_authorization", "/revoke", "/healthz", "/ready"} {
		res, body := send(t, client, http.MethodPost, base+path, "application/x-www-form-urlencoded", "client_id=nope&token=x")
		assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
		assert.NotContains(t, body, "client")
	}

	for _, tt := range []struct {
		name, method, path, contentType, body, auth string
		status                                      int
		error                                       string
	}{
		{"userinfo without a token", http.MethodGet, "/userinfo", "", "", "", 401, "unauthorized"},
		{"userinfo with a bad token", http.MethodGet, "/userinfo", "", "", "Bearer nope", 401, "unauthorized"},
		{"userinfo, multipart", http.MethodPost, "/userinfo", "multipart/form-data; boundary=b", "--b--\r\n", "", 400, "invalid_request"},
		{"end_session with a bad id_token_hint", http.MethodGet, "/end_session?id_token_hint=nope", "", "", "", 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := client.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Equal(t, tt.status, res.StatusCode, string(b))
			var got map[string]string
			require.NoError(t, json.Unmarshal(b, &got), string(b))
			assert.Equal(t, tt.error, got["error"])
			if tt.status == http.StatusUnauthorized {
				assert.True(t, strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer"), "RFC 6750's challenge: %q", res.Header.Get("WWW-Authenticate"))
			}
			assert.NotContains(t, string(b), "access token") // op's own text
			assert.NotContains(t, string(b), "id_token_hint")
		})
	}
}
