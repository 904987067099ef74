// Package app is the fosite example: an OAuth 2.0 / OpenID Connect server
// built on github.com/ory/fosite (every handler, its memory store), whose
// every failure is answered by the accounts error contract through
// fositeauthredirect. One client, one user, everything in memory. cmd: go
// run ./example.
package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/justinas/alice"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
	"golang.org/x/crypto/bcrypt"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// The demo's one client and one user.
const (
	ClientID, ClientSecret          = "demo", "demo-secret"
	DefaultRedirectURI              = "http://localhost:8081/callback"
	UserEmail, UserPassword, UserID = "jane@example.com", "jane-password", "u-jane"
	sessionCookie                   = "session"
	authorizePath, errorPath        = "/oauth/authorize", "/ooops"
	// The login page shows the form, which posts to the login endpoint.
	loginPage, loginPath = "/", "/login"
)

// carried are the authorization request's parameters the login page
// carries through a failed sign-in and back to the authorize endpoint:
// OAuth's, PKCE's (RFC 7636) and OpenID Connect's, never a secret.
var carried = []string{"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method", "nonce", "prompt", "max_age", "response_mode"}

// Config configures New.
type Config struct {
	// RedirectURI is the demo client's one redirect URI; empty means
	// DefaultRedirectURI.
	RedirectURI string
	// Logger logs failures; nil means slog.Default().
	Logger *slog.Logger
}

type server struct {
	provider fosite.OAuth2Provider
	adapter  *fositeauthredirect.Adapter
	rc       *middleware.Recoverer
	sessions sync.Map // session token -> sign-in time
}

// New builds the example's handler: /oauth/authorize (GET and POST),
// /oauth/token, the login page / with its endpoint POST /login, and the
// error page /ooops.
func New(cfg Config) (http.Handler, error) {
	if cfg.RedirectURI == "" {
		cfg.RedirectURI = DefaultRedirectURI
	}
	secret, err := bcrypt.GenerateFromPassword([]byte(ClientSecret), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	store := storage.NewMemoryStore()
	store.Clients[ClientID] = &fosite.DefaultClient{
		ID: ClientID, Secret: secret,
		RedirectURIs:  []string{cfg.RedirectURI},
		ResponseTypes: []string{"code"},
		GrantTypes:    []string{"authorization_code", "refresh_token"},
		Scopes:        []string{"openid", "profile", "offline_access"}, // offline_access: a refresh token too
	}
	// Tokens are HMAC-signed with a random secret, ID tokens with a random
	// key: one instance. A fleet loads both from its secret store.
	hmacSecret := make([]byte, 32)
	_, _ = rand.Read(hmacSecret)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	// Exactly the grants the demo serves, authorization_code and
	// refresh_token (any other grant_type is unsupported_grant_type), with
	// PKCE and OpenID Connect's ID tokens.
	keyGetter := func(context.Context) (any, error) { return key, nil }
	config := &fosite.Config{
		GlobalSecret:  hmacSecret,
		ScopeStrategy: fosite.ExactScopeStrategy, // a scope the client is not registered with is invalid_scope
	}
	provider := compose.Compose(config, store, &compose.CommonStrategy{
		CoreStrategy:               compose.NewOAuth2HMACStrategy(config),
		OpenIDConnectTokenStrategy: compose.NewOpenIDConnectStrategy(keyGetter, config),
		Signer:                     &jwt.DefaultSigner{GetPrivateKey: keyGetter},
	},
		compose.OAuth2AuthorizeExplicitFactory, compose.OAuth2RefreshTokenGrantFactory, compose.OAuth2PKCEFactory,
		compose.OpenIDConnectExplicitFactory, compose.OpenIDConnectRefreshFactory,
	)
	adapter, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: provider})
	if err != nil {
		return nil, err
	}
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: errorPath, LoginPage: loginPage, Carry: carried},
		Observer: middleware.LogObserver(cfg.Logger),
	})
	if err != nil {
		return nil, err
	}
	// The loop guard: the 4th arrival of a browser for one client within
	// 30 seconds is invalid_request with to_many_redirects. It reads
	// client_id as fosite does (query or form), and counts registered
	// clients only.
	cookieKey := make([]byte, 32)
	_, _ = rand.Read(cookieKey)
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{cookieKey}})
	if err != nil {
		return nil, err
	}
	loop, err := loopguard.New(loopguard.Config{
		Counter:     counter,
		Key:         func(r *http.Request) string { return r.Form.Get("client_id") },
		KnownClient: func(id string) bool { _, err := store.GetClient(context.Background(), id); return err == nil },
		Logger:      cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	s := &server{provider: provider, adapter: adapter, rc: rc}

	get := middleware.AllowMethods(http.MethodGet, http.MethodHead)
	form := middleware.ParseForm(middleware.DefaultMaxFormBytes) // bounded, never multipart
	mux := http.NewServeMux()
	// OpenID Connect Core §3.1.2.1: the authorize endpoint takes GET and POST.
	mux.Handle(authorizePath, alice.New(rc.Authorization, middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost),
		form, middleware.UniqueParams(), loop.Middleware).Then(middleware.Wrap(s.authorize)))
	mux.Handle("/oauth/token", alice.New(rc.JSON, form, middleware.UniqueParams()).Then(middleware.Wrap(s.token)))
	csrf := http.NewCrossOriginProtection() // the login form takes posts from this site only
	csrf.SetDenyHandler(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.IdentityInvalidRequest }))
	mux.Handle(loginPath, alice.New(rc.Authentication, middleware.AllowMethods(http.MethodPost),
		csrf.Handler, form, middleware.UniqueParams()).Then(middleware.Wrap(s.login)))
	mux.Handle(loginPage+"{$}", alice.New(rc.Authentication, get).Then(middleware.Wrap(s.loginForm)))
	mux.Handle(errorPath, alice.New(rc.Authorization, get).Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		e, _ := render.ParseQuery(r.URL.RawQuery) // nil shows "no error": nothing outside the contract is reflected
		rc.Renderer().Page(w, r, http.StatusOK, e)
		return nil
	})))
	// Every route's body is bounded, those that read none included.
	return http.MaxBytesHandler(mux, middleware.DefaultMaxFormBytes), nil
}

