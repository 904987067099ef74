package middleware_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// The contract holds for the code people naturally write, mistakes included.

// nilCustom is a user's error type whose methods dereference the receiver.
type nilCustom struct{ msg string }

func (e *nilCustom) Error() string { return e.msg }
func (e *nilCustom) Unwrap() error { return errors.New(e.msg) }

func TestRecoverer_TypedNilErrorIsServerErrorOfTheRoute(t *testing.T) {
	var nilErr *codes.Error
	var nilPanic *middleware.PanicError
	var nilUser *nilCustom
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"nil *codes.Error", nilErr},
		{"nil *codes.Error wrapped", fmt.Errorf("authorize: %w", error(nilErr))},
		{"nil *PanicError", nilPanic},
		{"nil user error", nilUser},
	} {
		for kind, want := range map[codes.Kind]string{
			codes.Authorization:  "https://accounts.example.com/ooops?oauth_exception=server_error",
			codes.Authentication: "https://accounts.example.com/?identity_exception=server_error",
		} {
			t.Run(tc.name+"/"+kind.String(), func(t *testing.T) {
				rec, ev := newRecover(t, testRoute{Kind: kind})
				var res *httptest.ResponseRecorder
				require.NotPanics(t, func() { res = serve(rec(failing(tc.err)), http.MethodGet, "/oauth/authorize") })
				assert.Equal(t, http.StatusSeeOther, res.Code)
				assert.Equal(t, want, res.Header().Get("Location"))
				require.Len(t, ev.list(), 1, "observed once")
				got := ev.list()[0]
				assert.Equal(t, middleware.Redirected, got.Outcome)
				assert.NotPanics(t, func() { _ = got.Err.Error(); _ = got.Cause.Error() }, "what the observer gets is safe to log")
			})
		}
	}
}

func TestRecoverer_LoginFormPostOnTheLoginPagePathRedirects(t *testing.T) {
	rec, ev := newRecover(t, testRoute{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}, Kind: codes.Authentication})
	h := rec(failing(codes.Unauthorized.WithEntityID("u-jane")))

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		res := serve(h, method, "/login")
		assert.Equal(t, http.StatusSeeOther, res.Code, method)
		assert.Equal(t, "/login?identity_exception=unauthorized&entity_id=u-jane", res.Header().Get("Location"), method)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		res := serve(h, method, "/login")
		assert.Equal(t, http.StatusUnauthorized, res.Code, "fetching the page itself would loop: %s", method)
		assert.Empty(t, res.Header().Get("Location"), method)
	}
	outcomes := []middleware.Outcome{}
	for _, e := range ev.list() {
		outcomes = append(outcomes, e.Outcome)
	}
	assert.Equal(t, []middleware.Outcome{middleware.Redirected, middleware.Redirected, middleware.Redirected, middleware.LoopStopped, middleware.LoopStopped}, outcomes)
}

func TestRecoverer_SharedNamesFollowTheRoutesFamily(t *testing.T) {
	const (
		authz = "https://accounts.example.com/ooops?oauth_exception="
		authn = "https://accounts.example.com/?identity_exception="
	)
	for _, tc := range []struct {
		err          error
		authz, authn string
	}{
		{codes.InvalidRequest, authz + "invalid_request", authn + "invalid_request"},
		{codes.AccessDenied, authz + "access_denied", authn + "access_denied"},
		{codes.ServerError, authz + "server_error", authn + "server_error"},
		{codes.AccessDenied.With(codes.ClientIDNotFound).WithCause(errors.New("banned")), authz + "access_denied&exception_details=client_id_not_found", authn + "access_denied&exception_details=client_id_not_found"},
		{fmt.Errorf("login: %w", codes.InvalidRequest), authz + "invalid_request", authn + "invalid_request"},
		// The Identity names are authentication everywhere; the others keep their family.
		{codes.IdentityAccessDenied, authn + "access_denied", authn + "access_denied"},
		{codes.InvalidScope, authz + "invalid_scope", authz + "invalid_scope"},
		{codes.Unauthorized, authn + "unauthorized", authn + "unauthorized"},
	} {
		for kind, want := range map[codes.Kind]string{codes.Authorization: tc.authz, codes.Authentication: tc.authn} {
			rec, ev := newRecover(t, testRoute{Kind: kind})
			res := serve(rec(failing(tc.err)), http.MethodPost, "/x")
			assert.Equal(t, want, res.Header().Get("Location"), "%v on an %s route", tc.err, kind)
			require.Len(t, ev.list(), 1)
			assert.Equal(t, want[strings.Index(want, "?")+1:strings.Index(want, "=")], ev.list()[0].Err.Code().Kind().Param(), "the observer hears the family that was sent")
		}
	}
}

func TestGuards_MalformedQueryIsInvalidRequest(t *testing.T) {
	many := strings.Repeat("a=1&", 10001) + "client_id=demo"
	for _, target := range []string{
		"/x?client_id=demo&client_id=x;",
		"/x?client_id=demo&client_id=%zz",
		"/x?client_id=demo;scope=x",
		"/x?" + many,
	} {
		rec, _ := newRecover(t, testRoute{})
		h := middleware.UniqueParams()(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		res := serve(rec(h), http.MethodGet, target)
		assert.Equal(t, http.StatusSeeOther, res.Code, "%.60s", target)
		assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=invalid_request", res.Header().Get("Location"), "%.60s", target)
	}
}

func TestGuards_GrantTypeReadExactlyAsTheHandlerReadsIt(t *testing.T) {
	for body, want := range map[string]error{
		"grant_type=%20refresh_token%20": codes.UnsupportedGrantType,
		"grant_type=refresh_token%0A":    codes.UnsupportedGrantType,
		"grant_type=refresh_token":       nil,
		"grant_type=":                    codes.InvalidRequest,
	} {
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var got error
		var read string
		guard := middleware.AllowGrantTypes("refresh_token")(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			read = r.PostForm.Get("grant_type")
		}))
		rc, err := middleware.New(middleware.Config{Render: testPages, Observer: func(ev middleware.Event) { got = ev.Err }})
		require.NoError(t, err)
		rc.JSON(guard).ServeHTTP(httptest.NewRecorder(), req)
		if want == nil {
			assert.NoError(t, got, body)
			assert.Equal(t, "refresh_token", read, "what the guard accepted is what the handler reads")
			continue
		}
		assert.ErrorIs(t, got, want, body)
	}
}
