package authredirecttest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func newKit(t *testing.T, carry ...string) *authredirecttest.Kit {
	t.Helper()
	kit, err := authredirecttest.New(render.Config{}, carry...)
	require.NoError(t, err)
	return kit
}

// handlerFunc is an error-returning handler that serves through
// middleware.Wrap, so the tables can hold either shape.
type handlerFunc func(http.ResponseWriter, *http.Request) error

func (f handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	middleware.Wrap(f).ServeHTTP(w, r)
}

func failWith(err error) handlerFunc {
	return func(http.ResponseWriter, *http.Request) error { return err }
}

func TestKit_ClassifiesWhatTheHandlerReturns(t *testing.T) {
	kit := newKit(t)
	cause := errors.New("users table: connection refused")
	for _, tc := range []struct {
		name     string
		serve    func(http.Handler, *http.Request) authredirecttest.Result
		h        handlerFunc
		outcome  middleware.Outcome
		want     *codes.Error
		status   int
		location string
	}{
		{"typed", kit.Authorization, failWith(codes.InvalidScope),
			middleware.Redirected, codes.InvalidScope.Err(), 303, "/ooops?oauth_exception=invalid_scope"},
		{"plain error on a login route", kit.Authentication, failWith(cause),
			middleware.Redirected, codes.IdentityServerError.Err(), 303, "/login?identity_exception=server_error"},
		{"panic", kit.Authorization, func(http.ResponseWriter, *http.Request) error { panic("boom") },
			middleware.Redirected, codes.ServerError.Err(), 303, "/ooops?oauth_exception=server_error"},
		{"json", kit.JSON, failWith(codes.InvalidClient),
			middleware.WroteJSON, codes.InvalidClient.Err(), 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.serve(middleware.Wrap(tc.h), httptest.NewRequest(http.MethodPost, "/x", nil))
			assert.True(t, res.Failed())
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.want.Code(), res.Err.Code())
			assert.Equal(t, tc.status, res.Status)
			assert.Equal(t, tc.location, res.Header.Get("Location"))
			assert.NoError(t, kit.Check(res, tc.want))
		})
	}
	res := kit.Authorization(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		httptest.NewRequest(http.MethodGet, "/ok", nil))
	assert.False(t, res.Failed())
	assert.Nil(t, res.Err)
	assert.Equal(t, http.StatusNoContent, res.Status)
}

func TestKit_FindsItsEventThroughARequestReplacingMiddleware(t *testing.T) {
	kit := newKit(t)
	replacing := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r.Clone(r.Context())) })
	}
	app := replacing(kit.Recoverer().Authorization(failWith(codes.MissingGrant)))
	res := kit.Serve(app, httptest.NewRequest(http.MethodGet, "/authorize", nil))
	require.True(t, res.Failed())
	assert.Equal(t, codes.MissingGrant, res.Err.Code())
	assert.NoError(t, kit.Check(res, codes.MissingGrant.Err()))
}

