package fositeauthredirect_test

import (
	"crypto/rsa"
	"html/template"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// readmeWiring is README's "Wiring" snippet, compiled: its body between
// the markers is README's Go block, line for line. Its parameters are
// what the snippet leaves to the application.
func readmeWiring(store fosite.Storage, secret []byte, privateKey *rsa.PrivateKey,
	signedIn func(*http.Request) (subject string, ok bool),
	checkPassword func(email, password string) (subject string, ok bool),
	startSession func(w http.ResponseWriter, subject string)) http.Handler {
	// README begin
	provider := compose.ComposeAllEnabled(&fosite.Config{
		GlobalSecret:  secret,                    // 32 bytes, from your secret store
		ScopeStrategy: fosite.ExactScopeStrategy, // refuse scopes the client is not registered with
	}, store, privateKey)
	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: provider})
	if err != nil {
		log.Fatal(err) // a missing provider or client storage is reported here, once
	}
	// The login page carries the authorization request through a failed
	// sign-in: OAuth's parameters, PKCE's and OpenID Connect's.
	carried := []string{"response_type", "client_id", "redirect_uri", "scope", "state",
		"code_challenge", "code_challenge_method", "nonce", "prompt"}
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/", Carry: carried}})
	if err != nil {
		log.Fatal(err)
	}
	session := func(subject string) *openid.DefaultSession {
		now := time.Now().UTC()
		return &openid.DefaultSession{Subject: subject, Headers: &jwt.Headers{},
			Claims: &jwt.IDTokenClaims{Subject: subject, AuthTime: now, RequestedAt: now}}
	}
	form := middleware.ParseForm(0) // bounded bodies, never multipart
	get := middleware.AllowMethods(http.MethodGet, http.MethodHead)
	mux := http.NewServeMux()

	mux.Handle("/oauth/authorize", alice.New(rc.Authorization,
		middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost), form, middleware.UniqueParams()).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			ctx := r.Context()
			ar, err := provider.NewAuthorizeRequest(ctx, r)
			if err != nil {
				return a.AuthorizeError(ctx, w, ar, err)
			}
			subject, ok := signedIn(r) // your session
			if !ok {
				// Not an error: the login page, which carries the request back here.
				flow := url.Values{}
				for _, name := range carried {
					if v := ar.GetRequestForm().Get(name); v != "" {
						flow.Set(name, v)
					}
				}
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, "/?"+flow.Encode(), http.StatusSeeOther)
				return nil
			}
			// Ask for consent; a refusal is a.AuthorizeError(ctx, w, ar, fosite.ErrAccessDenied).
			for _, scope := range ar.GetRequestedScopes() {
				ar.GrantScope(scope)
			}
			resp, err := provider.NewAuthorizeResponse(ctx, ar, session(subject))
			if err != nil {
				return a.AuthorizeError(ctx, w, ar, err)
			}
			provider.WriteAuthorizeResponse(ctx, w, ar, resp)
			return nil
		})))

	mux.Handle("/oauth/token", alice.New(rc.JSON, form, middleware.UniqueParams()).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			ctx := r.Context()
			ar, err := provider.NewAccessRequest(ctx, r, session(""))
			if err != nil {
				return a.AccessError(ctx, r, ar, err)
			}
			resp, err := provider.NewAccessResponse(ctx, ar)
			if err != nil {
				return a.AccessError(ctx, r, ar, err)
			}
			provider.WriteAccessResponse(ctx, w, ar, resp)
			return nil
		})))

	loginPage := template.Must(template.New("login").Parse(`<!doctype html><title>Sign in</title>
{{with .Error}}<p role="alert">{{.Title}}. {{.Text}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input name="email" type="email" autocomplete="username" aria-label="E-mail">
<input name="password" type="password" autocomplete="current-password" aria-label="Password">
<button>Sign in</button></form>`))
	mux.Handle("/{$}", alice.New(rc.Authentication, get).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			var page struct {
				Error  *render.PageData
				Action string // the form posts the carried request along
			}
			if e, err := render.ParseQuery(r.URL.RawQuery); err == nil {
				data := render.NewPageData(e) // the identity_exception in words
				page.Error = &data
			}
			page.Action = "/login?" + rc.Renderer().CarriedQuery(r)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			return loginPage.Execute(w, page)
		})))

	mux.Handle("/login", alice.New(rc.Authentication, middleware.AllowMethods(http.MethodPost), form, middleware.UniqueParams()).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			subject, ok := checkPassword(r.PostForm.Get("email"), r.PostForm.Get("password"))
			if !ok {
				return codes.Unauthorized // the login page, the carried request kept
			}
			startSession(w, subject) // your session cookie
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/oauth/authorize?"+rc.Renderer().CarriedQuery(r), http.StatusSeeOther)
			return nil
		})))

	mux.Handle("/ooops", alice.New(rc.Authorization, get).
		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			e, _ := render.ParseQuery(r.URL.RawQuery) // nothing outside the contract is shown
			rc.Renderer().Page(w, r, http.StatusOK, e)
			return nil
		})))
	handler := http.MaxBytesHandler(mux, middleware.DefaultMaxFormBytes) // every route's body bounded
	// README end
	return handler
}

