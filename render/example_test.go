package render_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

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
	// error page: authredirect: invalid configuration: target "https://user:pw@example.com/ooops": has userinfo
}

func ExampleParseLocation() {
	e, err := render.ParseLocation("https://accounts.livechatinc.com/ooops?oauth_exception=invalid_request&exception_details=too_many_redirects")
	fmt.Println(e.Kind(), e.Code().Name(), e.Detail(), err)
	// Output:
	// authorization invalid_request to_many_redirects <nil>
}
