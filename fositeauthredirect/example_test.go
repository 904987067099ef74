package fositeauthredirect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/justinas/alice"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"

	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// exampleServer is a fosite provider (every handler, the memory store, one
// client) and the adapter's routes.
func exampleServer() http.Handler {
	store := storage.NewMemoryStore()
	store.Clients["demo"] = &fosite.DefaultClient{
		ID: "demo", Secret: []byte("$2a$04$EWLSwGDYNqRI/nFCvaPgMOIEIuoE/S5FhbRqeS8f1xhoy3j5kIKtS"), // bcrypt of demo-secret
		RedirectURIs: []string{"http://localhost:8081/callback"}, ResponseTypes: []string{"code"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"},
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	provider := compose.ComposeAllEnabled(&fosite.Config{
		GlobalSecret:  []byte("a-32-byte-secret-for-hmac-tokens"),
		ScopeStrategy: fosite.ExactScopeStrategy, // unknown scopes are invalid_scope
	}, store, key)

	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: provider})
	if err != nil {
		panic(err)
	}
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", alice.New(rc.Authorization, middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost),
		middleware.ParseForm(0), middleware.UniqueParams()).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			ar, err := provider.NewAuthorizeRequest(r.Context(), r)
			if err != nil {
				return a.AuthorizeError(r.Context(), w, ar, err)
			}
			// ... sign the user in, ask for consent, NewAuthorizeResponse ...
			return nil
		})))
	mux.Handle("/oauth/token", alice.New(rc.JSON, middleware.ParseForm(0), middleware.UniqueParams()).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			ar, err := provider.NewAccessRequest(r.Context(), r, new(openid.DefaultSession))
			if err != nil {
				return a.AccessError(r.Context(), r, ar, err)
			}
			resp, err := provider.NewAccessResponse(r.Context(), ar)
			if err != nil {
				return a.AccessError(r.Context(), r, ar, err)
			}
			provider.WriteAccessResponse(r.Context(), w, ar, resp)
			return nil
		})))
	return mux
}

// An unknown client on the authorize endpoint: fosite says invalid_client,
// its storage says the client does not exist; the answer is the contract's
// redirect to the error page.
func ExampleAdapter_AuthorizeError() {
	w := httptest.NewRecorder()
	exampleServer().ServeHTTP(w, httptest.NewRequest(http.MethodGet,
		"/oauth/authorize?response_type=code&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid", nil))
	fmt.Println(w.Code, w.Header().Get("Location"))
	// Output: 303 /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found
}

// A token request with a grant type no fosite handler takes: fosite says
// invalid_request, the contract unsupported_grant_type, as JSON.
func ExampleAdapter_AccessError() {
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=urn:example:unknown"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("demo", "demo-secret")
	w := httptest.NewRecorder()
	exampleServer().ServeHTTP(w, r)
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	fmt.Println(w.Code, w.Header().Get("Content-Type"), body.Error)
	// Output: 400 application/json; charset=utf-8 unsupported_grant_type
}
