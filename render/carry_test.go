package render_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

var flow = []string{"response_type", "client_id", "redirect_uri", "state", "scope"}

// TestCarry_WireOrder: code, exception_details, entity_id, then the
// carried parameters in the allowlist's order, escaped; nothing else of
// the request's query.
func TestCarry_WireOrder(t *testing.T) {
	r := newRenderer(t, render.Config{ErrorPage: "/ooops", LoginPage: "/login", Carry: flow})
	req := httptest.NewRequest(http.MethodPost,
		"/login?state=s%20%26x&client_id=demo&password=hunter2&redirect_uri=https%3A%2F%2Fc.example%2Fcb%3Fa%3D1&response_type=code&scope=a+b&other=1&code=c-1", nil)
	rec := httptest.NewRecorder()
	r.Redirect(rec, req, codes.Unauthorized.WithEntityID("u-1"))
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/login?identity_exception=unauthorized&entity_id=u-1"+
		"&response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fc.example%2Fcb%3Fa%3D1&state=s+%26x&scope=a+b",
		rec.Header().Get("Location"))

	rec = httptest.NewRecorder()
	r.Redirect(rec, req, codes.IdentityInvalidRequest.With(codes.TooManyRedirects))
	assert.Equal(t, "/login?identity_exception=invalid_request&exception_details=to_many_redirects"+
		"&response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fc.example%2Fcb%3Fa%3D1&state=s+%26x&scope=a+b",
		rec.Header().Get("Location"))

	// The error page never gets the flow: Carry is the login page's.
	rec = httptest.NewRecorder()
	r.Redirect(rec, req, codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	assert.Equal(t, "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", rec.Header().Get("Location"))

	// Without Carry nothing of the query is copied.
	plain := newRenderer(t, render.Config{ErrorPage: "/ooops", LoginPage: "/login"})
	rec = httptest.NewRecorder()
	plain.Redirect(rec, req, codes.Unauthorized.WithEntityID("u-1"))
	assert.Equal(t, "/login?identity_exception=unauthorized&entity_id=u-1", rec.Header().Get("Location"))
}

// TestCarry_KeepsTheTargetsOwnQuery: the login page's own query comes first.
func TestCarry_KeepsTheTargetsOwnQuery(t *testing.T) {
	r := newRenderer(t, render.Config{LoginPage: "https://accounts.example/?tenant=t1", Carry: []string{"client_id"}})
	rec := httptest.NewRecorder()
	r.Redirect(rec, httptest.NewRequest(http.MethodGet, "/account?client_id=demo", nil), codes.IdentityLost.Err())
	assert.Equal(t, "https://accounts.example/?tenant=t1&identity_exception=identity_lost&client_id=demo", rec.Header().Get("Location"))
}

// TestCarry_LeavesOutWhatItCannotCarryCleanly: a malformed query carries
// nothing (the request is invalid_request; nothing it holds is trusted),
// a repeated name, an overlong value and invalid UTF-8 are left out, and
// the remaining ones still come in allowlist order.
func TestCarry_LeavesOutWhatItCannotCarryCleanly(t *testing.T) {
	r := newRenderer(t, render.Config{ErrorPage: "/ooops", LoginPage: "/login", Carry: flow})
	base := "/login?identity_exception=invalid_request"
	long := strings.Repeat("s", render.MaxCarriedValue)
	for _, tc := range []struct{ query, want string }{
		{"client_id=demo&state=%zz", base},
		{"client_id=demo;state=x", base},
		{"client_id=demo&client_id=other&state=x", base + "&state=x"},
		{"client_id=demo&state=" + long, base + "&client_id=demo&state=" + long},
		{"client_id=demo&state=" + long + "s", base + "&client_id=demo"},
		{"client_id=%ff%fe&state=x", base + "&state=x"},
		{"state=%0D%0ALocation:%20https://evil.example/", base + "&state=%0D%0ALocation%3A+https%3A%2F%2Fevil.example%2F"},
		{"state=", base + "&state="},
		{"", base},
	} {
		rec := httptest.NewRecorder()
		r.Redirect(rec, httptest.NewRequest(http.MethodGet, "/login?"+tc.query, nil), codes.IdentityInvalidRequest.Err())
		assert.Equal(t, tc.want, rec.Header().Get("Location"), tc.query)
	}
	assert.Equal(t, "", r.CarriedQuery(nil))
	assert.Equal(t, "client_id=a&state=b", r.CarriedQuery(httptest.NewRequest(http.MethodGet, "/?state=b&x=1&client_id=a", nil)))
}

// TestCarry_RefusedAtConstruction: secrets (in any case), the contract's
// own parameters, repeats, names that are not plain, and names the login
// page's own query holds.
func TestCarry_RefusedAtConstruction(t *testing.T) {
	for _, carry := range [][]string{
		{"password"}, {"client_secret"}, {"code"}, {"refresh_token"}, {"access_token"}, {"token"},
		{"Password"}, {"CODE"}, {"code_verifier"}, {"id_token"},
		{"identity_exception"}, {"oauth_exception"}, {"exception_details"}, {"entity_id"},
		{"state", "state"}, {""}, {"a b"}, {"a&b"}, {"a=b"}, {"é"}, {strings.Repeat("a", 65)},
		{"tenant"},
	} {
		_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login?tenant=x", Carry: carry})
		require.ErrorIs(t, err, render.ErrConfig, "%q", carry)
		assert.Contains(t, err.Error(), "Carry")
	}
	_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Carry: append(flow, "next", "lang", "nonce", "prompt", "code_challenge", "code_challenge_method")})
	assert.NoError(t, err)
}

