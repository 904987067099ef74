// Package app is the example server of zitadelauthredirect: a zitadel/oidc
// OpenID Provider whose authorization and token endpoints answer with the
// accounts error contract. Command example serves it; the tests and the
// browser test build it with New.
package app

import (
	"crypto/sha256"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
	"github.com/authredirect/authredirect/zitadelauthredirect"
)

// The demo client.
const (
	ClientID     = "demo"
	ClientSecret = "demo-secret"
	RedirectURI  = "http://localhost:8081/callback"
)

// Config configures New.
type Config struct {
	// Base is the URL browsers use to reach the server, such as
	// "http://127.0.0.1:8080"; it is the provider's issuer. Required.
	Base string
	// Storage is the provider's storage; nil means NewStorage(Base,
	// DemoClients()).
	Storage op.Storage
	// Logger receives the provider's and the Recoverer's logs; nil means
	// slog.Default().
	Logger *slog.Logger
	// Observer overrides the Recoverer's observer (tests use
	// middleware.Quiet).
	Observer middleware.Observer
}

// DemoClients are the clients of the example: demo (a web client with a
// secret, redirect URI RedirectURI) and unconfigured (no redirect URI).
func DemoClients() map[string]*storage.Client {
	return map[string]*storage.Client{
		ClientID:       storage.WebClient(ClientID, ClientSecret, RedirectURI),
		"unconfigured": storage.WebClient("unconfigured", "unconfigured-secret", ""),
	}
}

// New builds the example server.
func New(cfg Config) (http.Handler, error) {
	base := strings.TrimSuffix(cfg.Base, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("app: Config.Base must be an absolute http(s) URL")
	}
	store := cfg.Storage
	if store == nil {
		store = NewStorage(base, DemoClients())
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:             sha256.Sum256([]byte("zitadelauthredirect example key")),
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
	}, store, op.StaticIssuer(base),
		op.WithAllowInsecure(),
		op.WithCustomAuthEndpoint(op.NewEndpoint("oauth/authorize")),
		op.WithCustomTokenEndpoint(op.NewEndpoint("oauth/token")),
	)
	if err != nil {
		return nil, err
	}
	adapter, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: provider})
	if err != nil {
		return nil, err
	}
	observer := cfg.Observer
	if observer == nil {
		observer = middleware.LogObserver(cfg.Logger)
	}
	rc, err := middleware.New(middleware.Config{
		Pages:    render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
		Observer: observer,
	})
	if err != nil {
		return nil, err
	}
	s := &server{store: store, renderer: rc.Renderer()}

	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", rc.Authorization(adapter.Authorize()))
	mux.Handle("/oauth/authorize/callback", rc.Authorization(adapter.Callback()))
	mux.Handle("/oauth/token", rc.JSON(adapter.Token()))
	// The login form accepts only same-origin browser posts; a refused one
	// is the authentication invalid_request, like any malformed request.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(rc.Authentication(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidRequest.WithCause(errors.New("app: cross-origin form post refused"))
	})))
	mux.Handle("/login", rc.Authentication(csrf.Handler(middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost)(
		middleware.ParseForm(0)(middleware.UniqueParams()(middleware.Wrap(s.login)))))))
	mux.Handle("/ooops", rc.Authorization(middleware.Wrap(s.errorPage)))
	// Discovery, keys, userinfo and the rest are op's own.
	mux.Handle("/", provider)
	return op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux), nil
}

type server struct {
	store    op.Storage
	renderer *render.Renderer
}

// checker is the example storage's password check.
type checker interface {
	CheckUsernamePassword(username, password, id string) error
}

// login is /login: GET shows the form of an auth request, POST checks the
// password and sends the browser to the callback, which answers the client.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	id := r.Form.Get("authRequestID")
	if r.Method != http.MethodPost {
		if e, err := render.ParseQuery(r.URL.RawQuery); err == nil && e != nil {
			s.renderer.Page(w, r, http.StatusOK, e)
			return nil
		}
		if id == "" {
			return codes.InvalidRequest.Err()
		}
		return page(w, loginForm, id)
	}
	if _, err := s.store.AuthRequestByID(r.Context(), id); err != nil {
		return codes.InvalidRequest.WithCause(err) // no such sign-in
	}
	check, ok := s.store.(checker)
	if !ok {
		return codes.ServerError.WithCause(errors.New("app: the storage cannot check passwords"))
	}
	if err := check.CheckUsernamePassword(r.PostForm.Get("username"), r.PostForm.Get("password"), id); err != nil {
		return codes.Unauthorized.WithCause(err)
	}
	http.Redirect(w, r, "/oauth/authorize/callback?id="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

// errorPage is /ooops: the contract's error, in words for people.
func (s *server) errorPage(w http.ResponseWriter, r *http.Request) error {
	e, _ := render.ParseQuery(r.URL.RawQuery) // unreadable: the page says there is no error
	s.renderer.Page(w, r, http.StatusOK, e)
	return nil
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main><h1>Sign in</h1>
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.}}">
<label for="username">Username</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button id="submit" type="submit">Sign in</button>
</form></main></body></html>
`))

// page writes one of the server's own pages, which no other site may frame.
func page(w http.ResponseWriter, t *template.Template, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	return t.Execute(w, data)
}