// TestREADME_WiringIsCompiledCode: README's Go block is readmeWiring's
// body, so it compiles.
func TestREADME_WiringIsCompiledCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, 1, "README's Go blocks")
	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	_, body, _ := strings.Cut(string(src), "\t// README begin\n")
	body, _, _ = strings.Cut(body, "\t// README end\n")
	var want strings.Builder
	for _, line := range strings.SplitAfter(body, "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t"))
	}
	assert.Equal(t, want.String(), blocks[0][1])
}

// TestREADME_WiringServes: README's wiring, on fosite's memory store, signs
// a user in through its login page, which carries the PKCE and OpenID
// Connect parameters, and answers failures with the contract.
func TestREADME_WiringServes(t *testing.T) {
	sessions := map[string]string{}
	h := readmeWiring(newStore(t), []byte("a-32-byte-secret-for-hmac-tokens"), rsaKey(),
		func(r *http.Request) (string, bool) {
			c, err := r.Cookie("session")
			if err != nil {
				return "", false
			}
			s, ok := sessions[c.Value]
			return s, ok
		},
		func(email, password string) (string, bool) {
			return "u-jane", email == "jane@example.com" && password == "jane-password"
		},
		func(w http.ResponseWriter, subject string) {
			sessions["s-1"] = subject
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s-1", HttpOnly: true})
		})
	do := func(method, target, body, cookie string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	q := authorizeQuery("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256")
	flow := "response_type=code&client_id=demo&redirect_uri=" + url.QueryEscape(demoRedirect) +
		"&scope=openid+profile&state=state-12345678&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&nonce=nonce-12345678"

	w := do(http.MethodPost, "/oauth/authorize", q, "")
	assert.Equal(t, http.StatusSeeOther, w.Code)
	loc, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/", loc.Path)
	assert.Equal(t, mustQuery(t, "/?"+flow), loc.Query())

	w = do(http.MethodGet, "/?"+flow, "", "")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `action="/login?`+strings.NewReplacer("&", "&amp;", "+", "&#43;").Replace(flow)+`"`)

	w = do(http.MethodPost, "/login?"+flow, "email=jane%40example.com&password=wrong", "")
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/?identity_exception=unauthorized&"+flow, w.Header().Get("Location"))
	w = do(http.MethodGet, w.Header().Get("Location"), "", "")
	assert.Contains(t, w.Body.String(), `role="alert"`)

	w = do(http.MethodPost, "/login?"+flow, "email=jane%40example.com&password=jane-password", "")
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/oauth/authorize?"+flow, w.Header().Get("Location"))
	w = do(http.MethodGet, "/oauth/authorize?"+flow, "", "session=s-1")
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.NotEmpty(t, mustQuery(t, w.Header().Get("Location")).Get("code"), w.Header().Get("Location"))

	w = do(http.MethodGet, "/oauth/authorize?"+authorizeQuery("client_id", "nope"), "", "")
	assert.Equal(t, "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", w.Header().Get("Location"))
	w = do(http.MethodPut, "/oauth/authorize?"+authorizeQuery(), "", "")
	assert.Equal(t, "/ooops?oauth_exception=invalid_request", w.Header().Get("Location"))
	w = do(http.MethodPost, "/oauth/token", "grant_type=authorization_code&code=x", "")
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.JSONEq(t, `{"error":"unauthorized_client","error_description":"`+codes.UnauthorizedClient.Description()+`"}`, w.Body.String())
}
