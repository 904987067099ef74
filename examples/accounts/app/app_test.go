package app_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/examples/accounts/app"
	"github.com/authredirect/authredirect/middleware"
)

// site is the example server on a real listener, with a browser-like client
// that keeps cookies and does not follow redirects.
type site struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newSite(t *testing.T) *site {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := app.New(app.Config{Base: base, CookieKey: []byte("0123456789abcdef0123456789abcdef"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &site{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type reply struct {
	status   int
	location string
	header   http.Header
	body     string
}

func (s *site) do(method, path string, form url.Values, header http.Header) reply {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.base+path, body)
	require.NoError(s.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header.Get("Location"), res.Header, string(b)}
}

func (s *site) get(path string) reply { return s.do(http.MethodGet, path, nil, nil) }

// forgetLoopCount drops the loop guard's cookie: the tests arrive at the
// authorization endpoint more often than the guard allows in 30 seconds.
func (s *site) forgetLoopCount() {
	u, _ := url.Parse(s.base)
	s.client.Jar.SetCookies(u, []*http.Cookie{{Name: "authredirect_loop", Path: "/", MaxAge: -1}})
}

func (s *site) loginAsJane() {
	s.t.Helper()
	r := s.do(http.MethodPost, "/login", url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}}, nil)
	require.Equal(s.t, http.StatusSeeOther, r.status)
	require.Equal(s.t, "/account", r.location)
}

// OpenID providers accept the authorization request by POST too: the
// form goes on as a GET, a parameter in both the query and the body is
// a repeated one.
func TestAuthorize_PostGoesOnAsGet(t *testing.T) {
	s := newSite(t)
	form := url.Values{"response_type": {"code"}, "client_id": {"demo"}, "scope": {"profile"}, "state": {"xyz"}}
	r := s.do(http.MethodPost, "/oauth/authorize", form, nil)
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "/oauth/authorize?client_id=demo&response_type=code&scope=profile&state=xyz", r.location)

	r = s.do(http.MethodPost, "/oauth/authorize?client_id=demo", form, nil)
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, s.base+"/ooops?oauth_exception=invalid_request", r.location)
}

func TestAuthorize(t *testing.T) {
	s := newSite(t)
	ooops := s.base + "/ooops?oauth_exception="
	const ok = "/oauth/authorize?response_type=code&client_id=demo&scope=profile&state=xyz"
	for _, tc := range []struct {
		name, method, path, location string
	}{
		{"another method", http.MethodPut, ok, ooops + "invalid_request"},
		{"POST goes on as the GET of its parameters", http.MethodPost, ok, "/oauth/authorize?client_id=demo&response_type=code&scope=profile&state=xyz"},
		{"a repeated parameter", http.MethodGet, ok + "&client_id=demo", ooops + "invalid_request"},
		{"no client_id", http.MethodGet, "/oauth/authorize?response_type=code", ooops + "unauthorized_client"},
		{"unknown client", http.MethodGet, "/oauth/authorize?response_type=code&client_id=nope", ooops + "unauthorized_client&exception_details=client_id_not_found"},
		{"client without redirect URI", http.MethodGet, "/oauth/authorize?response_type=code&client_id=unconfigured", ooops + "unauthorized_client&exception_details=redirect_uri_not_set"},
		{"unregistered redirect URI", http.MethodGet, ok + "&redirect_uri=" + url.QueryEscape("https://evil.example/cb"), ooops + "unauthorized_client&exception_details=invalid_redirect_uri"},
		{"response type", http.MethodGet, "/oauth/authorize?response_type=id_token&client_id=demo", ooops + "unsupported_response_type"},
		{"unknown scope", http.MethodGet, "/oauth/authorize?response_type=code&client_id=demo&scope=admin", ooops + "invalid_scope"},
		{"no session: sign in first, the flow carried", http.MethodGet, ok + "&nonce=n", "/?response_type=code&client_id=demo&state=xyz&scope=profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.forgetLoopCount()
			r := s.do(tc.method, tc.path, nil, nil)
			assert.Equal(t, http.StatusSeeOther, r.status)
			assert.Equal(t, tc.location, r.location)
		})
	}

	s.loginAsJane()
	s.forgetLoopCount()
	r := s.get("/oauth/authorize?response_type=code&client_id=demo&scope=profile+chats")
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, ooops+"missing_grant", r.location, "chats was never granted")

	r = s.get(ok)
	assert.Equal(t, http.StatusFound, r.status)
	loc, err := url.Parse(r.location)
	require.NoError(t, err)
	assert.Equal(t, s.base+"/demo/callback", loc.Scheme+"://"+loc.Host+loc.Path)
	assert.Equal(t, "xyz", loc.Query().Get("state"))
	assert.True(t, strings.HasPrefix(loc.Query().Get("code"), "code-"))

	page := s.get(loc.RequestURI())
	assert.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.body, loc.Query().Get("code"))
}

