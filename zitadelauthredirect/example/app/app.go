// Package app is the example server of zitadelauthredirect: a zitadel/oidc
// OpenID Provider whose authorization and token endpoints answer with the
// accounts error contract. Command example serves it; the tests and the
// browser test build it with New.
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/storage"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
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
	Storage *Storage
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

// MaxBodyBytes bounds the body of every request the server reads.
const MaxBodyBytes = middleware.DefaultMaxFormBytes

// New builds the example server. Its routes:
//
//   - /oauth/authorize (GET, POST), the adapter's, behind the loop guard:
//     the 4th arrival of one browser for one client within 30 s ends on the
//     error page with invalid_request and to_many_redirects;
//   - /oauth/authorize/callback and /oauth/token, the adapter's;
//   - / the login page (GET), /login the login form (POST: authRequestID,
//     email, password), /ooops the error page;
//   - /.well-known/openid-configuration, listing only what is served;
//     /keys, /userinfo and /end_session, op's own, whose failures are
//     answered with the contract's JSON instead of op's text.
//
// Nothing else is served: op's introspection, revocation and device
// authorization endpoints are not configured here. Every body is bounded
// by MaxBodyBytes, and a multipart one is refused.
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
		// A failed sign-in keeps the auth request it belongs to.
		Render:   render.Config{ErrorPage: "/ooops", LoginPage: "/", Carry: []string{"authRequestID"}},
		Observer: observer,
	})
	if err != nil {
		return nil, err
	}
	// One instance: a random key. A fleet loads one shared key from its
	// secret store, so that every instance accepts the cookie.
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand documents it)
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{key}})
	if err != nil {
		return nil, err
	}
	loop, err := loopguard.New(loopguard.Config{
		Counter: counter, Logger: cfg.Logger,
		KnownClient: func(id string) bool { // invented ids are refused, not counted
			_, err := store.GetClientByClientID(context.Background(), id)
			return err == nil
		},
	})
	if err != nil {
		return nil, err
	}
	s := &server{store: store, renderer: rc.Renderer()}

	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", rc.Authorization(loop.Middleware(adapter.Authorize())))
	mux.Handle("/oauth/authorize/callback", rc.Authorization(adapter.Callback()))
	mux.Handle("/oauth/token", rc.JSON(adapter.Token()))
	// The login form accepts only same-origin browser posts; a refused one
	// is the authentication invalid_request, like any malformed request.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(rc.Authentication(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidRequest.WithCause(errors.New("app: cross-origin form post refused"))
	})))
	mux.Handle("/login", rc.Authentication(csrf.Handler(middleware.AllowMethods(http.MethodPost)(
		middleware.ParseForm(MaxBodyBytes)(middleware.UniqueParams()(middleware.Wrap(s.login)))))))
	mux.Handle("/{$}", rc.Authentication(middleware.AllowMethods(http.MethodGet, http.MethodHead)(
		middleware.UniqueParams()(middleware.Wrap(s.loginPage)))))
	mux.Handle("/ooops", rc.Authorization(middleware.Wrap(s.errorPage)))
	// What a relying party needs of op besides the adapter's endpoints.
	mux.Handle(oidc.DiscoveryEndpoint, rc.JSON(middleware.AllowMethods(http.MethodGet, http.MethodHead)(
		middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			httphelper.MarshalJSON(w, discovery(r.Context(), provider, store))
			return nil
		}))))
	for _, e := range []*op.Endpoint{provider.KeysEndpoint(), provider.UserinfoEndpoint(), provider.EndSessionEndpoint()} {
		mux.Handle(e.Relative(), rc.JSON(middleware.ParseForm(0)(opFailures(provider)))) // bounded, never multipart
	}
	return http.MaxBytesHandler(op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux), MaxBodyBytes), nil
}

