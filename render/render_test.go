package render_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// newRenderer builds a Renderer; pages left empty are the contract's own.
func newRenderer(t testing.TB, cfg render.Config) *render.Renderer {
	t.Helper()
	if cfg.ErrorPage == "" {
		cfg.ErrorPage = render.ContractErrorPage
	}
	if cfg.LoginPage == "" {
		cfg.LoginPage = render.ContractLoginPage
	}
	r, err := render.New(cfg)
	require.NoError(t, err)
	return r
}

// allDetails is the four details and the zero Detail (no detail).
func allDetails() []codes.Detail { return append([]codes.Detail{{}}, codes.Details()...) }

func TestLocation_EveryCodeAndDetail(t *testing.T) {
	r := newRenderer(t, render.Config{})
	for _, c := range codes.All() {
		for _, d := range allDetails() {
			want := "https://accounts.livechatinc.com/ooops?oauth_exception=" + c.Name()
			if c.Kind() == codes.Authentication {
				want = "https://accounts.livechatinc.com/?identity_exception=" + c.Name()
			}
			if d.Valid() {
				want += "&exception_details=" + d.Name()
			}
			assert.Equal(t, want, r.Location(c.With(d)))
		}
	}
}

func TestLocation_Spelled(t *testing.T) {
	r := newRenderer(t, render.Config{})
	for _, tc := range []struct {
		err  *codes.Error
		want string
	}{
		{codes.InvalidScope.Err(), "https://accounts.livechatinc.com/ooops?oauth_exception=invalid_scope"},
		{codes.UnauthorizedClient.With(codes.ClientIDNotFound), "https://accounts.livechatinc.com/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"},
		{codes.InvalidRequest.With(codes.TooManyRedirects), "https://accounts.livechatinc.com/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"},
		{codes.Unauthorized.WithEntityID("u-jane"), "https://accounts.livechatinc.com/?identity_exception=unauthorized&entity_id=u-jane"},
		{codes.Unauthorized.With(codes.TooManyRedirects).WithEntityID("a.b_c-1"), "https://accounts.livechatinc.com/?identity_exception=unauthorized&exception_details=to_many_redirects&entity_id=a.b_c-1"},
		// entity_id goes with unauthorized only: the identity
		// is known but wrong.
		{codes.IdentityInvalidRequest.With(codes.TooManyRedirects).WithEntityID("a.b_c-1"), "https://accounts.livechatinc.com/?identity_exception=invalid_request&exception_details=to_many_redirects"},
		{codes.IdentityLost.WithEntityID("u-jane"), "https://accounts.livechatinc.com/?identity_exception=identity_lost"},
		// Invalid entity ids are dropped, never escaped into the URL.
		{codes.Unauthorized.WithEntityID("jane@example.com"), "https://accounts.livechatinc.com/?identity_exception=unauthorized"},
		{codes.Unauthorized.WithEntityID("x&oauth_exception=y"), "https://accounts.livechatinc.com/?identity_exception=unauthorized"},
		{codes.Unauthorized.WithEntityID(strings.Repeat("a", 129)), "https://accounts.livechatinc.com/?identity_exception=unauthorized"},
		// entity_id belongs to authentication errors only.
		{codes.AccessDenied.WithEntityID("u-jane"), "https://accounts.livechatinc.com/ooops?oauth_exception=access_denied"},
		// The cause never reaches the URL.
		{codes.ServerError.WithCause(errors.New("secret dsn=postgres://u:p@db")), "https://accounts.livechatinc.com/ooops?oauth_exception=server_error"},
	} {
		assert.Equal(t, tc.want, r.Location(tc.err))
	}
	assert.Equal(t, "", r.Location(nil))
}