// TestResult_ErrIsOnlyWhatWasSent: a failure the Recoverer could not
// answer (the response had started, the client was gone, the connection
// was cut) sends no error, and the Result shows what the client got.
func TestResult_ErrIsOnlyWhatWasSent(t *testing.T) {
	kit := newKit(t)
	for _, tc := range []struct {
		name    string
		h       handlerFunc
		ctx     func() context.Context
		outcome middleware.Outcome
		aborted bool
		status  int
		body    string
	}{
		{"the response had started", func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusAccepted)
			return codes.InvalidScope
		}, context.Background, middleware.Aborted, true, http.StatusAccepted, ""},
		{"half a page, then an error", func(w http.ResponseWriter, _ *http.Request) error {
			_, _ = w.Write([]byte("<p>half a pa"))
			return errors.New("template: boom")
		}, context.Background, middleware.Aborted, true, http.StatusOK, "<p>half a pa"},
		{"half a page, then a panic", func(w http.ResponseWriter, _ *http.Request) error {
			_, _ = w.Write([]byte("<p>half a pa"))
			panic("template: boom")
		}, context.Background, middleware.Aborted, true, http.StatusOK, "<p>half a pa"},
		{"the client went away", failWith(context.Canceled), func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, middleware.ClientGone, false, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := kit.Authorization(middleware.Wrap(tc.h), httptest.NewRequestWithContext(tc.ctx(), http.MethodGet, "/x", nil))
			assert.True(t, res.Failed())
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Nil(t, res.Err, "nothing was sent")
			assert.Error(t, res.Cause)
			assert.Equal(t, tc.aborted, res.Aborted)
			assert.Equal(t, tc.status, res.Status)
			assert.Equal(t, tc.body, string(res.Body))
			assert.Empty(t, res.Header.Values("Location"))
			assert.ErrorIs(t, kit.Check(res, codes.InvalidScope.Err()), authredirecttest.ErrNotContract)
		})
	}

	// Wrap with no route above: net/http's server would cut the
	// connection, and so does the Kit's Serve, instead of panicking.
	res := kit.Serve(failWith(codes.InvalidScope), httptest.NewRequest(http.MethodGet, "/x", nil))
	assert.True(t, res.Aborted)
	assert.True(t, res.Failed())
	assert.Nil(t, res.Err)
	assert.True(t, res.Panicked)
	assert.EqualError(t, kit.Check(res, codes.InvalidScope.Err()), "authredirecttest: not the contract's answer for oauth_exception=invalid_scope (GET /x):\n"+
		"\tthe connection was cut: the client received a broken response, not an answer")
}

// breakAnswer is an app's own middleware above the Recoverer that edits
// the answer on its way out: what a Kit must catch, whatever the handler
// returned.
func breakAnswer(edit func(status int, h http.Header) int, body string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&editor{ResponseWriter: w, edit: edit, body: body}, r)
		})
	}
}

type editor struct {
	http.ResponseWriter
	edit func(int, http.Header) int
	body string
}

func (e *editor) WriteHeader(status int) {
	e.ResponseWriter.WriteHeader(e.edit(status, e.Header()))
	if e.body != "" {
		_, _ = e.ResponseWriter.Write([]byte(e.body))
	}
}

