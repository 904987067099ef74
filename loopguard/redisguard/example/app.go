package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/justinas/alice"
	"github.com/redis/go-redis/v9"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/loopguard/redisguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// config is what one instance of the fleet needs. Every instance that must
// agree shares Key, Redis and Prefix.
type config struct {
	Base   string                // the URL browsers reach this instance at, e.g. http://127.0.0.1:8080
	Key    []byte                // the fleet's secret, at least 32 bytes: signs sessions and the loop cookie
	Redis  redis.UniversalClient // counts signed-in accounts
	Prefix string                // the Redis key prefix; "" is redisguard.DefaultPrefix
	Logger *slog.Logger
}

// The demo's one user (as in examples/accounts) and its clients.
const (
	demoEmail    = "jane@example.com"
	demoPassword = "jane-password"
	demoAccount  = "u-jane"
	sessionName  = "session"
	sessionLife  = 12 * time.Hour
)

// app is one instance of the fleet.
type app struct {
	base       string
	sessionKey []byte
	clients    map[string]string // client id: redirect URI
	renderer   *render.Renderer
}

// derive makes a key for one use from the fleet's secret, so that one
// secret serves sessions and the loop cookie without one signing for the
// other.
func derive(secret []byte, use string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authredirect fleet example: " + use))
	return m.Sum(nil)
}

// newApp builds an instance's handler.
func newApp(cfg config) (http.Handler, error) {
	if len(cfg.Key) < 32 {
		return nil, fmt.Errorf("the fleet key has %d bytes; at least 32 are needed", len(cfg.Key))
	}
	u, err := url.Parse(cfg.Base)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Path != "" {
		return nil, fmt.Errorf("base %q must be an http(s) URL with a host and no path", cfg.Base)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	observer := middleware.LogObserver(cfg.Logger)
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: cfg.Base + "/ooops", LoginPage: cfg.Base + "/"},
		Observer: observer,
	})
	if err != nil {
		return nil, err
	}
	a := &app{
		base:       cfg.Base,
		sessionKey: derive(cfg.Key, "session"),
		clients:    map[string]string{"demo": cfg.Base + "/demo/callback", "loopy": cfg.Base + "/demo/loop"},
		renderer:   rc.Renderer(),
	}

	// Signed-out browsers are counted in a cookie signed with the fleet's
	// key; signed-in accounts in Redis, across instances and browsers.
	browsers, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{derive(cfg.Key, "loop cookie")}, BehindTLSProxy: u.Scheme == "https"})
	if err != nil {
		return nil, err
	}
	accounts, err := redisguard.New(redisguard.Config{Client: cfg.Redis, Prefix: cfg.Prefix})
	if err != nil {
		return nil, err
	}
	guard, err := loopguard.New(loopguard.Config{
		Counter:        browsers,
		AccountCounter: accounts,
		AccountOf:      a.account,
		KnownClient: func(id string) bool {
			_, ok := a.clients[id]
			return ok
		},
		Logger: cfg.Logger, // uncounted arrivals: at most one Warn a second
	})
	if err != nil {
		return nil, err
	}

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(rc.Authentication(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidRequest.WithCause(errors.New("cross-origin form post refused"))
	})))
	get, post := middleware.AllowMethods(http.MethodGet, http.MethodHead), middleware.AllowMethods(http.MethodPost)
	authz, authn := alice.New(rc.Authorization, get), alice.New(rc.Authentication)
	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", authz.Append(middleware.UniqueParams(), guard.Middleware).Then(middleware.Wrap(a.authorize)))
	mux.Handle("/login", authn.Append(post, csrf.Handler, middleware.ParseForm(middleware.DefaultMaxFormBytes),
		middleware.UniqueParams()).Then(middleware.Wrap(a.login)))
	mux.Handle("/logout", authn.Append(post, csrf.Handler).Then(middleware.Wrap(a.logout)))
	mux.Handle("/{$}", authn.Append(get).Then(middleware.Wrap(a.loginPage)))
	mux.Handle("/ooops", authz.Then(middleware.Wrap(a.errorPage)))
	mux.Handle("/demo/callback", authz.Then(middleware.Wrap(a.callback)))
	mux.Handle("/demo/loop", authz.Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		// A misbehaving client: whatever it gets, it sends the browser
		// straight back.
		http.Redirect(w, r, "/oauth/authorize?response_type=code&client_id=loopy&state=again", http.StatusFound)
		return nil
	})))
	return mux, nil
}

