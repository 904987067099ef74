package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/authredirect/authredirect/codes"
)

// PageConfig configures the pages people read: the terminal page and the
// words an application's own pages (such as a login form) take from
// [Renderer.PageData]. Every link comes from here, never from the request.
// The zero PageConfig serves the built-in catalogs and template, picks the
// language from Accept-Language only, and offers "try again" only.
type PageConfig struct {
	// Home is the way back offered on every page, such as the service's
	// or the client's home: an absolute http(s) URL with a host or an
	// absolute path, no userinfo. HomeName, if set, is shown as "Back to
	// HomeName" (printable, at most 100 bytes); otherwise the link reads
	// "Go to the home page". An empty Home offers none.
	Home, HomeName string

	// Support is a support contact offered on error pages: an http(s) URL,
	// an absolute path or a mailto: address. Empty offers none.
	Support string

	// LanguageQuery names a query parameter that picks the page's language
	// (such as "lang"), LanguageCookie a cookie; the query wins, then the
	// cookie, then Accept-Language. Empty reads none. A value that names
	// no served language is ignored.
	LanguageQuery, LanguageCookie string

	// DefaultLanguage is served when nothing the request asks for is; ""
	// is "en". It must have messages.
	DefaultLanguage string

	// Files adds languages and overrides messages: each "<tag>.json" at
	// its root (a flat JSON object of key → text, the file named by its
	// BCP 47 tag, such as "de.json" or "pt-BR.json") is merged over the
	// built-in catalog of that language, or adds the language, which must
	// then have every key of the built-in en.json. Keys of the application's own
	// (a login form's labels) are allowed when the default language has
	// them. A "page.html" at its root replaces the page template.
	Files fs.FS

	// Overrides are messages by language tag, then key, merged after
	// Files by the same rules.
	Overrides map[string]map[string]string

	// Template, if set, replaces the page template (and Files' page.html).
	// It is executed with a [PageData]; New runs it once for every code and
	// detail and refuses one that fails.
	Template *template.Template
}

// PageData is what a page shows of an error: words for people in the
// negotiated language, links from configuration, and the wire names (for
// a reference line and for the application's logic). It never holds the
// cause. Build it with [Renderer.PageData] (or [NewPageData]) to feed your
// own html/template, as the example accounts server does for its login
// form.
type PageData struct {
	// Kind is "authorization" or "authentication"; "" when there is no error.
	Kind string
	// Code names the code; CodeDescription is its developer description
	// (for logs; the built-in template does not show it).
	Code, CodeDescription string
	// Detail names the detail, if any, as the redirect spells it;
	// DetailDescription is its developer description.
	Detail, DetailDescription string
	// EntityID is the entity id the contract sends for the error, if any
	// (see codes.Error.EntityID). It is an internal identifier: the
	// built-in template never shows it; an application may map it to
	// something the person knows, such as their e-mail, to prefill a form.
	EntityID string

	// Lang is the BCP 47 tag of the language of the words below; pages
	// put it in <html lang>.
	Lang string
	// Title says what happened in a few words (the page's <title> and
	// heading), Text says it in a sentence, Action what to do next. A
	// detail's Text and Action replace the code's.
	Title, Text, Action string

	// TryAgain is where "try again" leads: the login page, with the flow
	// parameters of [Config.Carry] the request carries; "" with no error.
	TryAgain string
	// Home is [PageConfig.Home], HomeText its link text in Lang.
	Home, HomeText string
	// Support is [PageConfig.Support].
	Support string

	cat  *catalog
	lang int
}

// T is the message key in the page's language, falling back to the
// default language; "" for a key neither has. Templates call it as
// {{.T "page.try_again"}}.
func (d PageData) T(key string) string {
	if d.cat == nil {
		return builtinCatalog().text(0, key)
	}
	return d.cat.text(d.lang, key)
}

// builtinCatalog is the built-in catalogs alone, English first, for
// [NewPageData], which has no renderer.
var builtinCatalog = sync.OnceValue(func() *catalog {
	c, err := newCatalog(nil, nil, defaultLanguage)
	if err != nil {
		panic(err) // the built-in catalogs are complete: a test checks
	}
	return c
})

