package authredirect_test

import (
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// The snippets of README.md and docs/ live here, each between "README
// snippet NAME" lines, with what they need around them: compiled and run by
// the tests below, and compared with the docs by
// TestREADME_SnippetsAreTestedCode.

func quietRecoverer(t *testing.T) *middleware.Recoverer {
	t.Helper()
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}, Observer: middleware.Quiet})
	require.NoError(t, err)
	return rc
}

func TestREADMESnippet_LoopGuard(t *testing.T) {
	kit, err := authredirecttest.New(render.Config{})
	require.NoError(t, err)
	rc, mux := kit.Recoverer(), http.NewServeMux()
	sharedKey := []byte("a key of 32 bytes for the README!")
	signedInAccount := func(*http.Request) string { return "" }
	authorize := func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(http.StatusNoContent); return nil }

	// README snippet loopguard begin
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{
		Keys: [][]byte{sharedKey}, // 32+ bytes each, the same on every instance; the first signs
	})
	if err != nil {
		log.Fatal(err)
	}
	guard, err := loopguard.New(loopguard.Config{
		Counter:   counter,
		AccountOf: signedInAccount, // optional: count per client per user account
	})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/oauth/authorize", alice.New(rc.Authorization, guard.Middleware).Then(middleware.Wrap(authorize)))
	// README snippet loopguard end

	browser := kit.Browser() // keeps the guard's cookie from answer to request
	for arrival := 1; arrival <= 4; arrival++ {
		res := browser.Serve(mux, httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil))
		if arrival < 4 {
			assert.Equal(t, http.StatusNoContent, res.Status, "arrival %d", arrival)
		} else {
			assert.NoError(t, kit.Check(res, codes.InvalidRequest.With(codes.TooManyRedirects)), "the 4th arrival trips")
		}
	}
}

func TestREADMESnippet_ErrorPage(t *testing.T) {
	rc, mux := quietRecoverer(t), http.NewServeMux()

	// README snippet errorpage begin
	mux.Handle("/ooops", alice.New(rc.Authorization).Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		e, _ := render.ParseQuery(r.URL.RawQuery) // nil: "no error to show"
		rc.Renderer().Page(w, r, http.StatusOK, e)
		return nil
	})))
	// README snippet errorpage end

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ooops?oauth_exception=invalid_scope", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "<code>invalid_scope</code>")
}

func TestREADMESnippet_TestKit(t *testing.T) {
	authorize := func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	}
	kitForServer, err := authredirecttest.New(render.Config{})
	require.NoError(t, err)
	srv := httptest.NewServer(kitForServer.Recoverer().Authorization(middleware.Wrap(authorize)))
	defer srv.Close()
	client := srv.Client()

	// README snippet testkit begin
	kit, err := authredirecttest.New(render.Config{}) // errors go to /ooops and /login
	require.NoError(t, err)

	res := kit.Authorization(middleware.Wrap(authorize), httptest.NewRequest("GET", "/oauth/authorize?client_id=nope", nil))
	assert.NoError(t, kit.Check(res, codes.UnauthorizedClient.With(codes.ClientIDNotFound))) // the whole answer, as sent

	client.CheckRedirect = kit.CheckRedirect // integration tests: stop at the contract's redirect
	_, err = client.Get(srv.URL + "/oauth/authorize?client_id=nope")
	e, _ := codes.As(err) // unauthorized_client + client_id_not_found
	// README snippet testkit end

	assert.Equal(t, codes.ClientIDNotFound, e.Detail())
}

func TestREADMESnippet_CodesAndRender(t *testing.T) {
	r, err := render.New(render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"})
	require.NoError(t, err)
	w, req := httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	dbErr := errors.New("dial tcp 10.0.0.5:5432: connection refused")

	// README snippet codesrender begin
	e := codes.UnauthorizedClient.With(codes.ClientIDNotFound) // a new *codes.Error, yours alone
	r.Redirect(w, req, e)
	// 303 See Other
	// Location: https://accounts.example.com/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
	// Cache-Control: no-store / Pragma: no-cache / Referrer-Policy: no-referrer

	r.Redirect(w, req, codes.Unauthorized.WithEntityID("u-jane"))
	// Location: https://accounts.example.com/?identity_exception=unauthorized&entity_id=u-jane

	r.JSON(w, req, codes.InvalidClient.WithCause(dbErr)) // 401, WWW-Authenticate; the cause is never sent
	r.Page(w, req, http.StatusOK, e)                     // terminal HTML page, never a redirect
	// README snippet codesrender end

	assert.Equal(t, http.StatusSeeOther, w.Code, "the first answer's status")
	assert.NotContains(t, w.Body.String(), "10.0.0.5")
	for _, tc := range []struct {
		e    *codes.Error
		want string
	}{
		{e, "https://accounts.example.com/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"},
		{codes.Unauthorized.WithEntityID("u-jane"), "https://accounts.example.com/?identity_exception=unauthorized&entity_id=u-jane"},
	} {
		rec := httptest.NewRecorder()
		r.Redirect(rec, req, tc.e)
		assert.Equal(t, tc.want, rec.Header().Get("Location"), "the snippet's comment")
	}
}
