// Command quickstart is README's quick start, whole: an OAuth 2.0
// authorization endpoint, a token endpoint, a login page with its form and
// an error page, every failure answered by the accounts error contract.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"html/template"
	"log"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func main() {
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: newApp(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Printf("quickstart serving on http://%s", srv.Addr)
	log.Fatal(srv.ListenAndServe())
}

func newApp() http.Handler {
	// Errors go to this app's own pages; bad configuration fails here, once.
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}})
	if err != nil {
		log.Fatal(err)
	}
	loop, err := loopguard.New(loopguard.Config{}) // 3 arrivals per client in 30 s; a fleet shares a key
	if err != nil {
		log.Fatal(err)
	}
	get, post := middleware.AllowMethods("GET", "HEAD"), middleware.AllowMethods("POST")
	form := middleware.ParseForm(middleware.DefaultMaxFormBytes)
	csrf := http.NewCrossOriginProtection() // the login form takes posts from this site only
	csrf.SetDenyHandler(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidRequest }))

	mux := http.NewServeMux() // no methods in patterns: the guards answer them
	mux.Handle("/oauth/authorize", alice.New(rc.Authorization, get, middleware.UniqueParams(),
		middleware.AllowResponseTypes("code"), loop.Middleware).Then(middleware.Wrap(authorize)))
	mux.Handle("/oauth/token", alice.New(rc.JSON, post, form, middleware.UniqueParams(),
		middleware.AllowGrantTypes("authorization_code")).Then(middleware.Wrap(token)))
	mux.Handle("/login", alice.New(rc.Authentication, middleware.AllowMethods("GET", "HEAD", "POST"), csrf.Handler, form).
		Then(middleware.Wrap(login)))
	mux.Handle("/ooops", alice.New(rc.Authorization, get).Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		e, _ := render.ParseQuery(r.URL.RawQuery) // nil shows "no error": nothing outside the contract is reflected
		rc.Renderer().Page(w, r, http.StatusOK, e)
		return nil
	})))
	return mux
}

// The demo's one client and one user, and the signed-in sessions.
const (
	clientID, clientSecret, redirectURI = "demo", "demo-secret", "http://127.0.0.1:9000/callback"
	userEmail, userPassword, userID     = "jane@example.com", "jane-password", "u-jane"
)

var sessions sync.Map // session token -> user id

// equal compares secrets in constant time, their lengths included.
func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func authorize(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	switch {
	case q.Get("client_id") == "":
		return codes.UnauthorizedClient
	case q.Get("client_id") != clientID:
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	case q.Has("redirect_uri") && q.Get("redirect_uri") != redirectURI:
		return codes.UnauthorizedClient.With(codes.InvalidRedirectURI) // never redirect to it
	}
	if c, err := r.Cookie("session"); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther) // not an error: sign in first
		return nil
	} else if _, ok := sessions.Load(c.Value); !ok {
		return codes.IdentityLost // the login page: the session is gone
	}
	http.Redirect(w, r, redirectURI+"?code=demo-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	return nil
}

func token(w http.ResponseWriter, r *http.Request) error {
	id, secret, _ := r.BasicAuth()
	switch {
	case id != clientID || !equal(secret, clientSecret):
		return codes.InvalidClient // 401 with WWW-Authenticate
	case r.PostForm.Get("code") != "demo-code":
		return codes.InvalidGrant
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte(`{"access_token":"demo-token","token_type":"Bearer","expires_in":3600}`))
	return err
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html><title>Sign in</title>
{{with .}}<p>Sign-in failed: <code>{{.Code}}</code> {{.CodeDescription}}</p>{{end}}
<form method="post" action="/login"><input name="email"> <input name="password" type="password"> <button>Sign in</button></form>`))

func login(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost { // GET shows the form, and the error the query carries
		var data *render.PageData
		if e, err := render.ParseQuery(r.URL.RawQuery); err == nil {
			d := render.NewPageData(e)
			data = &d
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return loginForm.Execute(w, data)
	}
	switch {
	case r.PostForm.Get("email") != userEmail:
		return codes.Unauthorized // the login page, identity_exception=unauthorized
	case !equal(r.PostForm.Get("password"), userPassword):
		return codes.Unauthorized.WithEntityID(userID)
	}
	session := rand.Text()
	sessions.Store(session, userID)
	http.SetCookie(w, &http.Cookie{Name: "session", Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/oauth/authorize?client_id="+clientID+"&response_type=code", http.StatusSeeOther)
	return nil
}
