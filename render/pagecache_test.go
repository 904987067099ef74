package render

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
)

// everyError is nil, then every code alone and with every detail.
func everyError() []*codes.Error {
	errs := []*codes.Error{nil}
	for _, c := range codes.All() {
		errs = append(errs, c.Err())
		for _, d := range codes.Details() {
			errs = append(errs, c.With(d))
		}
	}
	return errs
}

// TestPage_CachedIsWhatTheTemplateWrites: for every code × detail ×
// language, with and without a carried flow and under login pages whose
// own query ends every way, the kept page is byte for byte what
// html/template writes of the page's data, executed afresh each time.
func TestPage_CachedIsWhatTheTemplateWrites(t *testing.T) {
	fresh := template.Must(template.New("page").Parse(pageHTML))
	queries := []string{
		"",
		"?response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fclient.example%2Fcb%3Fa%3D1%26b%3D2&state=x+y%2Bz%25%3C%22%27%3E",
		"?client_id=%E2%82%AC%C3%A9&state=" + url.QueryEscape("<script>alert('x')</script> & \"+"),
		"?state=a;b", // does not parse: nothing carried
	}
	for _, login := range []string{"/login", "/login?tenant=a", "/login?", "https://accounts.example/login?x=1&"} {
		r, err := New(Config{ErrorPage: "/ooops", LoginPage: login, TooManyRedirectsNewSpelling: login == "/login",
			Carry: []string{"response_type", "client_id", "redirect_uri", "state"},
			Page:  PageConfig{Home: "https://app.example/?a=1&b=2", HomeName: "Acme <&>", Support: "mailto:help@example.com"}})
		require.NoError(t, err)
		require.NotNil(t, r.pages)
		for _, lang := range r.Languages() {
			for _, q := range queries {
				req := httptest.NewRequest(http.MethodGet, "/ooops"+q, nil)
				req.Header.Set("Accept-Language", lang)
				for _, e := range everyError() {
					var want strings.Builder
					require.NoError(t, fresh.Execute(&want, r.PageData(req, e)))
					for range 2 { // rendered, then kept
						rec := httptest.NewRecorder()
						r.Page(rec, req, http.StatusBadRequest, e)
						require.Equal(t, want.String(), rec.Body.String(), "%s %s %q %v", login, lang, q, e)
						require.Equal(t, lang, rec.Header().Get("Content-Language"))
					}
				}
			}
		}
	}
}

// TestPage_CacheStaysBounded: however many pages are asked for, no more
// than the bound are kept, and a page dropped is rendered again the same.
func TestPage_CacheStaysBounded(t *testing.T) {
	r, err := New(Config{ErrorPage: "/ooops", LoginPage: "/login"})
	require.NoError(t, err)
	r.pages.max = 10
	req := httptest.NewRequest(http.MethodGet, "/ooops", nil)
	want := map[string]string{}
	for round := range 3 {
		for _, lang := range r.Languages() {
			req.Header.Set("Accept-Language", lang)
			for i, e := range everyError() {
				rec := httptest.NewRecorder()
				r.Page(rec, req, http.StatusOK, e)
				key := lang + strconv.Itoa(i)
				if round == 0 {
					want[key] = rec.Body.String()
				}
				assert.Equal(t, want[key], rec.Body.String())
				assert.LessOrEqual(t, len(r.pages.pages), 10)
			}
		}
	}
	assert.Greater(t, len(want), 10)

	// Every page of the built-in catalogs fits the real bound.
	assert.LessOrEqual(t, len(r.Languages())*len(everyError()), maxCachedPages)
}

// TestPage_ApplicationTemplateIsNotKept: an application's template runs
// for every page.
func TestPage_ApplicationTemplateIsNotKept(t *testing.T) {
	n := 0
	tmpl := template.Must(template.New("own").Funcs(template.FuncMap{"count": func() int { n++; return n }}).Parse(`{{count}} {{.Title}}`))
	r, err := New(Config{ErrorPage: "/ooops", LoginPage: "/login", Page: PageConfig{Template: tmpl}})
	require.NoError(t, err)
	assert.Nil(t, r.pages)
	before := n
	for range 3 {
		rec := httptest.NewRecorder()
		r.Page(rec, httptest.NewRequest(http.MethodGet, "/ooops", nil), http.StatusOK, codes.ServerError.Err())
	}
	assert.Equal(t, before+3, n)
}

// TestPage_Allocations: a page in German carrying a flow, once kept,
// allocates at most 20 times (the budget in BENCHMARKS.md); what it costs
// beside html/template is measured in bench/ (BenchmarkPage).
func TestPage_Allocations(t *testing.T) {
	r, err := New(Config{ErrorPage: "/ooops", LoginPage: "/login",
		Carry: []string{"response_type", "client_id", "redirect_uri", "state"},
		Page:  PageConfig{Home: "https://app.example/", Support: "mailto:help@example.com", LanguageQuery: "lang"}})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"+
		"&response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&state=xyz+1", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.8")
	e := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	w := &discard{h: http.Header{}}
	r.Page(w, req, http.StatusOK, e)
	allocs := testing.AllocsPerRun(200, func() {
		clear(w.h)
		r.Page(w, req, http.StatusOK, e)
	})
	assert.LessOrEqual(t, allocs, 20.0)
	t.Logf("%v allocations", allocs)
}

// TestLanguage_AcceptedValuesStayBounded: the record of Accept-Language
// values matched keeps at most its bound, and a value dropped from it is
// matched the same again.
func TestLanguage_AcceptedValuesStayBounded(t *testing.T) {
	r, err := New(Config{ErrorPage: "/ooops", LoginPage: "/login"})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/ooops", nil)
	for i := range 3 * maxAcceptedLanguages {
		lang := []string{"de", "fr;q=0.5", "ja"}[i%3]
		req.Header.Set("Accept-Language", lang+", x-"+strconv.Itoa(i)+";q=0.1")
		assert.Equal(t, lang[:2], r.Language(req))
		assert.LessOrEqual(t, len(r.catalog.accepted), maxAcceptedLanguages)
	}
}

// discard is a writer that keeps nothing but its header.
type discard struct{ h http.Header }

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }
func (w *discard) WriteHeader(int)             {}
