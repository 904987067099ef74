package render_test

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// TestPage_SpeaksThePersonsLanguage: <html lang> and Content-Language name
// the language of the words served, for every built-in language.
func TestPage_SpeaksThePersonsLanguage(t *testing.T) {
	r := newRenderer(t, render.Config{})
	for _, lang := range builtinLanguages {
		req := httptest.NewRequest(http.MethodGet, "/ooops", nil)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		e := codes.UnauthorizedClient.With(codes.InvalidRedirectURI)
		r.Page(rec, req, http.StatusOK, e)
		m := readCatalog(t, lang)
		body := rec.Body.String()
		assert.Equal(t, lang, rec.Header().Get("Content-Language"))
		assert.Contains(t, body, `<html lang="`+lang+`">`)
		assert.Contains(t, body, "<title>"+template.HTMLEscapeString(m["authorization.unauthorized_client.title"])+"</title>")
		assert.Contains(t, body, template.HTMLEscapeString(m["detail.invalid_redirect_uri.text"]))
		assert.Contains(t, body, template.HTMLEscapeString(m["detail.invalid_redirect_uri.action"]))
		assert.Contains(t, body, `<div class="alert" role="alert" id="error">`)
		assert.NotContains(t, body, codes.UnauthorizedClient.Description())
	}
}

// TestPage_WaysForwardComeFromConfiguration: try again leads to the login
// page, home and support are the configured ones; a query naming other
// links changes nothing.
func TestPage_WaysForwardComeFromConfiguration(t *testing.T) {
	r := newRenderer(t, render.Config{ErrorPage: "/ooops", LoginPage: "/login?tenant=a", Page: render.PageConfig{
		Home: "https://app.example/", HomeName: "Acme <Chat>", Support: "mailto:help@example.com",
	}})
	req := httptest.NewRequest(http.MethodGet, "/ooops?home=https://evil.example/&support=https://evil.example/&TryAgain=https://evil.example/", nil)
	rec := httptest.NewRecorder()
	r.Page(rec, req, http.StatusOK, codes.ServerError.Err())
	body := rec.Body.String()
	assert.Contains(t, body, `<a class="primary" id="try-again" href="/login?tenant=a">Try again</a>`)
	assert.Contains(t, body, `<a id="home" href="https://app.example/">Back to Acme &lt;Chat&gt;</a>`)
	assert.Contains(t, body, `<a id="support" href="mailto:help@example.com">Contact support</a>`)
	assert.Contains(t, body, `If this keeps happening, contact support and mention the error code below. Error code: <code>server_error</code>`)
	assert.NotContains(t, body, "evil")

	// No error: nothing to try again, nothing to report; home stays.
	rec = httptest.NewRecorder()
	r.Page(rec, req, http.StatusOK, nil)
	body = rec.Body.String()
	assert.NotContains(t, body, "try-again")
	assert.NotContains(t, body, "support")
	assert.NotContains(t, body, `role="alert"`)
	assert.Contains(t, body, `id="home"`)

	// Nothing configured: try again only, home unnamed when named nowhere.
	r = newRenderer(t, render.Config{Page: render.PageConfig{Home: "/"}})
	rec = httptest.NewRecorder()
	r.Page(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, codes.IdentityLost.Err())
	body = rec.Body.String()
	assert.Contains(t, body, `<a id="home" href="/">Go to the home page</a>`)
	assert.Contains(t, body, `<p class="ref" id="reference">Error code: <code>identity_lost</code></p>`)
}

// TestPageData_Words: the words for each code, the detail's replacing the
// code's text and action, the entity id kept for the application only.
func TestPageData_Words(t *testing.T) {
	d := render.NewPageData(codes.Unauthorized.WithEntityID("u-jane"))
	assert.Equal(t, render.PageData{
		Kind: "authentication", Code: "unauthorized", CodeDescription: codes.Unauthorized.Description(),
		EntityID: "u-jane", Lang: "en",
		Title:  "Wrong e-mail or password",
		Text:   "The e-mail address or the password you entered is not correct.",
		Action: "Check both and try again.",
	}, stripCatalog(d))
	assert.Equal(t, "Try again", d.T("page.try_again"))

	d = render.NewPageData(codes.InvalidRequest.With(codes.TooManyRedirects))
	assert.Equal(t, "This request could not be completed", d.Title)
	assert.Equal(t, "Your browser was sent back and forth between the app and this service too many times.", d.Text)
	assert.Equal(t, "Wait a minute, then open the app again.", d.Action)
	assert.Equal(t, "to_many_redirects", d.Detail)

	d = render.NewPageData(nil)
	assert.Equal(t, "Nothing went wrong", d.Title)
	assert.Empty(t, d.Code)

	// Every code and detail has its own words in every language.
	r := newRenderer(t, render.Config{})
	for _, lang := range builtinLanguages {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", lang)
		for _, c := range codes.All() {
			for _, det := range allDetails() {
				d := r.PageData(req, c.With(det))
				assert.Equal(t, lang, d.Lang)
				assert.NotEmpty(t, d.Title)
				assert.NotEmpty(t, d.Text)
				assert.NotEmpty(t, d.Action)
				assert.Equal(t, render.ContractLoginPage, d.TryAgain)
			}
		}
	}
}

