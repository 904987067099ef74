package render_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

func ExampleRenderer_Redirect() {
	r, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/"})
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/login", nil)
	r.Redirect(rec, req, codes.Unauthorized.WithEntityID("u-jane"))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 303 /?identity_exception=unauthorized&entity_id=u-jane
}

func ExampleRenderer_JSON() {
	r, _ := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login"})
	rec := httptest.NewRecorder()
	r.JSON(rec, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), codes.InvalidGrant.Err())
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 400 {"error":"invalid_grant","error_description":"The authorization code or refresh token is invalid, expired, revoked, bound to another redirect URI or issued to another client."}
}

func ExampleNew() {
	_, err := render.New(render.Config{ErrorPage: "https://user:pw@example.com/ooops", LoginPage: "/login"})
	fmt.Println(err)
	// Output:
	// error page: render: invalid configuration: target "https://user:pw@example.com/ooops": has userinfo
}

// A client reads the error out of the Location it was redirected to.
func ExampleParseQuery_location() {
	u, _ := url.Parse("https://accounts.livechatinc.com/ooops?oauth_exception=invalid_request&exception_details=too_many_redirects")
	e, err := render.ParseQuery(u.RawQuery)
	fmt.Println(e.Code().Kind(), e.Code().Name(), e.Detail(), err)
	// Output:
	// authorization invalid_request to_many_redirects <nil>
}

// An app serves its own error page: it reads the error back from the query
// and shows it on the terminal page, which never redirects, in the
// language the browser asks for.
func ExampleParseQuery() {
	r, _ := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login"})
	errorPage := func(w http.ResponseWriter, req *http.Request) {
		e, err := render.ParseQuery(req.URL.RawQuery)
		if err != nil {
			e = nil // a query outside the contract is never shown: "no error"
		}
		r.Page(w, req, http.StatusOK, e)
	}
	req := httptest.NewRequest(http.MethodGet, "/ooops?oauth_exception=invalid_scope&exception_details=client_id_not_found", nil)
	req.Header.Set("Accept-Language", "de-CH, en;q=0.5")
	rec := httptest.NewRecorder()
	errorPage(rec, req)
	body := rec.Body.String()
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Language"))
	fmt.Println(strings.Contains(body, `<html lang="de">`), strings.Contains(body, "<title>Die App hat einen unbekannten Zugriff angefordert</title>"))
	// Output:
	// 200 text/html; charset=utf-8 de
	// true true
}
