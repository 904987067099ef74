// Package app is the example accounts server: an OAuth 2.0 authorization
// server with a login page, built with authredirect's pieces (Recoverer
// routes, Wrap, the loop guard, the request guards and the renderer's
// pages) chained with alice. Everything is in memory. cmd: go run
// ./examples/accounts.
package app

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// Config configures the server.
type Config struct {
	// Base is the absolute URL the server is reached at, such as
	// "http://127.0.0.1:8080"; the error and login pages are Base+"/ooops"
	// and Base+"/".
	Base string
	// CookieKey signs the loop guard's cookie; nil uses a random key, so
	// instances do not agree on counts then.
	CookieKey []byte
	// Logger logs failures; nil means slog.Default().
	Logger *slog.Logger
	// Observer hears of every failed request; nil means
	// middleware.LogObserver(Logger).
	Observer middleware.Observer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxEntries bounds each table of what the server issues (authorization
	// codes, sessions, refresh tokens); 0 means DefaultMaxEntries. A full
	// table drops what has expired, then what expires soonest.
	MaxEntries int
}

// carried are the request parameters a failed sign-in carries back to the
// login page: the authorization request's own (never a secret), the page
// the person was going to and the language they picked.
var carried = []string{"response_type", "client_id", "redirect_uri", "state", "scope", "next", "lang"}

//go:embed messages/*.json
var messageFiles embed.FS

// messages are the login form's words, merged over the renderer's catalog.
var messages, _ = fs.Sub(messageFiles, "messages") // cannot fail: the directory is embedded

// server holds the demo's state.
type server struct {
	base     string
	secure   bool // Base is https: behind a TLS proxy, cookies are Secure all the same
	renderer *render.Renderer
	now      func() time.Time
	clients  map[string]client
	users    map[string]*user // by e-mail

	mu        sync.Mutex
	usersByID map[string]*user
	sessions  *table[session]
	authCodes *table[authCode]
	refresh   *table[refreshToken]
}

type session struct {
	userID    string
	loggedOut bool
}

type authCode struct {
	clientID, userID, scope, redirectURI string
	expires                              time.Time
	used                                 bool
}

// New builds the server's handler.
func New(cfg Config) (http.Handler, error) {
	_, h, err := newServer(cfg)
	return h, err
}

// newServer builds the server and its handler.
func newServer(cfg Config) (*server, http.Handler, error) {
	u, err := url.Parse(cfg.Base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, nil, fmt.Errorf("app: base %q must be an http(s) URL with a host and no path", cfg.Base)
	}
	base := strings.TrimSuffix(cfg.Base, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MaxEntries < 0:
		return nil, nil, fmt.Errorf("app: MaxEntries %d is negative", cfg.MaxEntries)
	case cfg.MaxEntries == 0:
		cfg.MaxEntries = DefaultMaxEntries
	}
	observer := cfg.Observer
	if observer == nil {
		observer = middleware.LogObserver(cfg.Logger)
	}
	rc, err := middleware.New(middleware.Config{
		Render: render.Config{
			ErrorPage: base + "/ooops", LoginPage: base + "/",
			// A failed sign-in keeps the authorization request it came
			// from, the page it was going to and the language asked for.
			Carry: carried,
			Page: render.PageConfig{
				Home: base + "/account", HomeName: "Example Accounts",
				Support:       "mailto:support@example.com",
				LanguageQuery: "lang",
				Files:         messages, // the login form's words, in every language
			},
		},
		Observer: observer,
	})
	if err != nil {
		return nil, nil, err
	}
	s := &server{
		base: base, secure: u.Scheme == "https", renderer: rc.Renderer(), now: cfg.Now,
		clients: demoClients(base), users: demoUsers(),
		usersByID: map[string]*user{}, sessions: newTable[session](cfg.MaxEntries),
		authCodes: newTable[authCode](cfg.MaxEntries), refresh: demoRefreshTokens(cfg.Now(), cfg.MaxEntries),
	}
	for _, u := range s.users {
		s.usersByID[u.id] = u
	}

	key := cfg.CookieKey
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand documents it)
	}
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{key}, BehindTLSProxy: s.secure})
	if err != nil {
		return nil, nil, err
	}
	loop, err := loopguard.New(loopguard.Config{
		Now: cfg.Now, Logger: cfg.Logger, Counter: counter,
		KnownClient: func(id string) bool { _, ok := s.clients[id]; return ok }, // invented ids are refused, not counted
	})
	if err != nil {
		return nil, nil, err
	}

	// Form posts accept only same-origin browser requests; a refused one
	// is the authentication invalid_request, like any malformed request.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(rc.Authentication(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidRequest.WithCause(fmt.Errorf("cross-origin form post refused"))
	})))

	mux := http.NewServeMux()
	// No methods in the patterns: a wrong method is the contract's
	// invalid_request (AllowMethods), not ServeMux's plain 405.
	get, post := middleware.AllowMethods(http.MethodGet, http.MethodHead), middleware.AllowMethods(http.MethodPost)
	authz, authn := alice.New(rc.Authorization, get), alice.New(rc.Authentication)
	// OpenID providers accept the authorization request by GET and by POST
	// (OpenID Connect Core 3.1.2.1): a POST goes on as the GET of the same
	// parameters, so that every guard reads one request the same way.
	getOrPost := middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost)
	mux.Handle("/oauth/authorize", alice.New(rc.Authorization, getOrPost, middleware.ParseForm(middleware.DefaultMaxFormBytes),
		middleware.UniqueParams(), postAsGet, loop.Middleware).Then(middleware.Wrap(s.authorize)))
	mux.Handle("/oauth/token", alice.New(rc.JSON, post,
		middleware.ParseForm(middleware.DefaultMaxFormBytes), middleware.UniqueParams(),
		middleware.AllowGrantTypes("authorization_code", "refresh_token")).Then(middleware.Wrap(s.token)))
	mux.Handle("/login", authn.Append(post, csrf.Handler, middleware.ParseForm(middleware.DefaultMaxFormBytes),
		middleware.UniqueParams()).Then(middleware.Wrap(s.login)))
	mux.Handle("/logout", authn.Append(post, csrf.Handler).Then(middleware.Wrap(s.logout)))
	mux.Handle("/account", authn.Append(get).Then(middleware.Wrap(s.account)))
	mux.Handle("/{$}", authn.Append(get).Then(middleware.Wrap(s.loginPage)))
	mux.Handle("/ooops", authz.Then(middleware.Wrap(s.errorPage)))
	mux.Handle("/demo/callback", authz.Then(middleware.Wrap(s.callback)))
	mux.Handle("/demo/loop", authz.Then(middleware.Wrap(s.loopingClient)))
	mux.Handle("/demo/maintenance", authz.Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.TemporarilyUnavailable // the contract's only unused code, shown for completeness
	})))
	mux.Handle("/demo/boom", authz.Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		panic("demo: boom (this text must never reach the browser)")
	})))
	return s, mux, nil
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

const sessionCookie = "session"

// currentSession returns the request's session, if its cookie names one.
func (s *server) currentSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions.get(c.Value, s.now())
}

// localPath returns next if it is a path on this server, else "".
// "//host" and "/\host" are other hosts to a browser.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

// postAsGet answers a POST with a 303 to the GET of the same path with
// the form's parameters (the query's and the body's, already parsed and
// each given once) and serves any other method.
func postAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		seeOther(w, r.URL.Path+"?"+r.Form.Encode())
	})
}

// seeOther is a plain 303 redirect that is not an error.
func seeOther(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}