// TestKit_Check_RefusesAnswersTheContractForbids: the handler returned the
// expected error each time; the answer on the wire is what is checked.
func TestKit_Check_RefusesAnswersTheContractForbids(t *testing.T) {
	kit := newKit(t)
	want := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	const loc = "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"
	for _, tc := range []struct {
		name string
		edit func(int, http.Header) int
		body string
		want string // the deviations Check reports
	}{
		{"302 instead of 303", func(int, http.Header) int { return http.StatusFound }, "",
			"\tstatus: want 303, got 302"},
		{"no no-store", func(s int, h http.Header) int { h.Del("Cache-Control"); return s }, "",
			`	Cache-Control: want exactly one, "no-store", got []`},
		{"Referrer-Policy changed", func(s int, h http.Header) int { h.Set("Referrer-Policy", "origin"); return s }, "",
			`	Referrer-Policy: want "no-referrer", got "origin"`},
		{"a second location, in lower case", func(s int, h http.Header) int {
			h["location"] = []string{"https://evil.example/"}
			return s
		}, "", `	Location: want exactly one, "` + loc + `", got ["` + loc + `" "https://evil.example/"]`},
		{"another host", func(s int, h http.Header) int { h.Set("Location", "https://evil.example"+loc); return s }, "",
			`	Location: "https://evil.example` + loc + `" goes to "https://evil.example/ooops", not to authorization's page "/ooops"; want "` + loc + `"`},
		{"a body", func(s int, _ http.Header) int { return s }, "<a href=x>See Other</a>",
			`	body: want none, got "<a href=x>See Other</a>"`},
		{"a challenge", func(s int, h http.Header) int { h.Set("WWW-Authenticate", "Basic"); return s }, "",
			`	Www-Authenticate: want none, got ["Basic"]`},
		{"all at once", func(_ int, h http.Header) int {
			h.Del("Pragma")
			h.Set("Location", loc+"#x")
			return http.StatusTemporaryRedirect
		}, "", "\tstatus: want 303, got 307\n" +
			`	Location: "` + loc + `#x" has a fragment; want "` + loc + `"` + "\n" +
			`	Pragma: want exactly one, "no-cache", got []`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := breakAnswer(tc.edit, tc.body)(kit.Recoverer().Authorization(failWith(want)))
			res := kit.Serve(app, httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
			require.Equal(t, middleware.Redirected, res.Outcome, "the Recoverer did its part")
			require.Equal(t, want.Code(), res.Err.Code())
			err := kit.Check(res, want)
			assert.ErrorIs(t, err, authredirecttest.ErrNotContract)
			assert.EqualError(t, err, "authredirecttest: not the contract's answer for "+
				"oauth_exception=unauthorized_client exception_details=client_id_not_found (GET /oauth/authorize):\n"+tc.want)
		})
	}

	// A handler that writes a redirect of its own and succeeds is
	// checked by what it wrote: exact passes, anything else fails.
	own := func(location string, status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", location)
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Pragma", "no-cache")
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.WriteHeader(status)
		})
	}
	res := kit.Serve(own(loc, http.StatusSeeOther), httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
	assert.False(t, res.Failed())
	assert.NoError(t, kit.Check(res, want), "the exact answer, however it was written")
	res = kit.Serve(own("https://evil.example/phish?oauth_exception=unauthorized_client&exception_details=client_id_not_found", http.StatusFound),
		httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
	assert.ErrorIs(t, kit.Check(res, want), authredirecttest.ErrNotContract)
	assert.ErrorIs(t, kit.Check(res, codes.ServerError.Err()), authredirecttest.ErrNotContract)
}

// TestKit_Check_EveryForm: the redirect, the JSON answer and the page in
// place, each exactly as the renderer writes it, pass; the same answers
// checked for another error fail.
func TestKit_Check_EveryForm(t *testing.T) {
	kit := newKit(t)
	for _, tc := range []struct {
		name  string
		serve func(http.Handler, *http.Request) authredirecttest.Result
		req   *http.Request
		err   *codes.Error
	}{
		{"redirect", kit.Authorization, httptest.NewRequest(http.MethodPost, "/oauth/authorize", nil), codes.AccessDenied.Err()},
		{"redirect, HEAD", kit.Authorization, httptest.NewRequest(http.MethodHead, "/oauth/authorize", nil), codes.AccessDenied.Err()},
		{"redirect with an entity id", kit.Authentication, httptest.NewRequest(http.MethodPost, "/login", nil), codes.Unauthorized.WithEntityID("u-jane")},
		{"json 400", kit.JSON, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), codes.InvalidGrant.Err()},
		{"json 401", kit.JSON, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), codes.InvalidClient.Err()},
		{"json 503", kit.JSON, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), codes.TemporarilyUnavailable.Err()},
		{"page in place", kit.Authentication, httptest.NewRequest(http.MethodGet, "/login", nil), codes.IdentityLost.Err()},
		{"page in place, served whole", kit.Serve, httptest.NewRequest(http.MethodGet, "/ooops", nil), codes.ServerError.Err()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := failWith(tc.err)
			if tc.name == "page in place, served whole" {
				h = nil
			}
			var res authredirecttest.Result
			if h == nil {
				res = tc.serve(kit.Recoverer().Authorization(failWith(tc.err)), tc.req)
			} else {
				res = tc.serve(h, tc.req)
			}
			require.Equal(t, tc.err.Code(), res.Err.Code())
			assert.NoError(t, kit.Check(res, tc.err))
			assert.ErrorIs(t, kit.Check(res, codes.InvalidScope.Err()), authredirecttest.ErrNotContract)
		})
	}
}