// session is the signed session cookie's value for account until expires:
// account|unix expiry|base64url(HMAC-SHA256), so any instance with the
// fleet's key accepts a session another instance made.
func (a *app) session(account string, expires time.Time) string {
	payload := account + "|" + strconv.FormatInt(expires.Unix(), 10)
	m := hmac.New(sha256.New, a.sessionKey)
	m.Write([]byte(payload))
	return payload + "|" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// account is the signed-in account of r: "" without a session cookie whose
// signature holds and whose time has not run out.
func (a *app) account(r *http.Request) string {
	c, err := r.Cookie(sessionName)
	if err != nil {
		return ""
	}
	account, rest, ok := strings.Cut(c.Value, "|")
	if !ok {
		return ""
	}
	exp, _, ok := strings.Cut(rest, "|")
	if !ok {
		return ""
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || time.Now().Unix() >= unix {
		return ""
	}
	if subtle.ConstantTimeCompare([]byte(a.session(account, time.Unix(unix, 0))), []byte(c.Value)) != 1 {
		return ""
	}
	return account
}

// authorize is GET /oauth/authorize, after the loop guard counted the
// arrival: a signed-out browser signs in first; a signed-in one gets a
// code at its client's redirect URI.
func (a *app) authorize(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	redirectURI, ok := a.clients[q.Get("client_id")]
	switch {
	case !ok:
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	case q.Has("redirect_uri") && q.Get("redirect_uri") != redirectURI:
		return codes.UnauthorizedClient.With(codes.InvalidRedirectURI)
	}
	switch q.Get("response_type") {
	case "code":
	case "":
		return codes.InvalidRequest // a required parameter is missing
	default:
		return codes.UnsupportedResponseType
	}
	if a.account(r) == "" {
		seeOther(w, "/?next="+url.QueryEscape(r.URL.RequestURI()))
		return nil
	}
	params := url.Values{"code": {randomToken()}}
	if st := q.Get("state"); st != "" {
		params.Set("state", st)
	}
	http.Redirect(w, r, redirectURI+"?"+params.Encode(), http.StatusFound)
	return nil
}

// login is POST /login: the demo user signs in; anyone else is the
// contract's unauthorized.
func (a *app) login(w http.ResponseWriter, r *http.Request) error {
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	switch {
	case email != demoEmail:
		return codes.Unauthorized
	case subtle.ConstantTimeCompare([]byte(r.PostForm.Get("password")), []byte(demoPassword)) != 1:
		return codes.Unauthorized.WithEntityID(demoAccount)
	}
	expires := time.Now().Add(sessionLife)
	http.SetCookie(w, &http.Cookie{Name: sessionName, Value: a.session(demoAccount, expires), Path: "/", Expires: expires,
		HttpOnly: true, Secure: strings.HasPrefix(a.base, "https:"), SameSite: http.SameSiteLaxMode})
	next := localPath(r.PostForm.Get("next"))
	if next == "" {
		next = "/"
	}
	seeOther(w, next)
	return nil
}

// logout is POST /logout.
func (a *app) logout(w http.ResponseWriter, _ *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: sessionName, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	seeOther(w, "/")
	return nil
}

// loginPage is GET /: the login form, with the identity_exception it was
// sent, if any, explained by the renderer's page data.
func (a *app) loginPage(w http.ResponseWriter, r *http.Request) error {
	data := struct {
		render.PageData
		Unreadable bool
		Next       string
		Account    string
	}{Next: localPath(r.URL.Query().Get("next")), Account: a.account(r)}
	e, err := render.ParseQuery(r.URL.RawQuery)
	switch {
	case err == nil:
		data.PageData = render.NewPageData(e)
	case !errors.Is(err, render.ErrNoException):
		data.Unreadable = true // never reflect what could not be read
	}
	return execute(w, loginTemplate, data)
}

// errorPage is GET /ooops: the renderer's terminal page for the error in
// the query.
func (a *app) errorPage(w http.ResponseWriter, r *http.Request) error {
	e, _ := render.ParseQuery(r.URL.RawQuery) // unreadable: the page says there is no error
	a.renderer.Page(w, r, http.StatusOK, e)
	return nil
}

// callback is GET /demo/callback: the demo client shows what it received.
func (a *app) callback(w http.ResponseWriter, r *http.Request) error {
	return execute(w, callbackTemplate, r.URL.Query().Get("code"))
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// localPath returns next if it is a path on this server, else "".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

// seeOther is a plain 303 that is not an error.
func seeOther(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// execute answers with one of the instance's own pages, which no other
// site may frame.
func execute(w http.ResponseWriter, t *template.Template, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	return t.Execute(w, data)
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main>
<h1>Sign in</h1>
{{- if .Account}}<p id="who">Signed in as {{.Account}}.</p>
<form method="post" action="/logout"><button type="submit" id="logout">Sign out</button></form>{{end}}
{{- if .Code}}
<div id="error">
<p>Sign-in error <code>{{.Code}}</code>: {{.CodeDescription}}</p>
{{- if .Detail}}<p>Detail <code>{{.Detail}}</code>: {{.DetailDescription}}</p>{{end}}
{{- if .EntityID}}<p>Identity <code>{{.EntityID}}</code></p>{{end}}
</div>
{{- else if .Unreadable}}
<div id="error"><p>The sign-in error in this address could not be read.</p></div>
{{- end}}
<form method="post" action="/login">
<p><label>E-mail <input type="email" name="email" id="email" autocomplete="username" required></label></p>
<p><label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label></p>
<input type="hidden" name="next" value="{{.Next}}">
<p><button type="submit" id="submit">Sign in</button></p>
</form>
<p>Demo user: jane@example.com / jane-password. Try the <a href="/oauth/authorize?response_type=code&amp;client_id=loopy">looping client</a>.</p>
</main></body></html>
`))

var callbackTemplate = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo client</title></head>
<body><main><h1>Demo client callback</h1><p>Authorization code: <code id="code">{{.}}</code></p></main></body></html>
`))
