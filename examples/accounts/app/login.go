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

// login is POST /login, posted by the login form to /login?<flow>: the
// flow ([carried]) rides in the URL, so that a failed attempt sends it
// back to the login page with the error. The guards have refused
// cross-origin posts, parsed the form (a body that does not parse is the
// authentication invalid_request) and refused repeated fields.
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
		// The redirect keeps this cookie: the login page prefills the
		// address this browser typed, never one it learns from the URL.
		s.setTypedEmail(w, r, u.email, 300)
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
	if _, err := r.Cookie(typedEmailCookie); err == nil {
		s.setTypedEmail(w, r, "", -1) // signed in: forget it
	}
	q := r.URL.Query()
	switch next := localPath(q.Get("next")); {
	case q.Get("client_id") != "":
		// Back into the authorization request the person came from.
		seeOther(w, "/oauth/authorize?"+s.renderer.CarriedQuery(r))
	case next != "":
		seeOther(w, next)
	default:
		seeOther(w, "/account")
	}
	return nil
}

// typedEmailCookie holds, for a few minutes after a wrong password, the
// address this browser typed.
const typedEmailCookie = "login_email"

func (s *server) setTypedEmail(w http.ResponseWriter, r *http.Request, email string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: typedEmailCookie, Value: email, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil || s.secure, SameSite: http.SameSiteLaxMode})
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

// loginForm is what the login page shows: the error in words, in the
// person's language, and a form that keeps the flow.
type loginForm struct {
	render.PageData
	Unreadable bool
	// FormAction is the form's target: /login with the carried flow.
	FormAction string
	// Email prefills the address field: the one this browser typed, when
	// the error's entity_id is that identity's.
	Email string
	// Invalid names the fields the error is about; Focus the first one,
	// or the first field when the error is about none.
	EmailInvalid, PasswordInvalid bool
	Focus                         string
}

// loginPage is GET /: the login form, with the identity_exception it was
// sent, if any, explained in the person's language.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	e, err := render.ParseQuery(r.URL.RawQuery)
	unreadable := err != nil && !errors.Is(err, render.ErrNoException)
	if err != nil {
		e = nil // never reflect what could not be read
	}
	f := loginForm{PageData: s.renderer.PageData(r, e), Unreadable: unreadable, FormAction: "/login", Focus: "email"}
	if q := s.renderer.CarriedQuery(r); q != "" {
		f.FormAction += "?" + q
	}
	if e != nil && e.Code() == codes.Unauthorized {
		f.EmailInvalid, f.PasswordInvalid = true, true
		if c, err := r.Cookie(typedEmailCookie); err == nil && e.EntityID() != "" {
			s.mu.Lock()
			u := s.usersByID[e.EntityID()]
			s.mu.Unlock()
			if u != nil && u.email == c.Value {
				// The identity is known and the address was right: only
				// the password is wrong.
				f.Email, f.EmailInvalid, f.Focus = u.email, false, "password"
			}
		}
	}
	return execute(w, loginTemplate, f)
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

// style is the pages' look: WCAG AA contrast, a visible focus ring, one
// column that fits 320 px, no script.
const style = `<meta name="viewport" content="width=device-width, initial-scale=1"><style>
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;background:#fff;overflow-wrap:anywhere}
main{max-width:28rem;margin:2rem auto}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
.alert{border-left:.3rem solid #b3261e;background:#fdf2f1;padding:1rem;border-radius:.25rem;margin:0 0 1.5rem}
.alert h2{font-size:1.125rem;margin:0}
.alert p{margin:.5rem 0 0}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{display:block;width:100%;font:inherit;padding:.6rem;border:1px solid #5f6368;border-radius:.25rem;color:#1b1b1b;background:#fff}
input[aria-invalid=true]{border:2px solid #b3261e}
button{margin-top:1.5rem;font:inherit;font-weight:600;padding:.6rem 1.4rem;border:0;border-radius:.25rem;background:#0b57d0;color:#fff;cursor:pointer}
a{color:#0b57d0}
:focus-visible{outline:.2rem solid #1b1b1b;outline-offset:.2rem}
code{font-family:ui-monospace,monospace}
.hint,.ref{font-size:.875rem;color:#4a4a4a}
</style>`

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<title>{{if .Code}}{{.Title}} – {{end}}{{.T "login.title"}}</title>` + style + `</head>
<body><main>
<h1>{{.T "login.title"}}</h1>
{{- if .Code}}
<div class="alert" role="alert" id="error">
<h2>{{.Title}}</h2>
<p>{{.Text}}</p>
<p>{{.Action}}</p>
</div>
{{- else if .Unreadable}}
<div class="alert" role="alert" id="error"><p>{{.T "page.unreadable.text"}}</p></div>
{{- end}}
<form method="post" action="{{.FormAction}}">
<p class="hint" id="hint">{{.T "login.required"}}</p>
<label for="email">{{.T "login.email"}}</label>
<input type="email" name="email" id="email" autocomplete="username" required aria-describedby="hint{{if .EmailInvalid}} error{{end}}"
{{- if .Email}} value="{{.Email}}"{{end}}{{if .EmailInvalid}} aria-invalid="true"{{end}}{{if eq .Focus "email"}} autofocus{{end}}>
<label for="password">{{.T "login.password"}}</label>
<input type="password" name="password" id="password" autocomplete="current-password" required aria-describedby="hint{{if .PasswordInvalid}} error{{end}}"
{{- if .PasswordInvalid}} aria-invalid="true"{{end}}{{if eq .Focus "password"}} autofocus{{end}}>
<button type="submit" id="submit">{{.T "login.submit"}}</button>
</form>
{{- if .Code}}
<p class="ref" id="reference">{{.T "page.error_code"}}: <code>{{.Code}}</code></p>
{{- end}}
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
