package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// serve runs the example's server on a loopback port, as run does.
func serve(t *testing.T) (string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	h, err := app.New(app.Config{Base: base, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := newServer(h)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return base, client
}

// TestExample_UnknownClient is the request of the README, over real HTTP.
func TestExample_UnknownClient(t *testing.T) {
	base, client := serve(t)
	res, err := client.Get(base + "/oauth/authorize?response_type=code&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", res.Header.Get("Location"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))

	res, err = client.Get(base + res.Header.Get("Location"))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), "unauthorized_client")
}

// TestExample_SignIn: the whole flow of the demo client, through the login
// form, to a code at the client and tokens from the token endpoint.
func TestExample_SignIn(t *testing.T) {
	base, client := serve(t)
	res, err := client.Get(base + "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid+profile&state=s1")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	login, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/", login.Path)

	res, err = client.Get(base + login.String())
	require.NoError(t, err)
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(form), `name="password"`)

	res, err = client.PostForm(base+"/login", url.Values{
		"authRequestID": {login.Query().Get("authRequestID")}, "email": {"test-user@127.0.0.1"}, "password": {"verysecure"},
	})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, err = client.Get(base + res.Header.Get("Location"))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	cb, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(cb.String(), app.RedirectURI+"?"), cb.String())
	assert.Equal(t, "s1", cb.Query().Get("state"))

	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {app.RedirectURI},
	}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	res, err = client.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Contains(t, string(body), `"access_token"`)
}

// TestExample_Login: the login form's failures go to the login page (/)
// with the contract's identity_exception, the auth request carried back.
func TestExample_Login(t *testing.T) {
	base, client := serve(t)
	res, err := client.Get(base + "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid")
	require.NoError(t, err)
	res.Body.Close()
	login, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	id := login.Query().Get("authRequestID")
	for _, tt := range []struct{ name, body, location string }{
		{"unknown account", "email=nobody%40example.com&password=wrong", "/?identity_exception=unauthorized&authRequestID=" + id},
		{"wrong password", "email=test-user%40127.0.0.1&password=wrong", "/?identity_exception=unauthorized&entity_id=id1&authRequestID=" + id},
		{"malformed body", "email=%zz&password=wrong", "/?identity_exception=invalid_request&authRequestID=" + id},
		{"no password", "email=test-user%40127.0.0.1", "/?identity_exception=invalid_request&authRequestID=" + id},
		{"email twice", "email=a&email=b&password=wrong", "/?identity_exception=invalid_request&authRequestID=" + id},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"/login?"+login.RawQuery, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := client.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, []string{tt.location}, res.Header.Values("Location"))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
			assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
		})
	}
}

// TestExample_CrossOriginLogin: a login form posted from another site is
// refused with the authentication invalid_request.
func TestExample_CrossOriginLogin(t *testing.T) {
	base, client := serve(t)
	req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader("authRequestID=x&email=u&password=p"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/?identity_exception=invalid_request", res.Header.Get("Location"))
}

// TestExample_Timeouts: the server is bounded as examples/accounts is.
func TestExample_Timeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	assert.Equal(t, 5*time.Second, srv.ReadHeaderTimeout)
	assert.Equal(t, 15*time.Second, srv.ReadTimeout)
	assert.Equal(t, 30*time.Second, srv.WriteTimeout)
	assert.Equal(t, 2*time.Minute, srv.IdleTimeout)
	assert.Equal(t, 64<<10, srv.MaxHeaderBytes)
}
