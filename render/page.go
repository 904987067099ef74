package render

import (
	"html/template"
	"net/http"

	"github.com/authredirect/authredirect/codes"
)

// PageData is what a terminal page shows of an error: the wire names and
// their descriptions, never the cause. Build it with [NewPageData] to feed
// your own html/template, as the example accounts server does for its
// login form.
type PageData struct {
	// Kind is "authorization" or "authentication"; "" when there is no error.
	Kind string
	// Code and CodeDescription name and explain the code.
	Code, CodeDescription string
	// Detail and DetailDescription name and explain the detail, if any.
	Detail, DetailDescription string
	// EntityID is the entity id the contract sends for the error, if any
	// (see codes.Error.SentEntityID).
	EntityID string
}

// NewPageData describes e for a page; a nil e gives the zero PageData.
func NewPageData(e *codes.Error) PageData {
	if e == nil || !e.Code().Valid() {
		return PageData{}
	}
	d := PageData{
		Kind:            e.Kind().String(),
		Code:            e.Code().Name(),
		CodeDescription: e.Code().Description(),
	}
	if e.Detail().Valid() {
		d.Detail = e.Detail().Name()
		d.DetailDescription = e.Detail().Description()
	}
	d.EntityID = e.SentEntityID()
	return d
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .Code}}Error: {{.Code}}{{else}}No error{{end}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}code{background:#eee;padding:0 .3em}</style>
</head>
<body>
<main>
{{- if .Code}}
<h1>Something went wrong</h1>
<p id="code">{{.Kind}} error <code>{{.Code}}</code>: {{.CodeDescription}}</p>
{{- if .Detail}}
<p id="detail">Detail <code>{{.Detail}}</code>: {{.DetailDescription}}</p>
{{- end}}
{{- if .EntityID}}
<p id="entity">Identity <code>{{.EntityID}}</code></p>
{{- end}}
{{- else}}
<h1>No error to show</h1>
<p>Nothing has gone wrong.</p>
{{- end}}
</main>
</body>
</html>
`))

// Page answers with a terminal HTML page describing e (see [PageData]) and
// the given status. It never redirects, so it is the answer when a redirect
// would loop: when the error page or the login page itself fails. Every
// value is escaped by html/template; the cause never appears. HEAD gets no
// body. A nil e renders a page saying there is no error. The page refuses
// framing (CSP frame-ancestors, and X-Frame-Options for older browsers). A
// 401 or 503 carries the same WWW-Authenticate or Retry-After as
// [Renderer.JSON], and the loop detail is spelled as in the redirect.
func (r *Renderer) Page(w http.ResponseWriter, req *http.Request, status int, e *codes.Error) {
	names := pageHeaders
	set, extra := r.statusHeader(names[:], status, e.Kind())
	setHeaders(w.Header(), set, "text/html; charset=utf-8", "no-store", "no-cache", "nosniff", "no-referrer",
		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", "DENY", extra)
	w.WriteHeader(status)
	if req.Method != http.MethodHead {
		d := NewPageData(e)
		if e.Detail().Valid() {
			d.Detail = r.cfg.detailName(e.Detail())
		}
		_ = pageTemplate.Execute(w, d)
	}
}