// discovery is op's discovery document with only what New serves: no
// introspection, revocation or device authorization endpoint, and the
// grant types the adapter's token endpoint serves.
func discovery(ctx context.Context, p *op.Provider, store op.Storage) *oidc.DiscoveryConfiguration {
	c := op.CreateDiscoveryConfig(ctx, p, store)
	c.IntrospectionEndpoint, c.RevocationEndpoint, c.DeviceAuthorizationEndpoint = "", "", ""
	c.IntrospectionEndpointAuthMethodsSupported, c.IntrospectionEndpointAuthSigningAlgValuesSupported = nil, nil
	c.RevocationEndpointAuthMethodsSupported, c.RevocationEndpointAuthSigningAlgValuesSupported = nil, nil
	c.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	return c
}

// opFailures serves op's own endpoint h and keeps its successes, but not
// its failures, which op writes with its own and the storage's text: a
// status of 400 or more is answered with the contract's error for it
// instead (401, a missing or invalid access token: unauthorized, 401 with
// WWW-Authenticate: Bearer, as RFC 6750 answers it; 403: access_denied;
// 5xx: server_error; any other: invalid_request).
func opFailures(h http.Handler) http.Handler {
	return middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		f := &failureWriter{w: w, header: http.Header{}}
		h.ServeHTTP(f, r)
		switch {
		case f.failed == 0:
			return nil
		case f.failed == http.StatusUnauthorized:
			return codes.Unauthorized.Err()
		case f.failed == http.StatusForbidden:
			return codes.AccessDenied.Err()
		case f.failed >= 500:
			return codes.ServerError.Err()
		}
		return codes.InvalidRequest.Err()
	})
}

// failureWriter passes op's answer on unless its status is a failure,
// whose headers and body it drops.
type failureWriter struct {
	w       http.ResponseWriter
	header  http.Header
	failed  int
	started bool
}

func (f *failureWriter) Header() http.Header { return f.header }

func (f *failureWriter) WriteHeader(code int) {
	if f.started || f.failed != 0 {
		return
	}
	if code >= 400 {
		f.failed = code
		return
	}
	f.started = true
	maps.Copy(f.w.Header(), f.header)
	f.w.WriteHeader(code)
}

func (f *failureWriter) Write(b []byte) (int, error) {
	f.WriteHeader(http.StatusOK)
	if f.failed != 0 {
		return len(b), nil
	}
	return f.w.Write(b)
}

type server struct {
	store    *Storage
	renderer *render.Renderer
}

// loginPage is /: the sign-in form of an auth request (authRequestID), or
// the contract's authentication error in words for people.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	e, _ := render.ParseQuery(r.URL.RawQuery)
	if id := q.Get("authRequestID"); id != "" {
		failed := e != nil
		return page(w, loginForm, struct {
			ID     string
			Failed bool
		}{id, failed})
	}
	if e != nil {
		s.renderer.Page(w, r, http.StatusOK, e)
		return nil
	}
	return codes.InvalidRequest.Err() // no sign-in in progress
}

// login is /login: it checks the email and password of a form post, marks
// the auth request (authRequestID, in the query or the form) signed in
// and sends the browser to the callback, which answers the client. A
// form without email or password is invalid_request; an unknown email,
// and a wrong password (with the account's id), unauthorized.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	if email == "" || password == "" {
		return codes.InvalidRequest.Err()
	}
	user := s.store.Users.GetUserByUsername(email)
	if user == nil {
		return codes.Unauthorized.Err()
	}
	if subtle.ConstantTimeCompare([]byte(user.Password), []byte(password)) != 1 {
		return codes.Unauthorized.WithEntityID(user.ID)
	}
	id := r.Form.Get("authRequestID")
	if err := s.store.CheckUsernamePassword(email, password, id); err != nil {
		return codes.InvalidRequest.WithCause(err) // no such sign-in
	}
	h := w.Header()
	h.Set("Location", "/oauth/authorize/callback?id="+url.QueryEscape(id))
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusSeeOther)
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
{{if .Failed}}<p role="alert">That did not work: check the email and password, then try again.</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label for="email">Email</label> <input id="email" name="email" autocomplete="username">
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
