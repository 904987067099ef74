package authredirecttest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

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
	fmt.Println(res.Status, res.Header.Get("Location"))
	fmt.Println(kit.Check(res, codes.UnauthorizedClient.With(codes.ClientIDNotFound)))
	fmt.Println(kit.Check(res, codes.UnauthorizedClient.Err()))
	// Output:
	// 303 /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
	// <nil>
	// authredirecttest: not the contract's answer for oauth_exception=unauthorized_client (GET /oauth/authorize?client_id=nope):
	// 	Location: "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found" carries oauth_exception=unauthorized_client exception_details=client_id_not_found, want oauth_exception=unauthorized_client; want "/ooops?oauth_exception=unauthorized_client"
}

func ExampleKit_CheckLocation() {
	kit, _ := authredirecttest.New(render.Config{})
	fmt.Println(kit.CheckLocation("/login?identity_exception=unauthorized&entity_id=u-jane", codes.Unauthorized.WithEntityID("u-jane")))
	fmt.Println(kit.CheckLocation("https://evil.example/login?identity_exception=unauthorized", codes.Unauthorized.Err()))
	// Output:
	// <nil>
	// authredirecttest: not the contract's answer: Location "https://evil.example/login?identity_exception=unauthorized" goes to "https://evil.example/login", not to authentication's page "/login"; want "/login?identity_exception=unauthorized"
}

func ExampleKit_CheckRedirect() {
	kit, _ := authredirecttest.New(render.Config{})
	srv := httptest.NewServer(kit.Recoverer().Authorization(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.MissingGrant
	})))
	defer srv.Close()

	client := srv.Client()
	client.CheckRedirect = kit.CheckRedirect
	_, err := client.Get(srv.URL + "/oauth/authorize")
	e, _ := codes.As(err)
	fmt.Println(e.Code().Kind(), e.Code().Name())
	// Output:
	// authorization missing_grant
}

func ExampleKit_CheckJSON() {
	kit, _ := authredirecttest.New(render.Config{})
	srv := httptest.NewServer(kit.Recoverer().JSON(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidClient
	})))
	defer srv.Close()

	resp, err := srv.Client().Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	fmt.Println(kit.CheckJSON(resp, codes.InvalidClient.Err()))
	// Output:
	// 401 Basic realm="accounts"
	// <nil>
}
