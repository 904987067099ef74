package authredirecttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// ErrNotContract is wrapped by the error of every check whose answer is not
// exactly the contract's; the error lists each deviation, expected and
// found.
var ErrNotContract = errors.New("authredirecttest: not the contract's answer")

// Check reports whether res is exactly the contract's answer for want, as
// the client received it, whatever the handler returned. The Kit's renderer
// is the reference: the terminal page in place when the request fetches the
// page want's family is sent to; the JSON answer on a JSON route (see
// [Kit.CheckJSON]); otherwise a 303 with exactly one Location that
// [Kit.CheckLocation] accepts, no-store, no-cache, no-referrer and no body.
// Each answer carries exactly the renderer's headers and none that moves or
// instructs the browser or describes a body (Refresh, Content-Location,
// Link, Content-*, ETag, ...) unless the renderer sets it; a JSON body gives
// no key twice; a carried parameter holds the served request's own value. A
// cut connection is no answer. want must be a contract error.
func (k *Kit) Check(res Result, want *codes.Error) error {
	switch {
	case !want.Code().Valid():
		return errors.New("authredirecttest: Check needs a contract error to expect")
	case res.req == nil:
		return errors.New("authredirecttest: Check needs a Result of the Kit's Serve")
	}
	var d deviations
	if res.Aborted {
		d.add("the connection was cut: the client received a broken response, not an answer")
		return d.err(res.req, want)
	}
	f := res.form
	if f == anyForm {
		f = redirectForm
		if isJSON(res.Header) {
			f = jsonForm
		}
	}
	k.compare(&d, res.req, k.expected(res.req, f, want), res.Status, res.Header, res.Body, want)
	return d.err(res.req, want)
}

