package authredirecttest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func newKit(t *testing.T) *authredirecttest.Kit {
	t.Helper()
	kit, err := authredirecttest.New(render.Config{})
	require.NoError(t, err)
	return kit
}

func TestKit_ClassifiesWhatTheHandlerReturns(t *testing.T) {
	kit := newKit(t)
	cause := errors.New("users table: connection refused")
	for _, tc := range []struct {
		name     string
		serve    func(http.Handler, *http.Request) authredirecttest.Result
		h        func(http.ResponseWriter, *http.Request) error
		outcome  middleware.Outcome
		want     *codes.Error
		status   int
		location string
	}{
		{"typed", kit.Authorization, func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope },
			middleware.Redirected, codes.InvalidScope.Err(), 303, "/ooops?oauth_exception=invalid_scope"},
		{"plain error on a login route", kit.Authentication, func(http.ResponseWriter, *http.Request) error { return cause },
			middleware.Redirected, codes.IdentityServerError.Err(), 303, "/login?identity_exception=server_error"},
		{"panic", kit.Authorization, func(http.ResponseWriter, *http.Request) error { panic("boom") },
			middleware.Redirected, codes.ServerError.Err(), 303, "/ooops?oauth_exception=server_error"},
		{"json", kit.JSON, func(http.ResponseWriter, *http.Request) error { return codes.InvalidClient },
			middleware.WroteJSON, codes.InvalidClient.Err(), 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.serve(middleware.Wrap(tc.h), httptest.NewRequest(http.MethodPost, "/x", nil))
			assert.True(t, res.Failed())
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.want.Code(), res.Err.Code())
			assert.Equal(t, tc.status, res.Code)
			assert.Equal(t, tc.location, res.Header().Get("Location"))
			if tc.location != "" {
				assert.NoError(t, authredirecttest.CheckLocation(res.Header().Get("Location"), tc.want))
			}
		})
	}
	res := kit.Authorization(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		httptest.NewRequest(http.MethodGet, "/ok", nil))
	assert.False(t, res.Failed())
	assert.Nil(t, res.Err)
	assert.Equal(t, http.StatusNoContent, res.Code)
}

func TestKit_FindsItsEventThroughARequestReplacingMiddleware(t *testing.T) {
	kit := newKit(t)
	replacing := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r.Clone(r.Context())) })
	}
	app := replacing(kit.Recoverer().Authorization(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.MissingGrant
	})))
	res := kit.Serve(app, httptest.NewRequest(http.MethodGet, "/authorize", nil))
	require.True(t, res.Failed())
	assert.Equal(t, codes.MissingGrant, res.Err.Code())
}

func TestCheckLocation(t *testing.T) {
	for _, tc := range []struct {
		location string
		want     *codes.Error
		err      string // "" when it matches
	}{
		{"/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", codes.UnauthorizedClient.With(codes.ClientIDNotFound), ""},
		{"/login?identity_exception=unauthorized&entity_id=u-jane", codes.Unauthorized.WithEntityID("u-jane"), ""},
		{"/login?identity_exception=unauthorized", codes.Unauthorized.WithEntityID("not an id"), ""},
		{"/ooops?oauth_exception=unauthorized_client", codes.UnauthorizedClient.With(codes.ClientIDNotFound),
			`authredirecttest: Location "/ooops?oauth_exception=unauthorized_client" carries oauth_exception=unauthorized_client, want oauth_exception=unauthorized_client exception_details=client_id_not_found`},
		{"/ooops?oauth_exception=invalid_request", codes.IdentityInvalidRequest.Err(),
			`authredirecttest: Location "/ooops?oauth_exception=invalid_request" carries oauth_exception=invalid_request, want identity_exception=invalid_request`},
		{"/login?identity_exception=unauthorized&entity_id=u-jane", codes.Unauthorized.Err(),
			`authredirecttest: Location "/login?identity_exception=unauthorized&entity_id=u-jane" carries identity_exception=unauthorized entity_id=u-jane, want identity_exception=unauthorized`},
		{"/ooops?oauth_exception=bogus", codes.InvalidScope.Err(),
			`authredirecttest: Location "/ooops?oauth_exception=bogus" is not a contract redirect: codes: unknown wire name: "bogus" is not an authorization code`},
		{"/callback?code=abc", codes.InvalidScope.Err(),
			`authredirecttest: Location "/callback?code=abc" is not a contract redirect: render: no oauth_exception or identity_exception in the query`},
	} {
		err := authredirecttest.CheckLocation(tc.location, tc.want)
		if tc.err == "" {
			assert.NoError(t, err, tc.location)
		} else {
			assert.EqualError(t, err, tc.err)
		}
	}
}