func tokenError(t *testing.T, r reply, status int, code codes.Code) {
	t.Helper()
	assert.Equal(t, status, r.status)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.body), &got), r.body)
	assert.Equal(t, map[string]string{"error": code.Name(), "error_description": code.Description()}, got)
}

func TestToken(t *testing.T) {
	s := newSite(t)
	post := func(form url.Values) reply { return s.do(http.MethodPost, "/oauth/token", form, nil) }
	demo := func(extra url.Values) url.Values {
		f := url.Values{"client_id": {"demo"}, "client_secret": {"demo-secret"}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	tokenError(t, post(demo(url.Values{"grant_type": {"client_credentials"}})), 400, codes.UnsupportedGrantType)
	tokenError(t, post(demo(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-expired"}})), 400, codes.InvalidGrant)
	tokenError(t, post(demo(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-nope"}})), 400, codes.UnauthorizedClient)
	tokenError(t, post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-demo"}, "client_id": {"demo"}, "client_secret": {"wrong"}}), 400, codes.UnauthorizedClient)
	r := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-demo"}, "client_id": {"loopy"}, "client_secret": {"loopy-secret"}})
	tokenError(t, r, 401, codes.InvalidClient)
	assert.Equal(t, `Basic realm="accounts"`, r.header.Get("WWW-Authenticate"))
	tokenError(t, post(demo(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-demo"}, "scope": {"profile chats"}})), 403, codes.AccessDenied)
	tokenError(t, s.get("/oauth/token"), 400, codes.InvalidRequest)

	// Valid refresh, with HTTP Basic client authentication.
	r = s.do(http.MethodPost, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-demo"}},
		http.Header{"Authorization": {"Basic " + basic("demo", "demo-secret")}})
	assert.Equal(t, http.StatusOK, r.status)
	var tok map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &tok))
	assert.Equal(t, "Bearer", tok["token_type"])
	assert.Equal(t, "rt-demo", tok["refresh_token"], "not rotated, so the demo can be replayed")
	assert.Equal(t, "profile", tok["scope"])
	assert.NotEmpty(t, tok["access_token"])

	// An authorization code is good once.
	s.loginAsJane()
	loc, _ := url.Parse(s.get("/oauth/authorize?response_type=code&client_id=demo").location)
	code := loc.Query().Get("code")
	exchange := demo(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.base + "/demo/callback"}})
	assert.Equal(t, http.StatusOK, post(exchange).status)
	tokenError(t, post(exchange), 400, codes.InvalidGrant)
}

// RFC 6749 §2.3.1: the client authenticates with HTTP Basic (RFC 7617: the
// scheme is case-insensitive; id and secret form-urlencoded inside) or with
// the form, never both; an Authorization header that is not well-formed
// Basic is invalid_client, never a fall-back to the form.
func TestToken_ClientAuthentication(t *testing.T) {
	s := newSite(t)
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	formCreds := url.Values{"client_id": {"demo"}, "client_secret": {"demo-secret"}}
	const challenge = `Basic realm="accounts"`
	for _, tc := range []struct {
		name          string
		authorization []string
		form          url.Values // besides the grant
		status        int
		code          codes.Code // for a status other than 200
		challenge     string
	}{
		{"Basic", []string{"Basic " + b64("demo:demo-secret")}, nil, 200, codes.Code{}, ""},
		{"form", nil, formCreds, 200, codes.Code{}, ""},
		{"Basic scheme in lower case", []string{"basic " + b64("demo:demo-secret")}, nil, 200, codes.Code{}, ""},
		{"Basic scheme in upper case", []string{"BASIC " + b64("demo:demo-secret")}, nil, 200, codes.Code{}, ""},
		{"Basic id and secret form-urlencoded", []string{"Basic " + b64("dem%6F:demo%2Dsecret")}, nil, 200, codes.Code{}, ""},
		{"Basic, and the form names the same client", []string{"Basic " + b64("demo:demo-secret")}, url.Values{"client_id": {"demo"}}, 200, codes.Code{}, ""},

		{"Basic and form credentials", []string{"Basic " + b64("demo:demo-secret")}, formCreds, 400, codes.InvalidRequest, ""},
		{"Basic and a form secret", []string{"Basic " + b64("demo:demo-secret")}, url.Values{"client_secret": {"demo-secret"}}, 400, codes.InvalidRequest, ""},
		{"Basic and another form client", []string{"Basic " + b64("demo:demo-secret")}, url.Values{"client_id": {"loopy"}}, 400, codes.InvalidRequest, ""},
		{"two Authorization headers", []string{"Basic " + b64("demo:demo-secret"), "Basic " + b64("demo:demo-secret")}, nil, 400, codes.InvalidRequest, ""},

		{"Basic that is not base64, form credentials ignored", []string{"Basic %%%"}, formCreds, 401, codes.InvalidClient, challenge},
		{"Basic without a colon, form credentials ignored", []string{"Basic " + b64("demodemo-secret")}, formCreds, 401, codes.InvalidClient, challenge},
		{"Basic with nothing", []string{"Basic"}, formCreds, 401, codes.InvalidClient, challenge},
		{"empty Authorization", []string{""}, formCreds, 401, codes.InvalidClient, challenge},
		{"Basic not form-urlencoded", []string{"Basic " + b64("demo%zz:demo-secret")}, nil, 401, codes.InvalidClient, challenge},
		{"another scheme, form credentials ignored", []string{"Bearer at-123"}, formCreds, 401, codes.InvalidClient, challenge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-demo"}}
			for k, v := range tc.form {
				form[k] = v
			}
			r := s.do(http.MethodPost, "/oauth/token", form, http.Header{"Authorization": tc.authorization})
			assert.Equal(t, tc.challenge, r.header.Get("WWW-Authenticate"))
			if tc.status != http.StatusOK {
				tokenError(t, r, tc.status, tc.code)
				return
			}
			assert.Equal(t, http.StatusOK, r.status, r.body)
			var tok map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.body), &tok), r.body)
			assert.Equal(t, "rt-demo", tok["refresh_token"])
		})
	}
}

func basic(id, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestLogin(t *testing.T) {
	s := newSite(t)
	login := s.base + "/?identity_exception="
	for _, tc := range []struct {
		name, email, password, location string
	}{
		{"unknown email", "nobody@example.com", "x", login + "unauthorized"},
		{"wrong password", "jane@example.com", "nope", login + "unauthorized&entity_id=u-jane"},
		{"credentials login disabled", "sso@example.com", "x", login + "credentials_login_disabled"},
		{"banned", "banned@example.com", "banned-password", login + "access_denied"},
		{"storage down", "storage-down@example.com", "x", login + "server_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(http.MethodPost, "/login", url.Values{"email": {tc.email}, "password": {tc.password}}, nil)
			assert.Equal(t, http.StatusSeeOther, r.status)
			assert.Equal(t, tc.location, r.location)
			assert.NotContains(t, r.body+r.location, "10.0.0.5", "the storage error never leaks")
		})
	}
	t.Run("body that does not parse", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/login", strings.NewReader("email=%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := s.client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, login+"invalid_request", res.Header.Get("Location"))
	})
	t.Run("cross-origin post", func(t *testing.T) {
		r := s.do(http.MethodPost, "/login", url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}},
			http.Header{"Sec-Fetch-Site": {"cross-site"}})
		assert.Equal(t, login+"invalid_request", r.location)
	})
	t.Run("success goes to next, local paths only", func(t *testing.T) {
		r := s.do(http.MethodPost, "/login?next="+url.QueryEscape("/account?tab=1"), url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}}, nil)
		assert.Equal(t, "/account?tab=1", r.location)
		assert.Contains(t, r.header.Get("Set-Cookie"), "HttpOnly")
		for _, evil := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
			r = s.do(http.MethodPost, "/login?next="+url.QueryEscape(evil), url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}}, nil)
			assert.Equal(t, "/account", r.location, evil)
		}
	})
}

