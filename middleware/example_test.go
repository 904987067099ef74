package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func Example() {
	r, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/"})
	if err != nil {
		panic(err)
	}
	authz, err := middleware.Recover(middleware.Config{Renderer: r})
	if err != nil {
		panic(err)
	}
	authorize := func(w http.ResponseWriter, req *http.Request) error {
		if req.URL.Query().Get("client_id") != "demo" {
			return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
		}
		return nil
	}
	h := alice.New(authz).Then(middleware.Wrap(authorize))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 303 /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
}

func ExampleRecover_json() {
	jsonRoute, _ := middleware.Recover(middleware.Config{Mode: middleware.ModeJSON})
	token := middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnsupportedGrantType
	})
	rec := httptest.NewRecorder()
	jsonRoute(token).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/oauth/token", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 400 {"error":"unsupported_grant_type","error_description":"The authorization server does not accept this grant type."}
}

func ExampleWrap() {
	loginRoute, _ := middleware.Recover(middleware.Config{Kind: codes.Authentication})
	login := middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.Unauthorized.WithEntityID("u-jane")
	})
	rec := httptest.NewRecorder()
	loginRoute(login).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 303 https://accounts.livechatinc.com/?identity_exception=unauthorized&entity_id=u-jane
}