// The README's whole app, served whole: the JSON route is told apart by
// the answer's Content-Type.
func TestKit_Check_JSONOfAnAppServedWhole(t *testing.T) {
	kit := newKit(t)
	app := kit.Recoverer().JSON(failWith(codes.InvalidClient))
	res := kit.Serve(app, httptest.NewRequest(http.MethodPost, "/oauth/token", nil))
	assert.NoError(t, kit.Check(res, codes.InvalidClient.Err()))
	err := kit.Check(res, codes.InvalidGrant.Err())
	assert.EqualError(t, err, "authredirecttest: not the contract's answer for oauth_exception=invalid_grant (POST /oauth/token):\n"+
		"\tstatus: want 400, got 401\n"+
		`	Www-Authenticate: want none, got ["Basic realm=\"accounts\""]`+"\n"+
		`	body field "error": want "invalid_grant", got "invalid_client"`+"\n"+
		`	body field "error_description": want "`+codes.InvalidGrant.Description()+`", got "`+codes.InvalidClient.Description()+`"`)
}

// TestKit_CheckLocation_RefusesWhatTheRendererNeverSends: each of these
// carries the expected error by render.ParseQuery's reading, and each
// is a Location the renderer never sends for it.
func TestKit_CheckLocation_RefusesWhatTheRendererNeverSends(t *testing.T) {
	kit := newKit(t)
	want := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	const q = "?oauth_exception=unauthorized_client&exception_details=client_id_not_found"
	const exp = `; want "/ooops` + q + `"`
	for _, tc := range []struct{ location, why string }{
		{"https://evil.example/ooops" + q, `goes to "https://evil.example/ooops", not to authorization's page "/ooops"`},
		{"//evil.example/ooops" + q, `goes to "//evil.example/ooops", not to authorization's page "/ooops"`},
		{"javascript:alert(document.cookie)" + q, `goes to "javascript:alert(document.cookie)", not to authorization's page "/ooops"`},
		{"https://jane:secret@evil.example/ooops" + q, "has userinfo"},
		{"/login" + q, `goes to "/login", not to authorization's page "/ooops"`},
		{"/ooops?oauth%5Fexception=unauthorized%5Fclient&exception_details=client_id_not_found",
			`has ["oauth%5Fexception=unauthorized%5Fclient"] where the renderer sends ["oauth_exception=unauthorized_client"]`},
		{"/ooops" + q + "&redirect_uri=https://evil.example/", `has ["redirect_uri=https://evil.example/"] where the renderer sends []`},
		{"/ooops" + q + "#access_token=x", "has a fragment"},
		{"/ooops?exception_details=client_id_not_found&oauth_exception=unauthorized_client", "has the renderer's parameters in another order or number"},
		{"/ooops" + q + "&exception_details=client_id_not_found", `carries no contract error the renderer sends (render: malformed error query: exception_details given 2 times)`},
		{"/ooops?oauth_exception=unauthorized_client&exception_details=", `carries no contract error the renderer sends (codes: unknown wire name: "" is not an exception detail)`},
		{"/ooops?oauth_exception=unauthorized_client", "carries oauth_exception=unauthorized_client, want oauth_exception=unauthorized_client exception_details=client_id_not_found"},
		{"/callback?code=abc", `goes to "/callback", not to authorization's page "/ooops"`},
	} {
		err := kit.CheckLocation(tc.location, want)
		assert.ErrorIs(t, err, authredirecttest.ErrNotContract, tc.location)
		assert.EqualError(t, err, `authredirecttest: not the contract's answer: Location "`+tc.location+`" `+tc.why+exp)
	}
	assert.NoError(t, kit.CheckLocation("/ooops"+q, want))
}

