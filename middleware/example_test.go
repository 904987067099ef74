package middleware_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// do serves one request and returns the recorder.
func do(h http.Handler, method, target, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func Example() {
	rc, err := middleware.New(middleware.Config{
		Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
	})
	if err != nil {
		log.Fatal(err) // invalid configuration is reported here, once
	}
	authorize := func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Get("client_id") != "demo" {
			return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
		}
		return nil
	}
	h := alice.New(rc.Authorization).Then(middleware.Wrap(authorize))

	rec := do(h, http.MethodGet, "/oauth/authorize?client_id=nope", "")
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 303 /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
}

func ExampleRecoverer_JSON() {
	rc, _ := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	token := middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnsupportedGrantType
	})
	rec := do(rc.JSON(token), http.MethodPost, "/oauth/token", "")
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 400 {"error":"unsupported_grant_type","error_description":"The authorization server does not accept this grant type."}
}

func ExampleRecoverer_Authentication() {
	rc, _ := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	login := rc.Authentication(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Has("banned") {
			// A name both families have follows the route: the login page.
			return codes.AccessDenied
		}
		return codes.Unauthorized.WithEntityID("u-jane")
	}))
	fmt.Println(do(login, http.MethodPost, "/login", "").Header().Get("Location"))
	fmt.Println(do(login, http.MethodPost, "/login?banned", "").Header().Get("Location"))
	// Fetching the login page itself cannot redirect to it: a terminal page.
	fmt.Println(do(login, http.MethodGet, "/login", "").Code)
	// Output:
	// /login?identity_exception=unauthorized&entity_id=u-jane
	// /login?identity_exception=access_denied
	// 401
}

func ExampleRecoverer_Route() {
	rc, _ := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	negotiate := rc.Route(codes.Authorization, middleware.ModeNegotiate)
	h := negotiate(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope }))

	browser := do(h, http.MethodGet, "/oauth/authorize", "text/html,application/xhtml+xml,*/*;q=0.8")
	fmt.Println(browser.Code, browser.Header().Get("Location"))
	api := do(h, http.MethodGet, "/oauth/authorize", "application/json")
	fmt.Println(api.Code, api.Header().Get("Content-Type"))
	// Output:
	// 303 /ooops?oauth_exception=invalid_scope
	// 400 application/json; charset=utf-8
}

func ExampleWrap() {
	rc, _ := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	profile := middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("profile store: %w", errSecretStorage) // not a contract error
	})
	rec := do(rc.Authorization(profile), http.MethodGet, "/profile", "")
	fmt.Println(rec.Header().Get("Location")) // the cause goes to the observer, never to the client
	// Output:
	// /ooops?oauth_exception=server_error
}

var errSecretStorage = fmt.Errorf("dial tcp 10.0.0.7:5432: connection refused")

func ExampleAllowMethods() {
	rc, _ := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	authorize := alice.New(rc.Authorization,
		middleware.AllowMethods(http.MethodGet, http.MethodHead), // invalid_request: wrong HTTP method
		middleware.UniqueParams(),                                // invalid_request: a parameter twice, or a malformed query
		middleware.AllowResponseTypes("code"),                    // unsupported_response_type
	).ThenFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	for _, req := range []struct{ method, target string }{
		{http.MethodPost, "/oauth/authorize?response_type=code"},
		{http.MethodGet, "/oauth/authorize?response_type=code&response_type=token"},
		{http.MethodGet, "/oauth/authorize?response_type=token"},
		{http.MethodGet, "/oauth/authorize?response_type=code"},
	} {
		rec := do(authorize, req.method, req.target, "")
		fmt.Println(rec.Code, rec.Header().Get("Location"))
	}
	// Output:
	// 303 /ooops?oauth_exception=invalid_request
	// 303 /ooops?oauth_exception=invalid_request
	// 303 /ooops?oauth_exception=unsupported_response_type
	// 204
}