func TestLocation_Targets(t *testing.T) {
	r := newRenderer(t, render.Config{
		ErrorPage:                   "/ooops?lang=en",
		LoginPage:                   "http://127.0.0.1:8080/login?",
		TooManyRedirectsNewSpelling: true,
	})
	assert.Equal(t, "/ooops?lang=en&oauth_exception=invalid_request&exception_details=too_many_redirects",
		r.Location(codes.InvalidRequest.With(codes.TooManyRedirects)))
	assert.Equal(t, "http://127.0.0.1:8080/login?identity_exception=identity_lost",
		r.Location(codes.IdentityLost.Err()))

	req := httptest.NewRequest(http.MethodGet, "/ooops?oauth_exception=x", nil)
	assert.True(t, r.IsTarget(req, codes.Authorization))
	assert.False(t, r.IsTarget(req, codes.Authentication))
	assert.False(t, r.IsTarget(req, codes.Kind(0)))
	assert.True(t, r.IsTarget(httptest.NewRequest(http.MethodGet, "/login", nil), codes.Authentication))
	assert.True(t, r.IsTarget(httptest.NewRequest(http.MethodHead, "/login", nil), codes.Authentication))
	// The login form posts to the login page's path: that is no fetch of
	// the page, and redirecting it cannot loop.
	assert.False(t, r.IsTarget(httptest.NewRequest(http.MethodPost, "/login", nil), codes.Authentication))
	assert.False(t, r.IsTarget(httptest.NewRequest(http.MethodPut, "/ooops", nil), codes.Authorization))

	// The path compared is the one the client asked for, whatever a
	// StripPrefix or router made of req.URL.Path since.
	stripped := httptest.NewRequest(http.MethodGet, "/login", nil)
	stripped.URL.Path = "/"
	assert.True(t, r.IsTarget(stripped, codes.Authentication))
	elsewhere := httptest.NewRequest(http.MethodGet, "/admin/login", nil)
	elsewhere.URL.Path = "/login"
	assert.False(t, r.IsTarget(elsewhere, codes.Authentication), "mounted under /admin, it is not the login page")
	for uri, want := range map[string]bool{
		"/login?identity_exception=x": true, "/log%69n": true, "http://127.0.0.1:8080/login?a=b": true,
		"/login/": false, "/%zz": false, "*": false, "http://127.0.0.1:8080": false,
		// The query is no path, even in the absolute form.
		"http://127.0.0.1:8080?/login": false, "/?x=/login": false, "/a://b/login": false,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RequestURI = uri
		assert.Equal(t, want, r.IsTarget(req, codes.Authentication), uri)
	}
	inCode, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080/login", nil)
	require.NoError(t, err)
	assert.True(t, r.IsTarget(inCode, codes.Authentication), "a request made in code has no RequestURI")

	// A target at the root: an empty path, or an authority alone, is the root.
	root := newRenderer(t, render.Config{ErrorPage: "/ooops", LoginPage: "https://accounts.example.com"})
	for uri, want := range map[string]bool{"/": true, "http://accounts.example.com": true, "http://accounts.example.com?x=/ooops": true, "/?a=b": true, "*": false} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RequestURI = uri
		assert.Equal(t, want, root.IsTarget(req, codes.Authentication), uri)
	}
	rootInCode, err := http.NewRequest(http.MethodGet, "https://accounts.example.com", nil)
	require.NoError(t, err)
	assert.True(t, root.IsTarget(rootInCode, codes.Authentication), "no path is the root")
}

// TestLocation_JoinsEveryQueryEnding: the contract's parameters start a
// parameter of their own whatever the target's query ends with (the fuzzer
// found "/??", whose query is "?", rendered as "/??oauth_exception=…").
func TestLocation_JoinsEveryQueryEnding(t *testing.T) {
	for target, want := range map[string]string{
		"/":        "/?oauth_exception=invalid_scope",
		"/?":       "/?oauth_exception=invalid_scope",
		"/??":      "/??&oauth_exception=invalid_scope",
		"/x?a=1":   "/x?a=1&oauth_exception=invalid_scope",
		"/x?a=1&":  "/x?a=1&oauth_exception=invalid_scope",
		"/x?a":     "/x?a&oauth_exception=invalid_scope",
		"/x?a=?":   "/x?a=?&oauth_exception=invalid_scope",
		"/x?&":     "/x?&oauth_exception=invalid_scope",
		"/x?a=1&&": "/x?a=1&&oauth_exception=invalid_scope",
	} {
		r := newRenderer(t, render.Config{ErrorPage: target, LoginPage: "/login"})
		loc := r.Location(codes.InvalidScope.Err())
		assert.Equal(t, want, loc, "target %q", target)
		u, err := url.Parse(loc)
		require.NoError(t, err)
		assert.Equal(t, []string{"invalid_scope"}, u.Query()["oauth_exception"], "target %q", target)
	}
}

