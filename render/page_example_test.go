package render_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// An adopter overrides a built-in message and adds the words of its own
// login form from files (an embed.FS in a real program), and overrides one
// more by value. A language added this way must have every key of
// the built-in en.json; New says which one is missing.
func ExamplePageConfig() {
	files := fstest.MapFS{
		"en.json": {Data: []byte(`{"login.email": "Work e-mail", "authentication.unauthorized.action": "Check both, or reset your password."}`)},
		"de.json": {Data: []byte(`{"login.email": "Dienstliche E-Mail"}`)},
	}
	r, err := render.New(render.Config{
		ErrorPage: "/ooops", LoginPage: "/login",
		Page: render.PageConfig{
			Home: "https://www.example.com/", HomeName: "Example",
			Support:       "mailto:help@example.com",
			LanguageQuery: "lang",
			Files:         files,
			Overrides:     map[string]map[string]string{"de": {"authentication.unauthorized.title": "Anmeldung fehlgeschlagen"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, target := range []string{"/login?lang=de", "/login"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		d := r.PageData(req, codes.Unauthorized.Err())
		fmt.Printf("%s | %s | %s | %s | %s\n", d.Lang, d.Title, d.Action, d.T("login.email"), d.HomeText)
	}

	_, err = render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Page: render.PageConfig{
		Overrides: map[string]map[string]string{"it": {"page.try_again": "Riprova"}},
	}})
	fmt.Println(strings.Contains(err.Error(), `language it has no message "authentication.access_denied.action"`))
	// Output:
	// de | Anmeldung fehlgeschlagen | Prüfen Sie beides und versuchen Sie es erneut. | Dienstliche E-Mail | Zurück zu Example
	// en | Wrong e-mail or password | Check both, or reset your password. | Work e-mail | Back to Example
	// true
}

// A login route carries the authorization request back to the login page
// when the sign-in fails, so that the person does not start again. Only
// the allowlisted names are carried, after the contract's parameters.
func ExampleRenderer_CarriedQuery() {
	r, _ := render.New(render.Config{
		ErrorPage: "/ooops", LoginPage: "/login",
		Carry: []string{"response_type", "client_id", "redirect_uri", "state", "scope"},
	})
	req := httptest.NewRequest(http.MethodPost, "/login?client_id=demo&state=xyz&response_type=code&password=no&scope=profile", nil)
	fmt.Println(r.CarriedQuery(req))
	rec := httptest.NewRecorder()
	r.Redirect(rec, req, codes.Unauthorized.WithEntityID("u-1"))
	fmt.Println(rec.Header().Get("Location"))

	_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Carry: []string{"client_secret"}})
	fmt.Println(errors.Is(err, render.ErrConfig), strings.Contains(err.Error(), `Carry "client_secret" may carry a credential`))
	// Output:
	// response_type=code&client_id=demo&state=xyz&scope=profile
	// /login?identity_exception=unauthorized&entity_id=u-1&response_type=code&client_id=demo&state=xyz&scope=profile
	// true true
}