func TestKit_CheckLocation(t *testing.T) {
	kit := newKit(t)
	for _, tc := range []struct {
		location string
		want     *codes.Error
		err      string // "" when it matches
	}{
		{"/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", codes.UnauthorizedClient.With(codes.ClientIDNotFound), ""},
		{"/login?identity_exception=unauthorized&entity_id=u-jane", codes.Unauthorized.WithEntityID("u-jane"), ""},
		{"/login?identity_exception=unauthorized", codes.Unauthorized.WithEntityID("not an id"), ""},
		{"/login?identity_exception=identity_lost", codes.IdentityLost.WithEntityID("u-jane"), ""},
		{"/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects", codes.InvalidRequest.With(codes.TooManyRedirects), ""},
		{"/ooops?oauth_exception=invalid_request", codes.IdentityInvalidRequest.Err(),
			`Location "/ooops?oauth_exception=invalid_request" goes to "/ooops", not to authentication's page "/login"; want "/login?identity_exception=invalid_request"`},
		{"/login?identity_exception=unauthorized&entity_id=u-jane", codes.Unauthorized.Err(),
			`Location "/login?identity_exception=unauthorized&entity_id=u-jane" carries identity_exception=unauthorized entity_id=u-jane, want identity_exception=unauthorized; want "/login?identity_exception=unauthorized"`},
		{"/login?identity_exception=identity_lost&entity_id=u-jane", codes.IdentityLost.WithEntityID("u-jane"),
			`Location "/login?identity_exception=identity_lost&entity_id=u-jane" carries no contract error the renderer sends (render: malformed error query: entity_id with identity_lost, not unauthorized); want "/login?identity_exception=identity_lost"`},
		{"/ooops?oauth_exception=invalid_request&exception_details=too_many_redirects", codes.InvalidRequest.With(codes.TooManyRedirects),
			`Location "/ooops?oauth_exception=invalid_request&exception_details=too_many_redirects" has ["exception_details=too_many_redirects"] where the renderer sends ["exception_details=to_many_redirects"]; want "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"`},
	} {
		err := kit.CheckLocation(tc.location, tc.want)
		if tc.err == "" {
			assert.NoError(t, err, tc.location)
		} else {
			assert.EqualError(t, err, "authredirecttest: not the contract's answer: "+tc.err)
		}
	}
	assert.EqualError(t, kit.CheckLocation("/ooops", nil), "authredirecttest: CheckLocation needs a contract error to expect")
	assert.EqualError(t, kit.Check(authredirecttest.Result{}, codes.InvalidScope.Err()), "authredirecttest: Check needs a Result of the Kit's Serve")
	res := kit.Authorization(failWith(codes.InvalidScope), httptest.NewRequest(http.MethodGet, "/x", nil))
	assert.EqualError(t, kit.Check(res, nil), "authredirecttest: Check needs a contract error to expect")
}

// TestKit_CheckLocation_ThePagesConfigured: a Kit checks against its own
// pages, their query kept, and the spelling they choose.
func TestKit_CheckLocation_ThePagesConfigured(t *testing.T) {
	kit, err := authredirecttest.New(render.Config{
		ErrorPage: "https://accounts.example.com/ooops?lang=en", LoginPage: "https://accounts.example.com/",
		TooManyRedirectsNewSpelling: true,
	})
	require.NoError(t, err)
	loop := codes.InvalidRequest.With(codes.TooManyRedirects)
	assert.NoError(t, kit.CheckLocation("https://accounts.example.com/ooops?lang=en&oauth_exception=invalid_request&exception_details=too_many_redirects", loop))
	assert.Error(t, kit.CheckLocation("https://accounts.example.com/ooops?lang=en&oauth_exception=invalid_request&exception_details=to_many_redirects", loop))
	assert.Error(t, kit.CheckLocation("https://accounts.example.com/ooops?oauth_exception=invalid_request&exception_details=too_many_redirects", loop))
	assert.Error(t, kit.CheckLocation("http://accounts.example.com/ooops?lang=en&oauth_exception=invalid_request&exception_details=too_many_redirects", loop))
	assert.Error(t, kit.CheckLocation("/ooops?lang=en&oauth_exception=invalid_request&exception_details=too_many_redirects", loop))
	assert.NoError(t, kit.CheckLocation("https://accounts.example.com/?identity_exception=access_denied", codes.IdentityAccessDenied.Err()))
}