func TestNew_RequiresBothPages(t *testing.T) {
	for _, cfg := range []render.Config{
		{},
		{ErrorPage: "/ooops"},
		{LoginPage: "/login"},
	} {
		_, err := render.New(cfg)
		assert.ErrorIs(t, err, render.ErrConfig, "%+v", cfg)
		assert.ErrorContains(t, err, "required", "%+v", cfg)
	}
	r, err := render.New(render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage})
	require.NoError(t, err, "the contract's own pages are a named choice")
	assert.Equal(t, "https://accounts.livechatinc.com/ooops?oauth_exception=invalid_scope", r.Location(codes.InvalidScope.Err()))
}

func TestNew_RefusesBadTargets(t *testing.T) {
	for _, bad := range []string{
		"ooops", "ooops/page", "./ooops", "//evil.example/ooops",
		"ftp://example.com/ooops", "javascript:alert(1)", "mailto:a@b.c",
		"https://user:pass@example.com/ooops", "https://user@example.com/",
		"https://example.com/ooops#frag", "/ooops#", "https:///ooops", "https://:443/x",
		"https://example.com/ oops", "https://example.com/\nx", "https://exa mple.com/",
		"https://example.com/ooops?oauth_exception=x", "/?entity_id=1", "/?a=%zz",
		"///", "///evil.example/", "/\\evil.example", "https://example.com\\@evil.example/",
		// A browser removes dot segments before it fetches, so such a page
		// would never be recognised as itself when it fails, and loop.
		"/pages/../ooops", "/./ooops", "/x/.", "/x/..", "/x/%2e%2e/ooops", "/%2E/x", "https://example.com/x/%2E%2e/ooops",
		// Authorities no browser follows.
		"https://example.com:99999/ooops", "https://example.com:8o8o/ooops", "https://exa<m>ple.com/ooops",
		"https://a|b/ooops", "https://exa%6dple.com/ooops", "http://[::1/x", "http://[zz::1]/x",
	} {
		_, err := render.New(render.Config{ErrorPage: bad, LoginPage: "/login"})
		assert.ErrorIs(t, err, render.ErrConfig, "error page %q", bad)
		_, err = render.New(render.Config{ErrorPage: "/ooops", LoginPage: bad})
		assert.ErrorIs(t, err, render.ErrConfig, "login page %q", bad)
	}
	for _, good := range []string{"/", "/ooops", "https://example.com", "http://localhost:8080/x?lang=en", "HTTPS://Example.COM/ooops",
		"http://[::1]:8080/x", "http://127.0.0.1:65535/", "https://xn--bcher-kva.example/ooops", "/a.b/..c/.d", "/x?next=/../y"} {
		assert.NoError(t, validTarget(good), good)
	}
	pages := render.Config{ErrorPage: "/ooops", LoginPage: "/login"}
	bad := pages
	bad.Realm = `a"b`
	_, err := render.New(bad)
	assert.ErrorIs(t, err, render.ErrConfig)
	bad = pages
	bad.RetryAfter = time.Millisecond
	_, err = render.New(bad)
	assert.ErrorIs(t, err, render.ErrConfig)
	bad = pages
	bad.ErrorPage = "ooops"
	_, err = render.New(bad)
	assert.EqualError(t, err, `error page: render: invalid configuration: target "ooops": is a relative path; it must start with /`)
}