// Passwords and client secrets are compared in constant time (see
// TestSecrets_ComparedInConstantTime); the answers stay exact: only the
// very value is right, whatever its length.
func TestCredentials_ExactAnswers(t *testing.T) {
	s := newSite(t)
	login := s.base + "/?identity_exception="
	for _, tc := range []struct{ password, location string }{
		{"jane-password", "/account"},
		{"jane-passworD", login + "unauthorized&entity_id=u-jane"},
		{"jane-passwor", login + "unauthorized&entity_id=u-jane"},
		{"jane-password-", login + "unauthorized&entity_id=u-jane"},
		{"", login + "unauthorized&entity_id=u-jane"},
	} {
		t.Run("password "+tc.password, func(t *testing.T) {
			r := s.do(http.MethodPost, "/login", url.Values{"email": {"jane@example.com"}, "password": {tc.password}}, nil)
			assert.Equal(t, http.StatusSeeOther, r.status)
			assert.Equal(t, tc.location, r.location)
		})
	}
	for _, tc := range []struct {
		secret string
		ok     bool
	}{
		{"demo-secret", true},
		{"demo-secreT", false},
		{"demo-secre", false},
		{"demo-secret-", false},
		{"", false},
	} {
		t.Run("client secret "+tc.secret, func(t *testing.T) {
			r := s.do(http.MethodPost, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-demo"},
				"client_id": {"demo"}, "client_secret": {tc.secret}}, nil)
			if !tc.ok {
				tokenError(t, r, http.StatusBadRequest, codes.UnauthorizedClient)
				return
			}
			assert.Equal(t, http.StatusOK, r.status, r.body)
		})
	}
}