// TestKit_CheckLocation_Carry: the parameters an app carries back to its
// login page are accepted exactly as configured.
func TestKit_CheckLocation_Carry(t *testing.T) {
	kit := newKit(t, "client_id", "state")
	want := codes.Unauthorized.WithEntityID("u-jane")
	const loc = "/login?identity_exception=unauthorized&entity_id=u-jane"
	for _, tc := range []struct{ location, why string }{
		{loc, ""},
		{loc + "&client_id=demo", ""},
		{loc + "&state=a%2Fb+c&client_id=demo", ""},
		{loc + "&scope=profile", `carries "scope", which is not one of the carried parameters ["client_id" "state"]`},
		{loc + "&state=a&state=b", "carries state twice"},
		{loc + "&state=a/b", "carries state=a/b, not escaped as url.QueryEscape escapes it"},
		{loc + "&state=a%2fb", "carries state=a%2fb, not escaped as url.QueryEscape escapes it"},
		{loc + "&state=a#b", "carries state=a#b, not escaped as url.QueryEscape escapes it"},
		{loc + "&state", `carries "state", not name=value`},
		{"/login?client_id=demo&identity_exception=unauthorized&entity_id=u-jane",
			`has ["client_id=demo"] where the renderer sends []`},
	} {
		err := kit.CheckLocation(tc.location, want)
		if tc.why == "" {
			assert.NoError(t, err, tc.location)
			continue
		}
		assert.EqualError(t, err, `authredirecttest: not the contract's answer: Location "`+tc.location+`" `+tc.why+`; want "`+loc+`"`)
	}
	// Only an authentication error carries anything.
	assert.Error(t, kit.CheckLocation("/ooops?oauth_exception=invalid_scope&client_id=demo", codes.InvalidScope.Err()))

	for _, carry := range [][]string{{""}, {"state", "state"}, {"entity_id"}, {"oauth_exception"}, {"a b"}} {
		_, err := authredirecttest.New(render.Config{}, carry...)
		assert.ErrorIs(t, err, render.ErrConfig, "%q", carry)
	}
}

// TestBrowser_LoopGuardTripsOnTheFourthArrival: a real loop guard in its
// signed cookie; the Browser carries the cookie from answer to request.
func TestBrowser_LoopGuardTripsOnTheFourthArrival(t *testing.T) {
	kit := newKit(t)
	for _, target := range []string{"/oauth/authorize?client_id=loopy", "https://accounts.example.com/oauth/authorize?client_id=loopy"} {
		counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("a key of 32 bytes for the kit!!!")}})
		require.NoError(t, err)
		guard, err := loopguard.New(loopguard.Config{Counter: counter})
		require.NoError(t, err)
		app := kit.Recoverer().Authorization(guard.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})))

		browser := kit.Browser()
		for arrival := 1; arrival <= 4; arrival++ {
			res := browser.Serve(app, httptest.NewRequest(http.MethodGet, target, nil))
			if arrival < 4 {
				assert.Equal(t, http.StatusNoContent, res.Status, "%s: arrival %d passes", target, arrival)
				assert.False(t, res.Failed())
				continue
			}
			assert.NoError(t, kit.Check(res, codes.InvalidRequest.With(codes.TooManyRedirects)), "%s: the 4th arrival trips", target)
		}
		res := kit.Browser().Serve(app, httptest.NewRequest(http.MethodGet, target, nil))
		assert.Equal(t, http.StatusNoContent, res.Status, "%s: another browser has a count of its own", target)
		res = kit.Serve(app, httptest.NewRequest(http.MethodGet, target, nil))
		assert.Equal(t, http.StatusNoContent, res.Status, "%s: Serve keeps no cookies", target)
	}
}

// TestBrowser_KeepsCookiesByTheJarsRules: a Secure cookie never goes
// over plain http, a cookie for a path only there.
func TestBrowser_KeepsCookiesByTheJarsRules(t *testing.T) {
	kit := newKit(t)
	var got []string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Cookie"))
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1", Secure: true, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "p", Value: "2", Path: "/only"})
	})
	browser := kit.Browser()
	req := httptest.NewRequest(http.MethodGet, "https://example.com/only/here", nil)
	original := req.Header.Clone()
	browser.Serve(app, req)
	browser.Serve(app, httptest.NewRequest(http.MethodGet, "https://example.com/only/here", nil))
	browser.Serve(app, httptest.NewRequest(http.MethodGet, "https://example.com/", nil))
	browser.Serve(app, httptest.NewRequest(http.MethodGet, "http://example.com/only", nil))
	assert.Equal(t, []string{"", "p=2; s=1", "s=1", "p=2"}, got)
	assert.Equal(t, original, req.Header, "the caller's request is left as it was")
}