func TestRedirect_Headers(t *testing.T) {
	r := newRenderer(t, render.Config{})
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Set-Cookie", "guard=1")
		rec.Header().Set("Content-Length", "99")
		rec.Header().Set("Content-Type", "text/plain")
		r.Redirect(rec, httptest.NewRequest(method, "/oauth/authorize", nil), codes.UnauthorizedClient.With(codes.InvalidRedirectURI))
		assert.Equal(t, http.StatusSeeOther, rec.Code, method)
		assert.Equal(t, http.Header{
			"Location":        {"https://accounts.livechatinc.com/ooops?oauth_exception=unauthorized_client&exception_details=invalid_redirect_uri"},
			"Cache-Control":   {"no-store"},
			"Pragma":          {"no-cache"},
			"Referrer-Policy": {"no-referrer"},
			"Set-Cookie":      {"guard=1"},
		}, rec.Header(), method)
		assert.Empty(t, rec.Body.String(), method)
	}
}

func TestRedirect_SharedValuesAreNotCorrupted(t *testing.T) {
	r := newRenderer(t, render.Config{})
	rec := httptest.NewRecorder()
	r.Redirect(rec, httptest.NewRequest(http.MethodGet, "/", nil), codes.InvalidScope.Err())
	rec.Header().Add("Location", "https://evil.example/")
	rec.Header().Add("Cache-Control", "public")
	again := httptest.NewRecorder()
	r.Redirect(again, httptest.NewRequest(http.MethodGet, "/", nil), codes.InvalidScope.Err())
	assert.Equal(t, []string{"https://accounts.livechatinc.com/ooops?oauth_exception=invalid_scope"}, again.Header()["Location"])
	assert.Equal(t, []string{"no-store"}, again.Header()["Cache-Control"])
}

func TestJSON_EveryCode(t *testing.T) {
	r := newRenderer(t, render.Config{Realm: "example"})
	for _, c := range codes.All() {
		for _, d := range allDetails() {
			rec := httptest.NewRecorder()
			e := c.With(d).WithCause(errors.New("internal cause text"))
			r.JSON(rec, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), e)
			assert.Equal(t, c.HTTPStatus(), rec.Code)
			want := map[string]string{"error": c.Name(), "error_description": c.Description()}
			if d.Valid() {
				want["exception_details"] = d.Name()
			}
			var got map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, want, got)
			assert.NotContains(t, rec.Body.String(), "internal cause text")

			h := rec.Header()
			assert.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
			assert.Equal(t, "no-store", h.Get("Cache-Control"))
			assert.Equal(t, "no-cache", h.Get("Pragma"))
			switch {
			case c == codes.InvalidClient:
				assert.Equal(t, `Basic realm="example"`, h.Get("WWW-Authenticate"))
			case c.HTTPStatus() == 401:
				assert.Equal(t, `Bearer realm="example"`, h.Get("WWW-Authenticate"))
			default:
				assert.Empty(t, h.Values("WWW-Authenticate"))
			}
			if c == codes.TemporarilyUnavailable {
				assert.Equal(t, "60", h.Get("Retry-After"))
			} else {
				assert.Empty(t, h.Values("Retry-After"))
			}
		}
	}
}

