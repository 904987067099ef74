package zitadelauthredirect_test

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// A provider's authorization and token endpoints, answered by the adapter;
// op serves the rest (discovery, keys, userinfo).
func Example() {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("example"))},
		app.NewStorage(base, app.DemoClients()), op.StaticIssuer(base), op.WithAllowInsecure())
	if err != nil {
		panic(err)
	}

	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: provider})
	if err != nil {
		panic(err)
	}
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
		Observer: middleware.Quiet,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", rc.Authorization(a.Authorize()))
	mux.Handle("/oauth/authorize/callback", rc.Authorization(a.Callback()))
	mux.Handle("/oauth/token", rc.JSON(a.Token()))
	mux.Handle("/", provider)
	srv.Config.Handler = op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux)
	srv.Start()
	defer srv.Close()

	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, query := range []string{
		"response_type=code&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid",
		"response_type=token&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid",
		"response_type=code&client_id=demo&redirect_uri=http://localhost:8081/callback&scope=openid+admin",
	} {
		res, err := client.Get(srv.URL + "/oauth/authorize?" + query)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		fmt.Println(res.StatusCode, res.Header.Get("Location"))
	}
	// Output:
	// 303 /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
	// 303 /ooops?oauth_exception=unsupported_response_type
	// 303 /ooops?oauth_exception=invalid_scope
}

// Map reads the library's error type, never its description.
func ExampleMap() {
	for _, err := range []error{
		oidc.ErrInvalidGrant().WithDescription("invalid code"),
		oidc.ErrLoginRequired(),
		&oidc.Error{ErrorType: "consent_required"},
		fmt.Errorf("no oidc.Error at all"),
	} {
		fmt.Println(zitadelauthredirect.Map(err).Code().Name())
	}
	// Output:
	// invalid_grant
	// access_denied
	// missing_grant
	// server_error
}