// TestKit_CheckJSON: the token endpoint's answer as a client receives
// it, for each row of the JSON status table.
func TestKit_CheckJSON(t *testing.T) {
	kit := newKit(t)
	var fail error
	srv := httptest.NewServer(kit.Recoverer().JSON(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return fail })))
	defer srv.Close()
	for _, e := range []*codes.Error{
		codes.InvalidRequest.Err(), codes.InvalidGrant.With(codes.RedirectURINotSet), codes.InvalidClient.Err(),
		codes.IdentityLost.Err(), codes.Unauthorized.WithEntityID("u-jane"), codes.AccessDenied.Err(), codes.MissingGrant.Err(),
		codes.CredentialsLoginDisabled.Err(), codes.ServerError.Err(), codes.TemporarilyUnavailable.Err(),
	} {
		fail = e
		resp, err := srv.Client().Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=x"))
		require.NoError(t, err)
		assert.NoError(t, kit.CheckJSON(resp, e), wireName(e))
		assert.ErrorIs(t, kit.CheckJSON(resp, codes.InvalidScope.Err()), authredirecttest.ErrNotContract, "the body is left to read again")
	}
}

func wireName(e *codes.Error) string { return e.Code().Kind().Param() + "=" + e.Code().Name() }

// TestKit_CheckJSON_RefusesHandWrittenAnswers: a token endpoint's own
// answers, each off the contract in one way.
func TestKit_CheckJSON_RefusesHandWrittenAnswers(t *testing.T) {
	kit := newKit(t)
	desc := `"error_description":` + strconv.Quote(codes.TemporarilyUnavailable.Description())
	for _, tc := range []struct {
		name, body string
		status     int
		header     map[string]string
		want       string
	}{
		{"exact", `{"error":"temporarily_unavailable",` + desc + `}`, 503,
			map[string]string{"Retry-After": "60"}, ""},
		{"no Retry-After", `{"error":"temporarily_unavailable",` + desc + `}`, 503, nil,
			`	Retry-After: want exactly one, "60", got []`},
		{"500", `{"error":"temporarily_unavailable",` + desc + `}`, 500, map[string]string{"Retry-After": "60"},
			"\tstatus: want 503, got 500"},
		{"an extra field", `{"error":"temporarily_unavailable",` + desc + `,"error_uri":"https://evil.example/"}`, 503,
			map[string]string{"Retry-After": "60"}, `	body field "error_uri": want none, got "https://evil.example/"`},
		{"an empty detail", `{"error":"temporarily_unavailable",` + desc + `,"exception_details":""}`, 503,
			map[string]string{"Retry-After": "60"}, `	body field "exception_details": want none, got ""`},
		{"a challenge", `{"error":"temporarily_unavailable",` + desc + `}`, 503,
			map[string]string{"Retry-After": "60", "WWW-Authenticate": `Bearer realm="accounts"`},
			`	Www-Authenticate: want none, got ["Bearer realm=\"accounts\""]`},
		{"not JSON", `temporarily_unavailable`, 503, map[string]string{"Retry-After": "60"},
			"\tbody: want a JSON object {\"error\":\"temporarily_unavailable\"," + desc + "}, got \"temporarily_unavailable\" (invalid character 'e' in literal true (expecting 'r'))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Pragma", "no-cache")
				w.Header().Set("X-Content-Type-Options", "nosniff")
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			resp, err := srv.Client().Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", nil)
			require.NoError(t, err)
			err = kit.CheckJSON(resp, codes.TemporarilyUnavailable.Err())
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, "authredirecttest: not the contract's answer for oauth_exception=temporarily_unavailable (POST /oauth/token):\n"+tc.want)
		})
	}
}