// CheckJSON reports whether resp, received by an http.Client from a JSON
// route such as a token endpoint, is exactly the contract's JSON answer
// for want: the code's status, Content-Type: application/json,
// Cache-Control: no-store, Pragma: no-cache, the WWW-Authenticate of a 401
// and the Retry-After of a 503 as the Kit's renderer sends them (and
// neither otherwise), no Location nor other header Check refuses, and a
// JSON object that gives no key twice, with exactly the
// renderer's fields (error, error_description, and exception_details and
// entity_id when sent) and values. It reads resp.Body and leaves an
// equal one in its place.
func (k *Kit) CheckJSON(resp *http.Response, want *codes.Error) error {
	if !want.Code().Valid() {
		return errors.New("authredirecttest: CheckJSON needs a contract error to expect")
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	req := resp.Request
	if req == nil {
		req = httptest.NewRequest(http.MethodPost, "/", nil)
	}
	var d deviations
	if err != nil {
		d.add("the body could not be read: %v", err)
	}
	k.compare(&d, req, k.expected(req, jsonForm, want), resp.StatusCode, resp.Header, body, want)
	return d.err(req, want)
}

// CheckLocation reports whether location is exactly the Location the Kit's
// renderer sends for want: want's family's page (scheme, host and path
// as configured, its own query kept), then the code, the detail if any,
// and the entity id only where the renderer sends one (a valid id with
// unauthorized; see codes.Error.EntityID), spelled and escaped as the
// renderer spells them, and nothing more: no other host, no userinfo, no
// fragment, no other parameter (but the carried ones given to [New], after
// an authentication error's). The error says what was expected and what
// was found.
func (k *Kit) CheckLocation(location string, want *codes.Error) error {
	if !want.Code().Valid() {
		return errors.New("authredirecttest: CheckLocation needs a contract error to expect")
	}
	exp := k.r.Location(want)
	if why := k.locationDeviation(location, exp, want, nil); why != "" {
		return fmt.Errorf("%w: Location %q %s; want %q", ErrNotContract, location, why, exp)
	}
	return nil
}

// locationDeviation says how location differs from exp, the renderer's
// Location for want, as an answer to req (nil when unknown); "" when it
// does not.
func (k *Kit) locationDeviation(location, exp string, want *codes.Error, req *http.Request) string {
	if location == exp {
		return ""
	}
	if rest, ok := strings.CutPrefix(location, exp+"&"); ok && len(k.carry) > 0 && want.Code().Kind() == codes.Authentication {
		return k.carriedDeviation(rest, req)
	}
	u, err := url.Parse(location)
	switch {
	case err != nil:
		return "does not parse"
	case strings.Contains(location, "#"):
		return "has a fragment"
	case u.User != nil:
		return "has userinfo"
	}
	page, rawQuery, _ := strings.Cut(location, "?")
	expPage, expQuery, _ := strings.Cut(exp, "?")
	if page != expPage {
		return fmt.Sprintf("goes to %q, not to %s's page %q", page, want.Code().Kind(), expPage)
	}
	got, err := render.ParseQuery(rawQuery)
	if err != nil {
		return "carries no contract error the renderer sends (" + err.Error() + ")"
	}
	if g, w := wire(got), wire(want); g != w {
		return "carries " + g + ", want " + w
	}
	gotPairs, expPairs := strings.Split(rawQuery, "&"), strings.Split(expQuery, "&")
	extra := slices.DeleteFunc(slices.Clone(gotPairs), func(p string) bool { return slices.Contains(expPairs, p) })
	missing := slices.DeleteFunc(slices.Clone(expPairs), func(p string) bool { return slices.Contains(gotPairs, p) })
	if len(extra) > 0 || len(missing) > 0 {
		return fmt.Sprintf("has %q where the renderer sends %q", extra, missing)
	}
	return "has the renderer's parameters in another order or number"
}

// carriedDeviation says how the parameters after the contract's own
// (rest, without its leading '&') differ from carried ones: names given to
// New, each once, escaped as url.QueryEscape does, and, when req is known,
// each the request's own value as the renderer carries it (the query's
// one value of the name, at most render.MaxCarriedValue bytes of UTF-8).
func (k *Kit) carriedDeviation(rest string, req *http.Request) string {
	var query url.Values
	if req != nil {
		query, _ = url.ParseQuery(req.URL.RawQuery) // a query that does not parse carries nothing
	}
	var seen []string
	for pair := range strings.SplitSeq(rest, "&") {
		name, value, ok := strings.Cut(pair, "=")
		switch v, err := url.QueryUnescape(value); {
		case !ok:
			return fmt.Sprintf("carries %q, not name=value", pair)
		case !slices.Contains(k.carry, name):
			return fmt.Sprintf("carries %q, which is not one of the carried parameters %q", name, k.carry)
		case slices.Contains(seen, name):
			return fmt.Sprintf("carries %s twice", name)
		case err != nil || url.QueryEscape(v) != value:
			return fmt.Sprintf("carries %s=%s, not escaped as url.QueryEscape escapes it", name, value)
		case req != nil && !slices.Equal(query[name], []string{v}) || len(v) > render.MaxCarriedValue || !utf8.ValidString(v):
			return fmt.Sprintf("carries %s=%s, which is not the request's own single value of %s", name, value, name)
		}
		seen = append(seen, name)
	}
	return ""
}

// expected is the renderer's answer for want to req, in form f (never
// anyForm), or the terminal page when req fetches want's page.
func (k *Kit) expected(req *http.Request, f form, want *codes.Error) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	switch {
	case k.r.IsTarget(req, want.Code().Kind()):
		k.r.Page(rec, req, want.Code().HTTPStatus(), want)
	case f == jsonForm:
		k.r.JSON(rec, req, want)
	default:
		k.r.Redirect(rec, req, want)
	}
	return rec
}

// compare adds to d every way the received status, header and body differ
// from exp, the renderer's answer for want to req. Besides the renderer's
// own headers it compares those no answer of the renderer carries unless
// it sets them itself: Location, the challenges, and the headers that
// move or instruct the browser or describe a body (see navigation).
func (k *Kit) compare(d *deviations, req *http.Request, exp *httptest.ResponseRecorder, status int, header http.Header, body []byte, want *codes.Error) {
	if status != exp.Code {
		d.add("status: want %d, got %d", exp.Code, status)
	}
	expHeader := exp.Result().Header
	names := make([]string, 0, len(expHeader)+3)
	for name := range expHeader {
		names = append(names, name)
	}
	for _, name := range append([]string{"Location", "Www-Authenticate", "Retry-After"}, navigation...) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		got, exps := header.Values(name), expHeader.Values(name)
		switch {
		case len(exps) == 0 && len(got) > 0:
			d.add("%s: want none, got %q", name, got)
		case len(exps) == 0:
		case len(got) != 1:
			d.add("%s: want exactly one, %q, got %q", name, exps[0], got)
		case name == "Location":
			if why := k.locationDeviation(got[0], exps[0], want, req); why != "" {
				d.add("Location: %q %s; want %q", got[0], why, exps[0])
			}
		case got[0] != exps[0]:
			d.add("%s: want %q, got %q", name, exps[0], got[0])
		}
	}
	if isJSON(expHeader) && len(exp.Body.Bytes()) > 0 {
		compareJSON(d, exp.Body.Bytes(), body)
	} else if !bytes.Equal(body, exp.Body.Bytes()) {
		d.add("body: want %s, got %s", quoteBody(exp.Body.Bytes()), quoteBody(body))
	}
}