func TestAccountAndLogout(t *testing.T) {
	s := newSite(t)
	r := s.get("/account")
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "/?next=%2Faccount", r.location)

	s.loginAsJane()
	r = s.get("/account")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "jane@example.com")

	assert.Equal(t, "/", s.do(http.MethodPost, "/logout", url.Values{}, nil).location)
	r = s.get("/account")
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, s.base+"/?identity_exception=identity_lost", r.location)
}

func TestDemoRoutes(t *testing.T) {
	s := newSite(t)
	r := s.get("/demo/boom")
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, s.base+"/ooops?oauth_exception=server_error", r.location)
	assert.NotContains(t, r.body, "boom")

	r = s.get("/demo/maintenance")
	assert.Equal(t, s.base+"/ooops?oauth_exception=temporarily_unavailable", r.location)

	r = s.get("/demo/loop")
	assert.Equal(t, http.StatusFound, r.status)
	assert.Equal(t, "/oauth/authorize?response_type=code&client_id=loopy&scope=profile&state=again", r.location)

	// A logged-in browser that follows the loop ends on the error page.
	s.loginAsJane()
	s.client.CheckRedirect = nil
	res, err := s.client.Get(s.base + "/demo/loop")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "/ooops", res.Request.URL.Path)
	assert.Equal(t, "oauth_exception=invalid_request&exception_details=to_many_redirects", res.Request.URL.RawQuery)
	assert.Contains(t, string(body), "<code>invalid_request / to_many_redirects</code>")
	assert.Contains(t, string(body), "Your browser was sent back and forth between the app and this service too many times.")
}

func TestPages(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		path     string
		contains []string
	}{
		{"/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found",
			[]string{"<title>This app cannot sign you in</title>", "The app that sent you here is not known to this service.",
				"<code>unauthorized_client / client_id_not_found</code>", `href="mailto:support@example.com"`}},
		{"/ooops?oauth_exception=%3Cscript%3Ealert(1)%3C/script%3E", []string{"Nothing went wrong"}},
		{"/ooops", []string{"Nothing went wrong"}},
		{"/?identity_exception=unauthorized&entity_id=u-jane", []string{"Wrong e-mail or password", `<form method="post" action="/login">`}},
		{"/?identity_exception=%3Cimg%20src=x%20onerror=alert(1)%3E", []string{"We could not read the error in this address."}},
		{"/?next=" + url.QueryEscape(`/x"><script>`), []string{`action="/login?next=%2Fx%22%3E%3Cscript%3E"`}},
		{"/?lang=de", []string{`<html lang="de">`, "<title>Anmelden</title>", `<label for="email">E-Mail-Adresse</label>`}},
		{"/", []string{"Sign in"}},
	} {
		r := s.get(tc.path)
		assert.Equal(t, http.StatusOK, r.status, tc.path)
		assert.Empty(t, r.location, tc.path)
		for _, c := range tc.contains {
			assert.Contains(t, r.body, c, tc.path)
		}
		assert.NotContains(t, r.body, "<script>", tc.path)
		assert.NotContains(t, r.body, "u-jane", "an internal identifier is never shown")
		assert.NotContains(t, r.body, codes.UnauthorizedClient.Description(), "developer descriptions are for logs")
		assert.NotContains(t, r.body, "<img", tc.path)
	}
}

