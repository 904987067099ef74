package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

func TestGuards_EachReasonInBothFamilies(t *testing.T) {
	const (
		authz = "https://accounts.example.com/ooops?oauth_exception="
		authn = "https://accounts.example.com/?identity_exception="
	)
	type request struct {
		method, target, body string
	}
	for _, tc := range []struct {
		name  string
		guard alice.Constructor
		bad   request
		good  request
		authz string // Location on an authorization route
		authn string // Location on an authentication route
	}{
		{"wrong HTTP method",
			middleware.AllowMethods(http.MethodPost),
			request{http.MethodGet, "/x", ""}, request{http.MethodPost, "/x", ""},
			authz + "invalid_request", authn + "invalid_request"},
		{"parameter given twice in the query",
			middleware.UniqueParams(),
			request{http.MethodGet, "/x?client_id=a&client_id=b", ""}, request{http.MethodGet, "/x?client_id=a&scope=b", ""},
			authz + "invalid_request", authn + "invalid_request"},
		{"named parameter given twice across query and body",
			alice.New(middleware.ParseForm(0), middleware.UniqueParams("email")).Then,
			request{http.MethodPost, "/x?email=a", "email=b"}, request{http.MethodPost, "/x?other=1&other=2", "email=b"},
			authz + "invalid_request", authn + "invalid_request"},
		{"invalid HTTP body encoding",
			middleware.ParseForm(0),
			request{http.MethodPost, "/x", "email=%zz"}, request{http.MethodPost, "/x", "email=a%40b"},
			authz + "invalid_request", authn + "invalid_request"},
		{"body over the limit",
			middleware.ParseForm(16),
			request{http.MethodPost, "/x", "email=" + strings.Repeat("a", 64)}, request{http.MethodPost, "/x", "email=a"},
			authz + "invalid_request", authn + "invalid_request"},
		{"response type not code or token",
			middleware.AllowResponseTypes(),
			request{http.MethodGet, "/x?response_type=id_token", ""}, request{http.MethodGet, "/x?response_type=token", ""},
			authz + "unsupported_response_type", authz + "unsupported_response_type"},
		{"response type missing",
			middleware.AllowResponseTypes("code"),
			request{http.MethodGet, "/x", ""}, request{http.MethodGet, "/x?response_type=code", ""},
			authz + "invalid_request", authn + "invalid_request"},
		{"disabled grant type",
			middleware.AllowGrantTypes("authorization_code", "refresh_token"),
			request{http.MethodPost, "/x", "grant_type=client_credentials"}, request{http.MethodPost, "/x", "grant_type=refresh_token"},
			authz + "unsupported_grant_type", authz + "unsupported_grant_type"},
	} {
		for _, kind := range []codes.Kind{codes.Authorization, codes.Authentication} {
			t.Run(tc.name+"/"+kind.String(), func(t *testing.T) {
				rec, _ := newRecover(t, testRoute{Kind: kind})
				h := alice.New(rec, tc.guard).ThenFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(http.StatusNoContent)
				})
				do := func(r request) *httptest.ResponseRecorder {
					req := httptest.NewRequest(r.method, r.target, strings.NewReader(r.body))
					if r.body != "" {
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
					res := httptest.NewRecorder()
					h.ServeHTTP(res, req)
					return res
				}
				want := tc.authz
				if kind == codes.Authentication {
					want = tc.authn
				}
				bad := do(tc.bad)
				assert.Equal(t, http.StatusSeeOther, bad.Code)
				assert.Equal(t, want, bad.Header().Get("Location"))
				assert.Equal(t, http.StatusNoContent, do(tc.good).Code, "a well-formed request passes")
			})
		}
	}
}
