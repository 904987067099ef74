package bench

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	ar "github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// pageConfig is the pages' configuration of the page benchmarks: relative
// targets (so that the error page's own path is known), a way home, a
// support link and the flow carried back to the login page.
var pageConfig = render.Config{
	ErrorPage: "/ooops", LoginPage: "/login",
	Carry: []string{"response_type", "client_id", "redirect_uri", "state"},
	Page: render.PageConfig{
		Home: "https://app.example/", HomeName: "Acme", Support: "mailto:help@example.com",
		LanguageQuery: "lang",
	},
}

// pageQuery is what a browser sent back to the error page, with a flow
// that the login page's "try again" carries.
const pageQuery = "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found" +
	"&response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&state=xyz+1"

// The pages a person waits for: the library's error page (Renderer.Page,
// German) and the page written in place by a Recoverer route when the
// error page itself fails, beside a plain html/template render of the same
// markup and data into the same writer. Budget: at most 0.5× the plain
// render, at most 20 allocations.
func BenchmarkPage(b *testing.B) {
	rend, err := render.New(pageConfig)
	if err != nil {
		b.Fatal(err)
	}
	src, err := os.ReadFile("../render/page.html")
	if err != nil {
		b.Fatal(err)
	}
	plain := template.Must(template.New("page").Parse(string(src)))
	req := httptest.NewRequest(http.MethodGet, pageQuery, nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.8")
	e := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	data := rend.PageData(req, e)

	rc, err := ar.New(ar.Config{Render: pageConfig, Observer: ar.Quiet})
	if err != nil {
		b.Fatal(err)
	}
	inPlace := alice.New(rc.Authorization).Then(ar.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.ServerError.Err() // the error page itself fails
	}))

	for _, c := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"plain-html-template", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			if err := plain.Execute(w, data); err != nil {
				b.Fatal(err)
			}
		}},
		{"error-page", func(w http.ResponseWriter, r *http.Request) { rend.Page(w, r, http.StatusOK, e) }},
		{"page-in-place", inPlace.ServeHTTP},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := newWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				c.h(w, req)
			}
		})
	}
}

// The error page as an application serves it, the handler that load.sh
// drives end to end (bench/loadserver): its query read with ParseQuery,
// then Renderer.Page (German, carrying a flow), beside a handler writing
// the same status, headers and bytes from memory, each on a fresh header
// map as net/http gives each request.
func BenchmarkErrorPageServed(b *testing.B) {
	cfg := render.Config{
		ErrorPage: "/ooops", LoginPage: "/login",
		Carry: []string{"response_type", "client_id", "state"},
		Page:  render.PageConfig{Home: "https://app.example/", Support: "mailto:help@example.com"},
	}
	rend, err := render.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	errorPage := func(w http.ResponseWriter, r *http.Request) {
		e, _ := render.ParseQuery(r.URL.RawQuery)
		rend.Page(w, r, http.StatusOK, e)
	}
	req := httptest.NewRequest(http.MethodGet, "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"+
		"&response_type=code&client_id=demo&state=xyz", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.8")
	rec := httptest.NewRecorder()
	errorPage(rec, req)
	status, header, body := rec.Code, rec.Header().Clone(), rec.Body.Bytes()
	memory := func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
	}{{"memory", memory}, {"authredirect", errorPage}} {
		b.Run(c.name, func(b *testing.B) {
			w := newWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.fresh()
				c.h(w, req)
			}
			if w.code != status || string(w.body) != string(body) {
				b.Fatalf("%d %q, want %d and the recorded page", w.code, w.body, status)
			}
		})
	}
}