// Every page the server shows refuses to be framed (clickjacking): its own
// pages with both headers, the error page with the renderer's CSP too.
func TestPages_RefuseFraming(t *testing.T) {
	const ownCSP = "frame-ancestors 'none'"
	const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" // render.Page's
	s := newSite(t)
	s.loginAsJane()
	for _, tc := range []struct {
		path, csp string
	}{
		{"/", ownCSP},
		{"/?identity_exception=unauthorized", ownCSP},
		{"/account", ownCSP},
		{"/demo/callback?code=c&state=s", ownCSP},
		{"/ooops?oauth_exception=invalid_request", pageCSP},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := s.get(tc.path)
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, []string{tc.csp}, r.header.Values("Content-Security-Policy"))
			assert.Equal(t, []string{"DENY"}, r.header.Values("X-Frame-Options"))
		})
	}
}

func TestNew_RefusesBadBase(t *testing.T) {
	for _, base := range []string{"", "ftp://x", "http://", "http://x/path", "/relative"} {
		_, err := app.New(app.Config{Base: base})
		assert.Error(t, err, base)
	}
}

// Routes carry no method in their ServeMux pattern: a wrong method is the
// contract's invalid_request of the route's family, never ServeMux's 405.
func TestWrongMethodIsTheContractsInvalidRequest(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct{ method, path, location string }{
		{http.MethodPost, "/account", s.base + "/?identity_exception=invalid_request"},
		{http.MethodDelete, "/", s.base + "/?identity_exception=invalid_request"}, // not a fetch of the page: no loop
		{http.MethodGet, "/login", s.base + "/?identity_exception=invalid_request"},
		{http.MethodPut, "/oauth/authorize", s.base + "/ooops?oauth_exception=invalid_request"},
		{http.MethodPost, "/demo/callback", s.base + "/ooops?oauth_exception=invalid_request"},
	} {
		r := s.do(tc.method, tc.path, nil, nil)
		assert.Equal(t, http.StatusSeeOther, r.status, "%s %s", tc.method, tc.path)
		assert.Equal(t, tc.location, r.location, "%s %s", tc.method, tc.path)
	}
}

// TestNew_Observer: Config.Observer hears every failure instead of the
// default logger.
func TestNew_Observer(t *testing.T) {
	var heard []string
	var mu sync.Mutex
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := app.New(app.Config{Base: base, Observer: func(ev middleware.Event) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, ev.Outcome.String()+" "+ev.Err.Code().Name())
	}})
	require.NoError(t, err)
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/demo/maintenance", "/oauth/authorize?response_type=code&client_id=nope"} {
		res, err := client.Get(base + path)
		require.NoError(t, err)
		res.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"redirected temporarily_unavailable", "redirected unauthorized_client"}, heard)
}