// authorize is fosite's authorize endpoint: every failure goes through the
// adapter; a visitor who has not signed in is sent to the login form first.
func (s *server) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		return s.adapter.AuthorizeError(ctx, w, ar, err)
	}
	signedIn, ok := s.signedIn(r)
	if !ok && ar.GetRequestForm().Get("prompt") == "none" {
		// The client asked not to show the user anything: OpenID Connect's
		// answer goes back to it (the adapter's routing policy).
		return s.adapter.AuthorizeError(ctx, w, ar, fosite.ErrLoginRequired)
	}
	if !ok {
		// Not an error: sign in first; the login page carries the request
		// (from the query or, on POST, the body) back here.
		seeOther(w, loginPage+"?"+carry(ar.GetRequestForm()))
		return nil
	}
	for _, scope := range ar.GetRequestedScopes() { // the demo consents to every scope the client may ask for
		ar.GrantScope(scope)
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, newSession(signedIn))
	if err != nil {
		return s.adapter.AuthorizeError(ctx, w, ar, err)
	}
	w.Header().Set("Referrer-Policy", "no-referrer") // the code is in the Location
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
	return nil
}

// token is fosite's token endpoint; failures are the contract's JSON.
func (s *server) token(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, newSession(time.Time{}))
	if err != nil {
		return s.adapter.AccessError(ctx, r, ar, err)
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		return s.adapter.AccessError(ctx, r, ar, err)
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
	return nil
}

// newSession is user u-jane's session, signed in at authTime.
func newSession(authTime time.Time) *openid.DefaultSession {
	return &openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{Subject: UserID, AuthTime: authTime, RequestedAt: time.Now().UTC()},
		Headers: &jwt.Headers{},
		Subject: UserID,
	}
}

func (s *server) signedIn(r *http.Request) (time.Time, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return time.Time{}, false
	}
	t, ok := s.sessions.Load(c.Value)
	if !ok {
		return time.Time{}, false
	}
	return t.(time.Time), true
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main>
<h1>Sign in</h1>
{{with .Error}}<p id="error" role="alert">Sign-in failed: <code>{{.Code}}</code> {{.CodeDescription}}</p>{{end}}
<form method="post" action="{{.Action}}">
<p><label for="email">E-mail</label> <input id="email" name="email" type="email" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button id="submit">Sign in</button></p>
</form>
</main></body></html>`))

// loginForm is the login page: the form, and the identity_exception it was
// sent, if any. The form posts the carried flow in its action's query.
func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	var data struct {
		Error  *render.PageData
		Action string
	}
	if e, err := render.ParseQuery(r.URL.RawQuery); err == nil && e != nil {
		d := render.NewPageData(e)
		data.Error = &d
	}
	data.Action = loginPath
	if q := s.rc.Renderer().CarriedQuery(r); q != "" {
		data.Action += "?" + q
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return loginTemplate.Execute(w, data)
}

// login signs the user in (POST /login?<carried flow>), then continues the
// authorization request that sent the user here. A failure goes back to
// the login page with identity_exception and the flow.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	if !equal(r.PostForm.Get("email"), UserEmail) || !equal(r.PostForm.Get("password"), UserPassword) {
		return codes.Unauthorized // the login page, identity_exception=unauthorized
	}
	token := rand.Text()
	s.sessions.Store(token, time.Now().UTC())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	next := errorPath // signed in with nowhere to go: the page says so
	if q := s.rc.Renderer().CarriedQuery(r); q != "" {
		next = authorizePath + "?" + q
	}
	seeOther(w, next)
	return nil
}

// carry is form's part that the login page carries, in carried's order,
// as Renderer.CarriedQuery makes it of a query.
func carry(form url.Values) string {
	var b strings.Builder
	for _, name := range carried {
		if vs := form[name]; len(vs) == 1 {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(name + "=" + url.QueryEscape(vs[0]))
		}
	}
	return b.String()
}

// seeOther is a redirect that is no error: 303, never cached, no referrer.
func seeOther(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusSeeOther)
}

// equal compares secrets in constant time, their lengths included.
func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