// navigation are the headers that move or instruct the browser (or a
// proxy in front), or describe a body, which the renderer drops from every
// error answer, as the render package documents: an answer that carries
// one the renderer did not set is refused. Content-Length and
// Content-Type are net/http's to set and compared otherwise.
var navigation = []string{
	"Refresh", "Content-Location", "Link", "X-Accel-Redirect", "X-Sendfile",
	"Content-Encoding", "Content-Range", "Content-Disposition", "Content-Language",
	"Etag", "Last-Modified",
}

// compareJSON adds to d every field of the JSON object got that differs
// from exp's, or is not in exp, and a key got gives twice in an object.
func compareJSON(d *deviations, exp, got []byte) {
	if key := duplicateKey(got); key != "" {
		d.add("body: the key %q is given twice (clients differ on which one they read)", key)
	}
	var e, g map[string]any
	if err := json.Unmarshal(exp, &e); err != nil {
		panic("authredirecttest: the renderer's JSON does not decode: " + err.Error())
	}
	if err := json.Unmarshal(got, &g); err != nil {
		d.add("body: want a JSON object %s, got %s (%v)", bytes.TrimSpace(exp), quoteBody(got), err)
		return
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for name := range e {
			if !yield(name) {
				return
			}
		}
		for name := range g {
			if _, ok := e[name]; !ok && !yield(name) {
				return
			}
		}
	}) {
		ev, inExp := e[name]
		gv, inGot := g[name]
		switch {
		case !inExp:
			d.add("body field %q: want none, got %#v", name, gv)
		case !inGot:
			d.add("body field %q: want %#v, got none", name, ev)
		case ev != gv:
			d.add("body field %q: want %#v, got %#v", name, ev, gv)
		}
	}
}

// duplicateKey returns the first key that the JSON text b gives twice in
// one object, at any depth, or "" (also when b is not JSON).
func duplicateKey(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	var value func() string
	value = func() string {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				key, _ := tok.(string)
				switch {
				case err != nil:
					return ""
				case seen[key]:
					return key
				}
				seen[key] = true
				if dup := value(); dup != "" {
					return dup
				}
			}
		case json.Delim('['):
			for dec.More() {
				if dup := value(); dup != "" {
					return dup
				}
			}
		}
		return ""
	}
	return value()
}

func isJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// quoteBody shows a body in a failure message, cut at 200 bytes.
func quoteBody(b []byte) string {
	if len(b) == 0 {
		return "none"
	}
	if len(b) > 200 {
		return fmt.Sprintf("%q… (%d bytes)", b[:200], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// deviations collects what a check found, to report all at once.
type deviations []string

func (d *deviations) add(format string, args ...any) { *d = append(*d, fmt.Sprintf(format, args...)) }

func (d deviations) err(req *http.Request, want *codes.Error) error {
	if len(d) == 0 {
		return nil
	}
	return fmt.Errorf("%w for %s (%s %s):\n\t%s", ErrNotContract, wire(want), req.Method, req.URL.RequestURI(), strings.Join(d, "\n\t"))
}

// wire describes an error by what the contract sends of it.
func wire(e *codes.Error) string {
	if !e.Code().Valid() {
		return "no contract error"
	}
	s := e.Code().Kind().Param() + "=" + e.Code().Name()
	if e.Detail().Valid() {
		s += " exception_details=" + e.Detail().Name()
	}
	if id := e.EntityID(); id != "" {
		s += " entity_id=" + id
	}
	return s
}

// isContractParam reports whether name is one of the contract's
// parameters: render's parser, which knows them, reads a query of it alone
// as something other than no error at all.
func isContractParam(name string) bool {
	_, err := render.ParseQuery(url.QueryEscape(name) + "=")
	return !errors.Is(err, render.ErrNoException)
}