// NewPageData describes e for a page in English with the built-in
// messages and no links; a nil e gives the words for "no error".
// [Renderer.PageData] negotiates the language and adds the links.
func NewPageData(e *codes.Error) PageData {
	return describe(builtinCatalog(), 0, e, codes.Detail.Name)
}

// describe fills the words of language i of cat for e; spell names a detail.
func describe(cat *catalog, i int, e *codes.Error, spell func(codes.Detail) string) PageData {
	d := PageData{cat: cat, lang: i, Lang: cat.names[i]}
	if e == nil || !e.Code().Valid() {
		d.Title, d.Text = cat.text(i, "page.none.title"), cat.text(i, "page.none.text")
		return d
	}
	c := e.Code()
	d.Kind, d.Code, d.CodeDescription = c.Kind().String(), c.Name(), c.Description()
	k := codeKey(c)
	d.Title, d.Text, d.Action = cat.text(i, k+".title"), cat.text(i, k+".text"), cat.text(i, k+".action")
	if det := e.Detail(); det.Valid() {
		d.Detail, d.DetailDescription = spell(det), det.Description()
		k := detailKey(det)
		d.Text, d.Action = cat.text(i, k+".text"), cat.text(i, k+".action")
	}
	d.EntityID = e.EntityID()
	return d
}

// PageData describes e for a page answering req: in the language
// negotiated for req (its Accept-Language, or the query parameter or
// cookie [PageConfig] names), with the links of [PageConfig]; a nil e
// gives the words for "no error" and no "try again".
func (r *Renderer) PageData(req *http.Request, e *codes.Error) PageData {
	return r.pageData(r.languageIndex(req), e, r.CarriedQuery(req))
}

// pageData is [Renderer.PageData] in language i with the carried query q.
func (r *Renderer) pageData(i int, e *codes.Error, q string) PageData {
	d := describe(r.catalog, i, e, r.cfg.detailName)
	if d.Code != "" {
		d.TryAgain = r.cfg.LoginPage
		if q != "" {
			d.TryAgain = joinQuery(r.cfg.LoginPage, q)
		}
		d.Support = r.cfg.Page.Support
	}
	if d.Home = r.cfg.Page.Home; d.Home != "" {
		d.HomeText = r.catalog.text(i, "page.home")
		if name := r.cfg.Page.HomeName; name != "" {
			d.HomeText = strings.ReplaceAll(r.catalog.text(i, "page.home_named"), "{name}", name)
		}
	}
	return d
}

// joinQuery appends the encoded query q to the URL u, which may have one.
func joinQuery(u, q string) string {
	switch {
	case !strings.Contains(u, "?"):
		return u + "?" + q
	case strings.HasSuffix(u, "?"), strings.HasSuffix(u, "&"):
		return u + q
	}
	return u + "&" + q
}

//go:embed page.html
var pageHTML string