func TestJSON_Exact(t *testing.T) {
	r := newRenderer(t, render.Config{})
	rec := httptest.NewRecorder()
	r.JSON(rec, httptest.NewRequest(http.MethodPost, "/", nil), codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	assert.Equal(t, 400, rec.Code)
	assert.Equal(t, `{"error":"unauthorized_client","error_description":"This client may not obtain a token this way.","exception_details":"client_id_not_found"}`+"\n", rec.Body.String())

	rec = httptest.NewRecorder()
	r.JSON(rec, httptest.NewRequest(http.MethodPost, "/", nil), codes.Unauthorized.WithEntityID("u-jane"))
	assert.Equal(t, 401, rec.Code)
	assert.JSONEq(t, `{"error":"unauthorized","error_description":"`+codes.Unauthorized.Description()+`","entity_id":"u-jane"}`, rec.Body.String())

	rec = httptest.NewRecorder()
	r.JSON(rec, httptest.NewRequest(http.MethodHead, "/", nil), codes.InvalidGrant.Err())
	assert.Equal(t, 400, rec.Code)
	assert.Empty(t, rec.Body.String())
}

func TestPage_EscapesAndHidesCause(t *testing.T) {
	r := newRenderer(t, render.Config{})
	rec := httptest.NewRecorder()
	e := codes.Unauthorized.With(codes.ClientIDNotFound).WithEntityID("u-1").WithCause(errors.New("<b>stack trace</b>"))
	r.Page(rec, httptest.NewRequest(http.MethodGet, "/", nil), 401, e)
	assert.Equal(t, 401, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, "<title>Wrong e-mail or password</title>")
	assert.Contains(t, body, `<p id="what">The app that sent you here is not known to this service.</p>`, "the detail's words replace the code's")
	assert.Contains(t, body, "<code>unauthorized / client_id_not_found</code>")
	assert.NotContains(t, body, "u-1", "the entity id is an internal identifier: never shown")
	assert.NotContains(t, body, codes.Unauthorized.Description(), "developer descriptions are for logs")
	assert.NotContains(t, body, "stack trace")
	assert.Empty(t, rec.Header().Get("Location"))
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", rec.Header().Get("Content-Security-Policy"))
	assert.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"), "older browsers know no frame-ancestors")

	rec = httptest.NewRecorder()
	r.Page(rec, httptest.NewRequest(http.MethodHead, "/", nil), 200, e)
	assert.Empty(t, rec.Body.String())

	rec = httptest.NewRecorder()
	r.Page(rec, httptest.NewRequest(http.MethodGet, "/", nil), 200, nil)
	assert.Contains(t, rec.Body.String(), "<h1 id=\"title\">Nothing went wrong</h1>")
}

// TestPage_SameStatusHeadersAsJSON: a page in place of a redirect is the
// answer a browser gets when its login or error page fails, so a 401 still
// challenges (RFC 9110 §15.5.2) and a 503 still says when to retry.
func TestPage_SameStatusHeadersAsJSON(t *testing.T) {
	r := newRenderer(t, render.Config{RetryAfter: 7 * time.Second})
	for _, tc := range []struct {
		e           *codes.Error
		name, value string
	}{
		{codes.IdentityLost.Err(), "WWW-Authenticate", `Bearer realm="accounts"`},
		{codes.Unauthorized.Err(), "WWW-Authenticate", `Bearer realm="accounts"`},
		{codes.InvalidClient.Err(), "WWW-Authenticate", `Basic realm="accounts"`},
		{codes.TemporarilyUnavailable.Err(), "Retry-After", "7"},
	} {
		for _, answer := range []func(http.ResponseWriter, *http.Request, *codes.Error){
			r.JSON,
			func(w http.ResponseWriter, req *http.Request, e *codes.Error) {
				r.Page(w, req, e.Code().HTTPStatus(), e)
			},
		} {
			rec := httptest.NewRecorder()
			answer(rec, httptest.NewRequest(http.MethodGet, "/login", nil), tc.e)
			assert.Equal(t, tc.e.Code().HTTPStatus(), rec.Code)
			assert.Equal(t, []string{tc.value}, rec.Header().Values(tc.name), tc.e.Code().Name())
		}
	}
	rec := httptest.NewRecorder()
	r.Page(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusBadRequest, codes.InvalidScope.Err())
	assert.Empty(t, rec.Header().Values("WWW-Authenticate"))
	assert.Empty(t, rec.Header().Values("Retry-After"))
}

// TestAnswers_DropTheHandlersLocation: a Location the handler set before
// failing must not ride on a JSON or page answer.
func TestAnswers_DropTheHandlersLocation(t *testing.T) {
	r := newRenderer(t, render.Config{})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for name, answer := range map[string]func(http.ResponseWriter){
		"json":     func(w http.ResponseWriter) { r.JSON(w, req, codes.InvalidGrant.Err()) },
		"page":     func(w http.ResponseWriter) { r.Page(w, req, http.StatusBadRequest, codes.InvalidGrant.Err()) },
		"redirect": func(w http.ResponseWriter) { r.Redirect(w, req, codes.InvalidGrant.Err()) },
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Location", "https://client.example/cb?code=abc")
		rec.Header().Set("Set-Cookie", "a=b")
		answer(rec)
		want := []string(nil)
		if name == "redirect" {
			want = []string{"https://accounts.livechatinc.com/ooops?oauth_exception=invalid_grant"}
		}
		assert.Equal(t, want, rec.Header().Values("Location"), name)
		assert.Equal(t, []string{"a=b"}, rec.Header().Values("Set-Cookie"), name)
	}
}

// TestPage_HonoursTheConfiguredLoopSpelling: the page names the loop detail
// as the redirect and the JSON do.
func TestPage_HonoursTheConfiguredLoopSpelling(t *testing.T) {
	for newSpelling, want := range map[bool]string{false: "to_many_redirects", true: "too_many_redirects"} {
		r := newRenderer(t, render.Config{TooManyRedirectsNewSpelling: newSpelling})
		e := codes.InvalidRequest.With(codes.TooManyRedirects)
		require.Contains(t, r.Location(e), "exception_details="+want)
		rec := httptest.NewRecorder()
		r.Page(rec, httptest.NewRequest(http.MethodGet, "/ooops", nil), http.StatusBadRequest, e)
		assert.Contains(t, rec.Body.String(), "<code>invalid_request / "+want+"</code>")
	}
}

func TestPage_HostileQueryNeverReachesThePage(t *testing.T) {
	// An error page reads its query with ParseQuery and shows what it got.
	// Only closed-set names and validated ids parse, so markup in the query
	// is refused before the page, and the page never shows it.
	r := newRenderer(t, render.Config{})
	for _, raw := range []string{
		"oauth_exception=%3Cscript%3Ealert(1)%3C/script%3E",
		"identity_exception=unauthorized&entity_id=%22%3E%3Cimg%20src=x%3E",
		"oauth_exception=invalid_scope&exception_details=%3Cscript%3E",
	} {
		e, err := render.ParseQuery(raw)
		require.Error(t, err, raw)
		rec := httptest.NewRecorder()
		r.Page(rec, httptest.NewRequest(http.MethodGet, "/ooops?"+raw, nil), http.StatusBadRequest, e)
		body := rec.Body.String()
		assert.Contains(t, body, "Nothing went wrong", raw)
		for _, markup := range []string{"<script", "<img", "alert(", "&lt;script", "&lt;img"} {
			assert.NotContains(t, body, markup, raw)
		}
	}
}

func TestParse_RoundTrip(t *testing.T) {
	for _, cfg := range []render.Config{{}, {ErrorPage: "/ooops?lang=en", LoginPage: "/", TooManyRedirectsNewSpelling: true}} {
		r := newRenderer(t, cfg)
		for _, c := range codes.All() {
			for _, d := range allDetails() {
				for _, id := range []string{"", "u-jane"} {
					e := c.With(d).WithEntityID(id)
					loc := r.Location(e)
					got, err := render.ParseLocation(loc)
					require.NoError(t, err, loc)
					assert.Equal(t, c, got.Code(), loc)
					assert.Equal(t, d, got.Detail(), loc)
					if c == codes.Unauthorized {
						assert.Equal(t, id, got.EntityID(), loc)
					} else {
						assert.Empty(t, got.EntityID(), loc)
					}
					assert.Equal(t, loc, r.Location(got), "renders back to the same Location")
				}
			}
		}
	}
}

func TestParse_Refuses(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  error
	}{
		{"", render.ErrNoException},
		{"lang=en", render.ErrNoException},
		{"exception_details=client_id_not_found", render.ErrMalformed},
		{"oauth_exception=bogus", codes.ErrUnknown},
		{"oauth_exception=unauthorized", codes.ErrUnknown},
		{"identity_exception=invalid_scope", codes.ErrUnknown},
		{"oauth_exception=", codes.ErrUnknown},
		{"oauth_exception=invalid_scope&exception_details=nope", codes.ErrUnknown},
		{"oauth_exception=invalid_scope&oauth_exception=invalid_scope", render.ErrMalformed},
		{"oauth_exception=invalid_scope&exception_details=to_many_redirects&exception_details=to_many_redirects", render.ErrMalformed},
		{"identity_exception=unauthorized&entity_id=a&entity_id=b", render.ErrMalformed},
		{"oauth_exception=invalid_scope&identity_exception=unauthorized", render.ErrMalformed},
		{"oauth_exception=access_denied&entity_id=u-1", render.ErrMalformed},
		{"identity_exception=identity_lost&entity_id=u-1", render.ErrMalformed},
		{"identity_exception=unauthorized&entity_id=", render.ErrMalformed},
		{"oauth_exception=%zz", render.ErrMalformed},
	} {
		_, err := render.ParseQuery(tc.query)
		assert.ErrorIs(t, err, tc.want, tc.query)
	}
	e, err := render.ParseQuery("oauth_exception=invalid_request&exception_details=too_many_redirects&lang=en")
	require.NoError(t, err)
	assert.Equal(t, codes.TooManyRedirects, e.Detail())
}

