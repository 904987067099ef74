package authredirecttest_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
)

// Check refuses, on every form of answer, a header that moves or
// instructs the browser (or a proxy in front), which the renderer never
// sends.
func TestKit_Check_RefusesANavigationHeaderOnEveryAnswer(t *testing.T) {
	kit := newKit(t)
	want := codes.InvalidScope.Err()
	for _, tc := range []struct {
		form   string
		route  func(http.Handler) http.Handler
		target string
	}{
		{"redirect", kit.Recoverer().Authorization, "/oauth/authorize"},
		{"json", kit.Recoverer().JSON, "/oauth/token"},
		{"page in place", kit.Recoverer().Authorization, "/ooops"},
	} {
		for name, value := range map[string]string{
			"Refresh":          "0; url=https://evil.example/",
			"Content-Location": "https://evil.example/",
			"Link":             "<https://evil.example/>; rel=preload",
			"X-Accel-Redirect": "/internal/secret",
		} {
			req := func() *http.Request { return httptest.NewRequest(http.MethodGet, tc.target, nil) }
			require.NoError(t, kit.Check(kit.Serve(tc.route(failWith(want)), req()), want), tc.form)
			app := breakAnswer(func(s int, h http.Header) int { h.Set(name, value); return s }, "")(tc.route(failWith(want)))
			err := kit.Check(kit.Serve(app, req()), want)
			assert.ErrorIs(t, err, authredirecttest.ErrNotContract, "%s: %s", tc.form, name)
			assert.ErrorContains(t, err, "\t"+name+": want none, got ["+strconv.Quote(value)+"]", "%s: %s", tc.form, name)
		}
	}
}

// A JSON body that gives a key twice is refused: a client that keeps the
// first value reads another answer than one that keeps the last.
func TestKit_CheckJSON_RefusesADuplicateKey(t *testing.T) {
	kit := newKit(t)
	desc := strconv.Quote(codes.InvalidScope.Description())
	for body, why := range map[string]string{
		`{"error":"server_error","error":"invalid_scope","error_description":` + desc + `}`:                `body: the key "error" is given twice`,
		`{"error":"invalid_scope","error_description":"leaked: db down","error_description":` + desc + `}`: `body: the key "error_description" is given twice`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Pragma", "no-cache")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(body))
		}))
		resp, err := srv.Client().Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", nil)
		srv.Close()
		require.NoError(t, err)
		err = kit.CheckJSON(resp, codes.InvalidScope.Err())
		assert.ErrorIs(t, err, authredirecttest.ErrNotContract, body)
		assert.ErrorContains(t, err, why, body)
	}
}

// A carried value must be the one the request that was served gave: a
// redirect_uri the request did not send, or sent otherwise, is refused.
func TestKit_Check_CarriedValuesAreTheRequests(t *testing.T) {
	kit := newKit(t, "client_id", "redirect_uri")
	want := codes.Unauthorized.Err()
	const loc = "/login?identity_exception=unauthorized"
	for _, tc := range []struct{ target, location string }{
		{"/signin?client_id=demo&redirect_uri=https%3A%2F%2Fapp.example%2Fcb", loc + "&client_id=demo&redirect_uri=https%3A%2F%2Fevil.example%2F"},
		{"/signin?client_id=demo", loc + "&client_id=demo&redirect_uri=https%3A%2F%2Fevil.example%2F"},
		{"/signin?client_id=demo&redirect_uri=a&redirect_uri=b", loc + "&client_id=demo&redirect_uri=https%3A%2F%2Fevil.example%2F"},
		{"/signin?client_id=demo", loc + "&client_id=other"},
	} {
		app := breakAnswer(func(s int, h http.Header) int { h.Set("Location", tc.location); return s }, "")
		res := kit.Serve(app(kit.Recoverer().Authentication(failWith(want))), httptest.NewRequest(http.MethodGet, tc.target, nil))
		require.NoError(t, kit.Check(kit.Authentication(failWith(want), httptest.NewRequest(http.MethodGet, tc.target, nil)), want), tc.target)
		err := kit.Check(res, want)
		assert.ErrorIs(t, err, authredirecttest.ErrNotContract, "%s answered %s", tc.target, tc.location)
	}
}