// pageTemplate is the built-in page: the error as an alert, the ways
// forward, a reference line; no script, readable at 320 px.
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Page answers with a terminal HTML page describing e ([Renderer.PageData]
// for req and e) and the given status. It never redirects, so it is the
// answer when a redirect would loop: when the error page or the login page
// itself fails. Every value is escaped by html/template; the cause never
// appears. HEAD gets no body. A nil e renders a page saying there is no
// error. Content-Language names the language served. The page refuses
// framing (CSP frame-ancestors, and X-Frame-Options for older browsers). A
// 401 or 503 carries the same WWW-Authenticate or Retry-After as
// [Renderer.JSON], and the loop detail is spelled as in the redirect.
//
// The built-in template's page is rendered once per code, detail and
// language and kept (see pageCache); an application's template is
// executed for every page.
func (r *Renderer) Page(w http.ResponseWriter, req *http.Request, status int, e *codes.Error) {
	i := r.languageIndex(req)
	names := pageHeaders
	set, extra := r.statusHeader(names[:], status, e.Code().Kind())
	setHeaders(w.Header(), set, "text/html; charset=utf-8", "no-store", "no-cache", "nosniff", "no-referrer",
		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", "DENY", r.catalog.names[i], extra)
	if req.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	if r.pages != nil {
		if p, ok := r.pages.get(r, i, e); ok {
			w.WriteHeader(status)
			p.write(w, r, req)
			return
		}
	}
	r.executePage(w, req, status, i, e)
}

// executePage writes the page of e in language i with the template
// executed for this request. A function of its own, so that the kept
// pages' path has a small stack frame: HTTP/2 serves each request on a new
// goroutine, whose stack grows by copying.
func (r *Renderer) executePage(w http.ResponseWriter, req *http.Request, status, i int, e *codes.Error) {
	var body strings.Builder
	d := r.pageData(i, e, r.CarriedQuery(req))
	if err := r.template.Execute(&body, d); err != nil {
		// An application template that New's dry run did not catch:
		// the built-in page says the same.
		body.Reset()
		_ = pageTemplate.Execute(&body, d)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body.String())
}

// people is what the renderer needs for pages and the carried flow; New
// fills it from the configuration ([PageConfig] and [Config.Carry]).
type people struct {
	catalog  *catalog
	template *template.Template
	pages    *pageCache // the built-in template's pages; nil for an application's
	carry    []string   // Config.Carry, validated
}

func (p *people) init(cfg Config) error {
	pc := cfg.Page
	if err := checkLink("PageConfig.Home", pc.Home, false); err != nil {
		return err
	}
	if err := checkLink("PageConfig.Support", pc.Support, true); err != nil {
		return err
	}
	if len(pc.HomeName) > 100 || !printable(pc.HomeName) {
		return fmt.Errorf("%w: PageConfig.HomeName is longer than 100 bytes or not printable", ErrConfig)
	}
	for _, name := range []string{pc.LanguageQuery, pc.LanguageCookie} {
		if name != "" && !validParamName(name) {
			return fmt.Errorf("%w: PageConfig language parameter or cookie name %q: use letters, digits, '_', '-' or '.'", ErrConfig, name)
		}
	}
	def := pc.DefaultLanguage
	if def == "" {
		def = defaultLanguage
	}
	var err error
	if p.catalog, err = newCatalog(pc.Files, pc.Overrides, def); err != nil {
		return err
	}
	p.template = pageTemplate
	if pc.Files != nil {
		if src, err := fs.ReadFile(pc.Files, "page.html"); err == nil {
			if p.template, err = template.New("page").Parse(string(src)); err != nil {
				return fmt.Errorf("%w: PageConfig.Files page.html: %v", ErrConfig, err)
			}
		}
	}
	if pc.Template != nil {
		p.template = pc.Template
	}
	if p.template == pageTemplate {
		p.pages = newPageCache(cfg.LoginPage)
	}
	if p.carry, err = checkCarry(cfg.Carry, cfg.CarryRefused, cfg.LoginPage); err != nil {
		return err
	}
	return nil
}

// dryRun executes the renderer's template for every code × detail and for
// no error, in the default language, and reports the first failure.
func (r *Renderer) dryRun() error {
	if r.template == pageTemplate {
		return nil // the built-in template: its tests run it
	}
	errs := []*codes.Error{nil}
	for _, c := range codes.All() {
		errs = append(errs, c.Err())
		for _, d := range codes.Details() {
			errs = append(errs, c.With(d))
		}
	}
	for _, e := range errs {
		if err := r.template.Execute(io.Discard, r.PageData(nil, e)); err != nil {
			return fmt.Errorf("%w: the page template fails: %v", ErrConfig, err)
		}
	}
	return nil
}

// checkLink reports whether raw may be a link of the page: empty, or a
// link parseLink accepts.
func checkLink(field, raw string, mail bool) error {
	if raw == "" {
		return nil
	}
	if _, why := parseLink(raw, mail); why != "" {
		return fmt.Errorf("%w: %s %q %s", ErrConfig, field, raw, why)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\uFFFD' {
			return false
		}
	}
	return true
}
