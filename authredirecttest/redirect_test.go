package authredirecttest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// contractRedirect writes a redirect with the contract's headers to
// location, with status.
func contractRedirect(location string, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", location)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(status)
	}
}

func TestKit_CheckRedirect_StopsAtTheContractsRedirect(t *testing.T) {
	kit := newKit(t)
	const loop = "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hop", http.StatusFound) })
	mux.Handle("/hop", contractRedirect(loop, http.StatusSeeOther))
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ooops?oauth_exception=invalid_request&oauth_exception=x", http.StatusSeeOther)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/ooops", func(w http.ResponseWriter, _ *http.Request) { t.Error("the client must stop before the error page") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = kit.CheckRedirect

	res, err := client.Get(srv.URL + "/start")
	e, ok := codes.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, codes.InvalidRequest, e.Code())
	assert.Equal(t, codes.TooManyRedirects, e.Detail())
	require.NotNil(t, res)
	assert.Equal(t, loop, res.Header.Get("Location"), "the redirect's response, its Location as sent")
	assert.NoError(t, kit.CheckLocation(res.Header.Get("Location"), e))

	_, err = client.Get(srv.URL + "/bad")
	assert.ErrorIs(t, err, authredirecttest.ErrNotContract)
	assert.ErrorContains(t, err, "oauth_exception given 2 times")
	for _, q := range []string{"oauth%5Fexception=x;y", "a=1;identity_exception=unauthorized", "entity_id=%zz"} {
		req := httptest.NewRequest(http.MethodGet, "https://accounts.example.com/ooops?"+q, nil)
		err := kit.CheckRedirect(req, nil)
		assert.ErrorIs(t, err, authredirecttest.ErrNotContract, "a malformed query that names a contract parameter: %s", q)
		assert.ErrorContains(t, err, "malformed", q)
	}
	_, err = client.Get(srv.URL + "/loop")
	assert.ErrorIs(t, err, authredirecttest.ErrNotContract)
	assert.ErrorContains(t, err, "stopped after 10 redirects")
	var ue *url.Error
	assert.ErrorAs(t, err, &ue)
}

// TestKit_CheckRedirect_NeverReportsAnotherPage: a redirect that carries
// a contract error is the contract's answer only when it is exactly the
// renderer's, to the Kit's pages; otherwise the client stops with an
// error in which codes.As finds nothing.
func TestKit_CheckRedirect_NeverReportsAnotherPage(t *testing.T) {
	kit := newKit(t)
	const q = "?oauth_exception=invalid_scope"
	for _, tc := range []struct {
		name string
		h    http.Handler
		why  string
	}{
		{"another host", contractRedirect("https://evil.example/ooops"+q, http.StatusSeeOther),
			`	Location: "https://evil.example/ooops` + q + `" goes to "https://evil.example/ooops", not to authorization's page "/ooops"; want "/ooops` + q + `"`},
		{"scheme-relative", contractRedirect("//evil.example/ooops"+q, http.StatusSeeOther),
			`	Location: "//evil.example/ooops` + q + `" goes to "//evil.example/ooops", not to authorization's page "/ooops"; want "/ooops` + q + `"`},
		{"another page", contractRedirect("/phish"+q, http.StatusSeeOther),
			`	Location: "/phish` + q + `" goes to "/phish", not to authorization's page "/ooops"; want "/ooops` + q + `"`},
		{"302", contractRedirect("/ooops"+q, http.StatusFound), "\tstatus: want 303, got 302"},
		{"http.Redirect", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/ooops"+q, http.StatusSeeOther)
		}), "\tCache-Control: want exactly one, \"no-store\", got []\n" +
			"\tPragma: want exactly one, \"no-cache\", got []\n" +
			"\tReferrer-Policy: want exactly one, \"no-referrer\", got []\n" +
			"\tbody: want none, got \"<a href=\\\"/ooops?oauth_exception=invalid_scope\\\">See Other</a>.\\n\\n\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			client := srv.Client()
			client.CheckRedirect = kit.CheckRedirect
			_, err := client.Get(srv.URL + "/oauth/authorize")
			_, found := codes.As(err)
			assert.False(t, found, "reported as the contract's answer: %v", err)
			assert.ErrorIs(t, err, authredirecttest.ErrNotContract)
			var ue *url.Error
			require.ErrorAs(t, err, &ue)
			assert.EqualError(t, ue.Err, "authredirecttest: not the contract's answer for oauth_exception=invalid_scope (GET /oauth/authorize):\n"+tc.why)
		})
	}
}

// TestKit_CheckRedirect_FollowsOrdinaryRedirectsGoCannotParse: a client's
// own callback whose query Go's parser refuses (a ';' or a stray '%' in
// the state) names no contract parameter: it is an ordinary hop.
func TestKit_CheckRedirect_FollowsOrdinaryRedirectsGoCannotParse(t *testing.T) {
	kit := newKit(t)
	for _, loc := range []string{
		"https://client.example/callback?code=abc&state=a;b",
		"https://client.example/callback?code=abc&state=100%",
		"https://client.example/callback?exception=x;y",
	} {
		req := httptest.NewRequest(http.MethodGet, loc, nil)
		assert.NoError(t, kit.CheckRedirect(req, nil), loc)
	}
}

// TestKit_CheckRedirect_AbsolutePages: with pages on another host, the
// contract's redirect leaves the server under test for exactly that host.
func TestKit_CheckRedirect_AbsolutePages(t *testing.T) {
	pages := render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"}
	kit, err := authredirecttest.New(pages)
	require.NoError(t, err)
	srv := httptest.NewServer(kit.Recoverer().Authentication(failWith(codes.Unauthorized.WithEntityID("u-jane"))))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = kit.CheckRedirect
	res, err := client.Get(srv.URL + "/login")
	_, ok := codes.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "https://accounts.example.com/?identity_exception=unauthorized&entity_id=u-jane", res.Header.Get("Location"))

	// The same answer checked against other pages is not the contract's.
	other := newKit(t)
	client.CheckRedirect = other.CheckRedirect
	_, err = client.Get(srv.URL + "/login")
	assert.ErrorIs(t, err, authredirecttest.ErrNotContract)
	_, ok = codes.As(err)
	assert.False(t, ok, "no contract error is reported for another page")
}