// BenchmarkRedirect is the render layer's share of the error path: an
// authorization redirect with a detail. Comparisons with the naive handler
// and other libraries are in bench/.
func BenchmarkRedirect(b *testing.B) {
	r := newRenderer(b, render.Config{})
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	e := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		r.Redirect(w, req, e)
	}
}

func TestRedirect_Allocations(t *testing.T) {
	r := newRenderer(t, render.Config{})
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	w := &discardWriter{h: http.Header{}}
	allocs := testing.AllocsPerRun(200, func() {
		r.Redirect(w, req, codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	})
	assert.Equal(t, 1.0, allocs, "an authorization redirect with a detail: one backing array for its own header values")
	allocs = testing.AllocsPerRun(200, func() {
		r.JSON(w, req, codes.InvalidClient.With(codes.ClientIDNotFound))
	})
	assert.Equal(t, 1.0, allocs, "a JSON answer: the same")
}

// discardWriter is a ResponseWriter that reuses its header map, so that
// benchmarks measure the renderer rather than the recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// A wrapper that edits a header value in place (caching and proxy
// middlewares do) must not reach any later answer: each answer owns its
// header values.
func TestAnswers_OwnTheirHeaderValues(t *testing.T) {
	r := newRenderer(t, render.Config{})
	req := httptest.NewRequest(http.MethodGet, "/oauth/token", nil)
	answers := map[string]func(http.ResponseWriter){
		"redirect": func(w http.ResponseWriter) { r.Redirect(w, req, codes.InvalidClient.With(codes.ClientIDNotFound)) },
		"json":     func(w http.ResponseWriter) { r.JSON(w, req, codes.InvalidClient.With(codes.ClientIDNotFound)) },
		"json 503": func(w http.ResponseWriter) { r.JSON(w, req, codes.TemporarilyUnavailable.Err()) },
		"page": func(w http.ResponseWriter) {
			r.Page(w, req, http.StatusOK, codes.InvalidClient.With(codes.ClientIDNotFound))
		},
	}
	for name, answer := range answers {
		want := httptest.NewRecorder()
		answer(want)
		for _, poisoner := range answers {
			poisoned := httptest.NewRecorder()
			poisoner(poisoned)
			for _, vs := range poisoned.Header() {
				for i := range vs {
					vs[i] = "poisoned"
				}
			}
		}
		got := httptest.NewRecorder()
		answer(got)
		assert.Equal(t, want.Header(), got.Header(), name)
		assert.NotContains(t, fmt.Sprint(got.Header()), "poisoned", name)
	}
}
