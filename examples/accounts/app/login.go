package app

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// login is POST /login. The guards have refused cross-origin posts,
// parsed the form (a body that does not parse is the authentication
// invalid_request) and refused repeated fields.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	u, ok := s.users[email]
	switch {
	case !ok:
		return codes.Unauthorized // the identity is not known: no entity_id
	case u.storageDown:
		return fmt.Errorf("login %s: %w", u.id, errStorageDown) // untyped: server_error
	case u.ssoOnly:
		return codes.CredentialsLoginDisabled
	case !equalSecret(r.PostForm.Get("password"), u.password):
		return codes.Unauthorized.WithEntityID(u.id)
	case u.banned:
		return codes.IdentityAccessDenied
	}
	id := randomToken("s-")
	s.mu.Lock()
	now := s.now()
	s.sessions.put(id, session{userID: u.id}, now.Add(sessionTTL), now)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil || s.secure, SameSite: http.SameSiteLaxMode})
	next := localPath(r.PostForm.Get("next"))
	if next == "" {
		next = "/account"
	}
	seeOther(w, next)
	return nil
}

// logout is POST /logout: the session ends on the server. The browser keeps
// its now dead cookie, so /account shows what identity_lost looks like.
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		s.sessions.update(c.Value, s.now(), func(sess session) session { sess.loggedOut = true; return sess })
		s.mu.Unlock()
	}
	seeOther(w, "/")
	return nil
}

// account is GET /account: it needs a live session.
func (s *server) account(w http.ResponseWriter, r *http.Request) error {
	sess, ok := s.currentSession(r)
	switch {
	case !ok:
		seeOther(w, "/?next="+url.QueryEscape("/account"))
		return nil
	case sess.loggedOut:
		return codes.IdentityLost
	}
	s.mu.Lock()
	u := s.usersByID[sess.userID]
	s.mu.Unlock()
	return execute(w, accountTemplate, u.email)
}

// loginPage is GET /: the login form, with the identity_exception it was
// sent, if any, explained.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	data := struct {
		render.PageData
		Unreadable bool
		Next       string
	}{Next: localPath(r.URL.Query().Get("next"))}
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
// the query. It answers 200, never redirects and refuses framing.
func (s *server) errorPage(w http.ResponseWriter, r *http.Request) error {
	e, _ := render.ParseQuery(r.URL.RawQuery) // unreadable: the page says there is no error
	s.renderer.Page(w, r, http.StatusOK, e)
	return nil
}

// callback is GET /demo/callback: the demo client shows what it received.
func (s *server) callback(w http.ResponseWriter, r *http.Request) error {
	return execute(w, callbackTemplate, map[string]string{"Code": r.URL.Query().Get("code"), "State": r.URL.Query().Get("state")})
}

// loopingClient is GET /demo/loop, a misbehaving client: whatever it gets,
// it sends the browser straight back to authorize.
func (s *server) loopingClient(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/oauth/authorize?response_type=code&client_id=loopy&scope=profile&state=again", http.StatusFound)
	return nil
}

// execute answers with one of the server's own pages, which no other site
// may frame (clickjacking): CSP frame-ancestors, and X-Frame-Options for
// browsers without it.
func execute(w http.ResponseWriter, t *template.Template, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	return t.Execute(w, data)
}

const style = `<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}code{background:#eee;padding:0 .3em}.error{border-left:4px solid #c00;padding-left:1em}</style>`

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title>` + style + `</head>
<body><main>
<h1>Sign in</h1>
{{- if .Code}}
<div class="error" id="error">
<p>Sign-in error <code>{{.Code}}</code>: {{.CodeDescription}}</p>
{{- if .Detail}}<p>Detail <code>{{.Detail}}</code>: {{.DetailDescription}}</p>{{end}}
{{- if .EntityID}}<p>Identity <code>{{.EntityID}}</code></p>{{end}}
</div>
{{- else if .Unreadable}}
<div class="error" id="error"><p>The sign-in error in this address could not be read.</p></div>
{{- end}}
<form method="post" action="/login">
<p><label>E-mail <input type="email" name="email" id="email" autocomplete="username" required></label></p>
<p><label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label></p>
<input type="hidden" name="next" value="{{.Next}}">
<p><button type="submit" id="submit">Sign in</button></p>
</form>
</main></body></html>
`))

var accountTemplate = template.Must(template.New("account").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Account</title>` + style + `</head>
<body><main><h1>Account</h1><p id="who">Signed in as {{.}}</p>
<form method="post" action="/logout"><button type="submit" id="logout">Sign out</button></form>
</main></body></html>
`))

var callbackTemplate = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo client</title>` + style + `</head>
<body><main><h1>Demo client callback</h1>
<p>Authorization code: <code id="code">{{.Code}}</code></p><p>State: <code id="state">{{.State}}</code></p>
</main></body></html>
`))