func TestCheckRedirect_StopsAtTheContractsRedirect(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hop", http.StatusFound) })
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects", http.StatusSeeOther)
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ooops?oauth_exception=invalid_request&oauth_exception=x", http.StatusSeeOther)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/ooops", func(w http.ResponseWriter, _ *http.Request) { t.Error("the client must stop before the error page") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = authredirecttest.CheckRedirect

	_, err := client.Get(srv.URL + "/start")
	e, ok := codes.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, codes.InvalidRequest, e.Code())
	assert.Equal(t, codes.TooManyRedirects, e.Detail())
	var re *authredirecttest.RedirectError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, srv.URL+"/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects", re.Location)

	_, err = client.Get(srv.URL + "/bad")
	assert.ErrorIs(t, err, render.ErrMalformed)
	for _, q := range []string{"oauth%5Fexception=x;y", "a=1;identity_exception=unauthorized", "entity_id=%zz"} {
		req := httptest.NewRequest(http.MethodGet, "https://accounts.example.com/ooops?"+q, nil)
		assert.ErrorIs(t, authredirecttest.CheckRedirect(req, nil), render.ErrMalformed, "a malformed query that names a contract parameter: %s", q)
	}
	_, err = client.Get(srv.URL + "/loop")
	assert.ErrorIs(t, err, authredirecttest.ErrTooManyHops)
	var ue *url.Error
	assert.ErrorAs(t, err, &ue)
}

func ExampleKit() {
	kit, err := authredirecttest.New(render.Config{}) // errors go to /ooops and /login
	if err != nil {
		panic(err)
	}
	authorize := middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Get("client_id") != "demo" {
			return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
		}
		return nil
	})
	res := kit.Authorization(authorize, httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope", nil))
	fmt.Println(res.Outcome, res.Err.Code().Name(), res.Err.Detail())
	fmt.Println(res.Code, res.Header().Get("Location"))
	// Output:
	// redirected unauthorized_client client_id_not_found
	// 303 /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
}

func ExampleCheckLocation() {
	err := authredirecttest.CheckLocation("/login?identity_exception=unauthorized", codes.Unauthorized.WithEntityID("u-jane"))
	fmt.Println(err)
	// Output:
	// authredirecttest: Location "/login?identity_exception=unauthorized" carries identity_exception=unauthorized, want identity_exception=unauthorized entity_id=u-jane
}

func ExampleCheckRedirect() {
	kit, _ := authredirecttest.New(render.Config{})
	srv := httptest.NewServer(kit.Recoverer().Authorization(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.MissingGrant
	})))
	defer srv.Close()

	client := srv.Client()
	client.CheckRedirect = authredirecttest.CheckRedirect
	_, err := client.Get(srv.URL + "/oauth/authorize")
	e, _ := codes.As(err)
	fmt.Println(e.Kind(), e.Code().Name())
	// Output:
	// authorization missing_grant
}

// TestCheckRedirect_FollowsOrdinaryRedirectsGoCannotParse: a client's own
// callback whose query Go's parser refuses (a ';' or a stray '%' in the
// state) names no contract parameter: it is an ordinary hop.
func TestCheckRedirect_FollowsOrdinaryRedirectsGoCannotParse(t *testing.T) {
	for _, loc := range []string{
		"https://client.example/callback?code=abc&state=a;b",
		"https://client.example/callback?code=abc&state=100%",
		"https://client.example/callback?exception=x;y",
	} {
		req := httptest.NewRequest(http.MethodGet, loc, nil)
		assert.NoError(t, authredirecttest.CheckRedirect(req, nil), loc)
	}
}

// TestCheckLocation_EntityIDAsTheRendererSendsIt: the kit expects entity_id
// exactly where the renderer sends it (with unauthorized), so it agrees
// with the library's own redirect for an id kept for logs only.
func TestCheckLocation_EntityIDAsTheRendererSendsIt(t *testing.T) {
	kit, err := authredirecttest.New(render.Config{})
	require.NoError(t, err)
	for _, tc := range []struct {
		err  *codes.Error
		want string
	}{
		{codes.IdentityLost.WithEntityID("u-jane"), "/login?identity_exception=identity_lost"},
		{codes.Unauthorized.WithEntityID("u-jane"), "/login?identity_exception=unauthorized&entity_id=u-jane"},
	} {
		res := kit.Authentication(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return tc.err }),
			httptest.NewRequest(http.MethodGet, "/account", nil))
		require.Equal(t, http.StatusSeeOther, res.Code)
		loc := res.Header().Get("Location")
		require.Equal(t, tc.want, loc)
		assert.NoError(t, authredirecttest.CheckLocation(loc, res.Err))
		assert.NoError(t, authredirecttest.CheckLocation(loc, tc.err))
	}
	assert.Error(t, authredirecttest.CheckLocation("/login?identity_exception=identity_lost&entity_id=u-jane", codes.IdentityLost.WithEntityID("u-jane")),
		"entity_id with identity_lost breaks the contract")
}