// TestCarry_TryAgainKeepsTheFlow: a page in place of the login page offers
// "try again" with the flow it was given.
func TestCarry_TryAgainKeepsTheFlow(t *testing.T) {
	r := newRenderer(t, render.Config{ErrorPage: "/ooops", LoginPage: "/", Carry: flow})
	rec := httptest.NewRecorder()
	r.Page(rec, httptest.NewRequest(http.MethodGet, "/?client_id=demo&state=%22%3E", nil), http.StatusInternalServerError, codes.IdentityServerError.Err())
	assert.Contains(t, rec.Body.String(), `href="/?client_id=demo&amp;state=%22%3E"`)
}

// TestCarry_Allocations: the redirect's allocation budget holds for every
// route that carries nothing, with Carry configured or not.
func TestCarry_Allocations(t *testing.T) {
	w := &discardWriter{h: http.Header{}}
	withCarry := newRenderer(t, render.Config{Carry: flow})
	plain := newRenderer(t, render.Config{})
	bare := httptest.NewRequest(http.MethodPost, "/login", nil)
	withFlow := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo&state=x", nil)
	for name, run := range map[string]func(){
		"no Carry, authentication":          func() { plain.Redirect(w, withFlow, codes.Unauthorized.Err()) },
		"Carry, authorization error":        func() { withCarry.Redirect(w, withFlow, codes.UnauthorizedClient.With(codes.ClientIDNotFound)) },
		"Carry, authentication, bare query": func() { withCarry.Redirect(w, bare, codes.Unauthorized.Err()) },
	} {
		assert.Equal(t, 1.0, testing.AllocsPerRun(200, run), name)
	}
}

// TestCarry_FlowInOneAllocation: the carried query, and the Location of an
// authentication redirect that carries it, take one allocation each (the
// redirect's header values take the other); a value sent escaped costs
// one more, its unescaping.
func TestCarry_FlowInOneAllocation(t *testing.T) {
	r := newRenderer(t, render.Config{Carry: flow})
	req := httptest.NewRequest(http.MethodPost, "/login?response_type=code&client_id=demo&state=xyz&scope=profile", nil)
	e := codes.Unauthorized.Err()
	w := &discardWriter{h: http.Header{}}
	assert.Equal(t, 1.0, testing.AllocsPerRun(200, func() { _ = r.CarriedQuery(req) }))
	assert.Equal(t, 2.0, testing.AllocsPerRun(200, func() {
		clear(w.h)
		r.Redirect(w, req, e)
	}))
	req.URL.RawQuery += "&redirect_uri=https%3A%2F%2Fc.example%2Fcb"
	assert.Equal(t, 2.0, testing.AllocsPerRun(200, func() { _ = r.CarriedQuery(req) }))
	assert.Equal(t, "response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fc.example%2Fcb&state=xyz&scope=profile", r.CarriedQuery(req))
}

// BenchmarkRedirectCarry is an authentication redirect that carries a
// five-parameter flow back to the login page: the cost of Carry, to set
// beside BenchmarkRedirect.
func BenchmarkRedirectCarry(b *testing.B) {
	r := newRenderer(b, render.Config{Carry: flow})
	req := httptest.NewRequest(http.MethodPost,
		"/login?response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fc.example%2Fcb&state=xyz&scope=profile", nil)
	e := codes.Unauthorized.WithEntityID("u-1")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		r.Redirect(w, req, e)
	}
}

// FuzzCarry: whatever the request's query, an authentication redirect
// goes to the login page, starts with the contract's parameters, and
// carries only allowlisted names, each once, in allowlist order, with
// values that read back to the request's own.
func FuzzCarry(f *testing.F) {
	for _, seed := range []string{
		"response_type=code&client_id=demo&state=x",
		"state=%zz", "client_id=a;b", "client_id=a&client_id=b", "state=%0d%0a", "a=b&&&=c", "scope=a+b%20c",
		"redirect_uri=https%3A%2F%2Fevil.example%2F&password=x",
	} {
		f.Add(seed)
	}
	r := newRenderer(f, render.Config{ErrorPage: "/ooops", LoginPage: "/login?tenant=t", Carry: flow})
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/login", nil)
		req.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		r.Redirect(rec, req, codes.Unauthorized.WithEntityID("u-1"))
		loc := rec.Header().Get("Location")
		const prefix = "/login?tenant=t&identity_exception=unauthorized&entity_id=u-1"
		require.True(t, strings.HasPrefix(loc, prefix), loc)
		u, err := url.Parse(loc)
		require.NoError(t, err)
		require.Equal(t, "/login", u.Path)
		require.Empty(t, u.Host)
		got, err := url.ParseQuery(u.RawQuery)
		require.NoError(t, err, loc)
		in, inErr := url.ParseQuery(rawQuery)
		rest := strings.TrimPrefix(loc, prefix)
		last := -1
		for pair := range strings.SplitSeq(strings.TrimPrefix(rest, "&"), "&") {
			if pair == "" {
				continue
			}
			name, _, _ := strings.Cut(pair, "=")
			i := slices.Index(flow, name)
			require.Greater(t, i, last, "allowlisted, once, in order: %s", loc)
			last = i
			require.NoError(t, inErr, "a query that does not parse carries nothing")
			require.Equal(t, in[name], got[name])
		}
	})
}