// stripCatalog drops PageData's unexported catalog, for comparisons.
func stripCatalog(d render.PageData) render.PageData {
	return render.PageData{
		Kind: d.Kind, Code: d.Code, CodeDescription: d.CodeDescription, Detail: d.Detail,
		DetailDescription: d.DetailDescription, EntityID: d.EntityID, Lang: d.Lang,
		Title: d.Title, Text: d.Text, Action: d.Action, TryAgain: d.TryAgain,
		Home: d.Home, HomeText: d.HomeText, Support: d.Support,
	}
}

// TestPage_Template: an application's template replaces the built-in one,
// from values or from Files; one that fails is refused at construction.
func TestPage_Template(t *testing.T) {
	tmpl := template.Must(template.New("x").Parse(`<html lang="{{.Lang}}"><h1>{{.Title}}</h1>{{.T "page.try_again"}}`))
	r := newRenderer(t, render.Config{Page: render.PageConfig{Template: tmpl}})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "fr")
	rec := httptest.NewRecorder()
	r.Page(rec, req, http.StatusOK, codes.IdentityLost.Err())
	assert.Equal(t, `<html lang="fr"><h1>Vous avez été déconnecté</h1>Réessayer`, rec.Body.String())

	r = newRenderer(t, render.Config{Page: render.PageConfig{Files: fstest.MapFS{
		"page.html": {Data: []byte(`<p lang="{{.Lang}}">{{.Text}}</p>`)},
	}}})
	rec = httptest.NewRecorder()
	r.Page(rec, req, http.StatusOK, codes.IdentityLost.Err())
	assert.Equal(t, `<p lang="fr">Votre session a pris fin, par exemple parce que vous vous êtes déconnecté ou que votre mot de passe a été modifié.</p>`, rec.Body.String())

	bad := template.Must(template.New("x").Parse(`{{.NoSuchField}}`))
	_, err := render.New(render.Config{ErrorPage: "/e", LoginPage: "/l", Page: render.PageConfig{Template: bad}})
	require.ErrorIs(t, err, render.ErrConfig)
	assert.Contains(t, err.Error(), "template")
}

// TestPage_NoScriptNoEntityID: the built-in page works without JavaScript
// and never prints the internal identifier, in any language.
func TestPage_NoScriptNoEntityID(t *testing.T) {
	r := newRenderer(t, render.Config{})
	for _, lang := range builtinLanguages {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		r.Page(rec, req, http.StatusUnauthorized, codes.Unauthorized.WithEntityID("u-secret-42"))
		body := rec.Body.String()
		assert.NotContains(t, body, "u-secret-42")
		assert.NotContains(t, strings.ToLower(body), "<script")
		assert.Contains(t, body, `<meta name="viewport" content="width=device-width, initial-scale=1">`)
	}
}

// TestWire_SameInEveryLanguage: only the page is localized; the redirect
// and the JSON are byte for byte the same whatever language is asked for.
func TestWire_SameInEveryLanguage(t *testing.T) {
	r := newRenderer(t, render.Config{Page: render.PageConfig{LanguageQuery: "lang"}})
	answer := func(lang string, write func(http.ResponseWriter, *http.Request)) (http.Header, string) {
		req := httptest.NewRequest(http.MethodGet, "/oauth/token?lang="+lang, nil)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		write(rec, req)
		return rec.Header(), rec.Body.String()
	}
	for _, c := range codes.All() {
		for _, det := range allDetails() {
			e := c.With(det)
			for name, write := range map[string]func(http.ResponseWriter, *http.Request){
				"redirect": func(w http.ResponseWriter, req *http.Request) { r.Redirect(w, req, e) },
				"json":     func(w http.ResponseWriter, req *http.Request) { r.JSON(w, req, e) },
			} {
				wantHeader, wantBody := answer("en", write)
				for _, lang := range builtinLanguages[1:] {
					h, body := answer(lang, write)
					assert.Equal(t, wantHeader, h, "%s %s %s", name, e, lang)
					assert.Equal(t, wantBody, body, "%s %s %s", name, e, lang)
				}
			}
		}
	}
}