// TestCookies_SecureBehindATLSProxy: with an https Base the server sits
// behind a TLS proxy and sees plain http; its cookies must still be Secure
// (the loop cookie with its __Host- name), or a browser would send them
// over http too.
func TestCookies_SecureBehindATLSProxy(t *testing.T) {
	h, err := app.New(app.Config{Base: "https://accounts.example.com", Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	res, err := client.PostForm(srv.URL+"/login", url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Len(t, res.Cookies(), 1)
	assert.True(t, res.Cookies()[0].Secure, "session cookie: %s", res.Header.Get("Set-Cookie"))

	res, err = client.Get(srv.URL + "/oauth/authorize?client_id=demo&response_type=code&redirect_uri=" + url.QueryEscape("https://accounts.example.com/demo/callback"))
	require.NoError(t, err)
	res.Body.Close()
	var loop *http.Cookie
	for _, c := range res.Cookies() {
		if strings.Contains(c.Name, "authredirect_loop") {
			loop = c
		}
	}
	require.NotNil(t, loop, "%v", res.Header["Set-Cookie"])
	assert.Equal(t, "__Host-authredirect_loop", loop.Name)
	assert.True(t, loop.Secure)
}

// TestLogin_KeepsTheFlow: authorize → login page with the flow → wrong
// password (the error and the flow come back; the address this browser
// typed is prefilled, the password field focused) → right password → back
// into authorize → the client's redirect URI with a code.
func TestLogin_KeepsTheFlow(t *testing.T) {
	s := newSite(t)
	cb := s.base + "/demo/callback"
	flow := "response_type=code&client_id=demo&redirect_uri=" + url.QueryEscape(cb) + "&state=st+1&scope=profile"

	r := s.get("/oauth/authorize?" + flow)
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/?"+flow, r.location)
	page := s.get(r.location)
	assert.Contains(t, page.body, `<form method="post" action="/login?`+strings.NewReplacer("&", "&amp;", "+", "&#43;").Replace(flow)+`">`)

	r = s.do(http.MethodPost, "/login?"+flow, url.Values{"email": {"Jane@example.com"}, "password": {"wrong"}}, nil)
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, s.base+"/?identity_exception=unauthorized&entity_id=u-jane&"+flow, r.location)
	page = s.get(strings.TrimPrefix(r.location, s.base))
	assert.Contains(t, page.body, `<div class="alert" role="alert" id="error">`)
	assert.Contains(t, page.body, `<form method="post" action="/login?`+strings.NewReplacer("&", "&amp;", "+", "&#43;").Replace(flow)+`">`)
	assert.Contains(t, page.body, `value="jane@example.com"`)
	assert.Contains(t, page.body, `id="password" autocomplete="current-password" required aria-describedby="hint error" aria-invalid="true" autofocus>`)
	assert.NotContains(t, page.body, "u-jane")

	// A stranger with the same address learns nothing: no typed address.
	stranger := newSite(t)
	other := stranger.get("/?identity_exception=unauthorized&entity_id=u-jane")
	assert.NotContains(t, other.body, "jane@example.com")
	assert.Contains(t, other.body, `id="email" autocomplete="username" required aria-describedby="hint error" aria-invalid="true" autofocus>`)

	r = s.do(http.MethodPost, "/login?"+flow, url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}}, nil)
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/oauth/authorize?"+flow, r.location)
	assert.Contains(t, r.header.Values("Set-Cookie"), "login_email=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax", "the typed address is forgotten")

	r = s.get(r.location)
	require.Equal(t, http.StatusFound, r.status)
	loc, err := url.Parse(r.location)
	require.NoError(t, err)
	assert.Equal(t, cb, loc.Scheme+"://"+loc.Host+loc.Path)
	assert.Equal(t, "st 1", loc.Query().Get("state"))
	assert.True(t, strings.HasPrefix(loc.Query().Get("code"), "code-"))
}

// TestLoginPage_Language: the login page and its error speak the
// language negotiated from Accept-Language, or the one picked with ?lang,
// which a failed sign-in carries.
func TestLoginPage_Language(t *testing.T) {
	s := newSite(t)
	r := s.do(http.MethodGet, "/?identity_exception=identity_lost", nil, http.Header{"Accept-Language": {"pl-PL,pl;q=0.9,en;q=0.5"}})
	assert.Contains(t, r.body, `<html lang="pl">`)
	assert.Contains(t, r.body, "<title>Wylogowano Cię – Zaloguj się</title>")
	assert.Contains(t, r.body, `<label for="password">Hasło</label>`)

	r = s.do(http.MethodPost, "/login?lang=ja", url.Values{"email": {"nobody@example.com"}, "password": {"x"}}, nil)
	assert.Equal(t, s.base+"/?identity_exception=unauthorized&lang=ja", r.location)
	r = s.do(http.MethodGet, strings.TrimPrefix(r.location, s.base), nil, http.Header{"Accept-Language": {"de"}})
	assert.Contains(t, r.body, `<html lang="ja">`)
	assert.Contains(t, r.body, "メールアドレスまたはパスワードが違います")
	assert.Contains(t, r.body, `action="/login?lang=ja"`)
}
