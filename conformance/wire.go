package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// outcome is what one row found, for its contract row and its strict row.
type outcome struct {
	expected, received string
	wire               string
	problems           []string
	skip               string

	strict                     bool // a strict row goes with it
	strictExpected, strictSkip string
	strictProblems             []string
}

// expect says what a redirect may carry besides the expected error.
type expect struct {
	carry   bool     // the request's own query parameters may come back (login page)
	entity  bool     // a valid entity_id may come with unauthorized
	anyCode bool     // any authorization code, the detail decides
	probes  []string // values of the request the body must not reflect
}

// navigation are headers that send a browser elsewhere besides Location.
var navigation = []string{"Refresh", "Link", "Content-Location"}

const (
	strictRedirect = "303 See Other, Cache-Control: no-store, Pragma: no-cache, Referrer-Policy: no-referrer, no Refresh/Link/Content-Location, the request not reflected"
	strictJSON     = "Cache-Control: no-store, Pragma: no-cache, no Refresh/Link/Content-Location, the request not reflected, no duplicate JSON keys"
)

// names are the wire names of the contract's parameters after the code's
// (exception_details, entity_id), as the renderer spells them.
func (c *checker) names() (detail, entity string) {
	loc := c.spell.Location(codes.Unauthorized.With(codes.ClientIDNotFound).WithEntityID("e"))
	pairs := strings.Split(loc[strings.LastIndexByte(loc, '?')+1:], "&")
	n := len(pairs)
	detail, _, _ = strings.Cut(pairs[n-2], "=")
	entity, _, _ = strings.Cut(pairs[n-1], "=")
	return detail, entity
}

// redirect checks a redirect for want on the wire.
func (c *checker) redirect(a *answer, want *codes.Error, x expect) outcome {
	detailName, entityName := c.names()
	wantLoc, _ := url.Parse(c.spell.Location(want))
	o := outcome{strict: true, strictExpected: strictRedirect, received: c.summary(a),
		expected: "a redirect to " + c.short(wantLoc.String())}
	if x.anyCode {
		o.expected += " (any " + want.Code().Kind().Param() + ")"
	}
	if x.entity {
		o.expected += " (" + entityName + " allowed)"
	}
	if x.carry {
		o.expected += " (the request's own parameters may follow)"
	}
	if !isRedirect(a.status) {
		o.problems = append(o.problems, fmt.Sprintf("status %d is not a redirect", a.status))
	}
	locs := a.header.Values("Location")
	if len(locs) != 1 {
		o.problems = append(o.problems, fmt.Sprintf("%d Location headers, not 1", len(locs)))
	}
	if len(locs) > 0 {
		o.problems = append(o.problems, c.location(a, locs[0], wantLoc, want, x, detailName, entityName)...)
		if u, err := a.req.URL.Parse(locs[0]); err == nil {
			q, _ := url.ParseQuery(u.RawQuery)
			o.wire = wire(a.status, q, codes.Authorization.Param(), codes.Authentication.Param(), detailName)
		}
	}
	if !strings.Contains(o.wire, "=") {
		// Not an error answer: the contract row says so, the policy has
		// nothing to check.
		o.strictSkip = "no error answer to check (see the contract row)"
	}
	if a.status != http.StatusSeeOther {
		o.strictProblems = append(o.strictProblems, fmt.Sprintf("status %d, not 303", a.status))
	}
	if !hasToken(a.header, "Referrer-Policy", "no-referrer") {
		o.strictProblems = append(o.strictProblems, "no Referrer-Policy: no-referrer")
	}
	o.strictProblems = append(o.strictProblems, c.policy(a, x.probes)...)
	return o
}

// location checks one Location against the expected one.
func (c *checker) location(a *answer, raw string, wantLoc *url.URL, want *codes.Error, x expect, detailName, entityName string) []string {
	var problems []string
	got, err := a.req.URL.Parse(raw)
	if err != nil {
		return []string{"the Location does not parse"}
	}
	if got.Scheme+"://"+got.Host != c.cfg.BaseURL {
		problems = append(problems, "the Location leaves "+c.base.Host+" for "+got.Scheme+"://"+got.Host)
	}
	if got.Path != wantLoc.Path {
		problems = append(problems, fmt.Sprintf("lands on %q, not on %q", got.Path, wantLoc.Path))
	}
	gq, err := url.ParseQuery(got.RawQuery)
	if err != nil {
		return append(problems, "the Location's query does not parse")
	}
	if _, err := render.ParseQuery(got.RawQuery); err == render.ErrNoException {
		return append(problems, "not an error: no "+want.Code().Kind().Param())
	} else if err != nil {
		problems = append(problems, err.Error())
	}
	wq, _ := url.ParseQuery(wantLoc.RawQuery)
	sent, _ := url.ParseQuery(a.req.URL.RawQuery)
	for name, wv := range wq {
		gv := gq[name]
		switch {
		case len(gv) == 0:
			problems = append(problems, "no "+name)
		case len(gv) > 1:
			problems = append(problems, fmt.Sprintf("%s given %d times", name, len(gv)))
		case name == detailName && want.Detail() == codes.TooManyRedirects:
			if !c.loopSpelling(gv[0]) {
				problems = append(problems, fmt.Sprintf("%s=%s, not %s", name, gv[0], c.spelling()))
			}
		case gv[0] == wv[0]:
		case x.anyCode && name == want.Code().Kind().Param() && validCode(want.Code().Kind(), gv[0]):
		default:
			problems = append(problems, fmt.Sprintf("%s=%s, not %s", name, gv[0], wv[0]))
		}
	}
	for name, gv := range gq {
		switch {
		case wq.Has(name):
		case name == entityName && x.entity && want.Code() == codes.Unauthorized:
			if len(gv) != 1 || codes.Unauthorized.WithEntityID(gv[0]).EntityID() != gv[0] {
				problems = append(problems, name+" is not one valid identifier")
			}
		case x.carry && len(gv) == 1 && len(sent[name]) == 1 && sent[name][0] == gv[0]:
			// the request's own parameter carried back to the login page
		default:
			problems = append(problems, "extra parameter "+name)
		}
	}
	return problems
}

// clientExtra are the parameters an error redirect to the client may carry
// besides error and state: RFC 6749 §4.1.2.1's error_description and
// error_uri, RFC 9207's iss, OpenID Connect Session Management's
// session_state.
var clientExtra = []string{"error_description", "error_uri", "iss", "session_state"}

// clientRedirect checks a redirect of error code to the configured
// redirect_uri, with the request's state, as spec says.
func (c *checker) clientRedirect(a *answer, code, spec string) outcome {
	detailName, _ := c.names()
	cb, err := url.Parse(c.cfg.RedirectURI)
	if err != nil {
		return outcome{skip: "the redirect URI (-redirect-uri) does not parse", strict: true}
	}
	target := cb.Scheme + "://" + cb.Host + cb.Path
	o := outcome{strict: true, strictExpected: strictRedirect, received: c.summary(a),
		expected: fmt.Sprintf("a redirect to the client's %s with error=%s and state=%s (%s)", target, code, state, spec)}
	if !isRedirect(a.status) {
		o.problems = append(o.problems, fmt.Sprintf("status %d is not a redirect", a.status))
	}
	locs := a.header.Values("Location")
	if len(locs) != 1 {
		o.problems = append(o.problems, fmt.Sprintf("%d Location headers, not 1", len(locs)))
	}
	if len(locs) > 0 {
		got, err := a.req.URL.Parse(locs[0])
		if err != nil {
			o.problems = append(o.problems, "the Location does not parse")
		} else {
			q, err := url.ParseQuery(got.RawQuery)
			if err != nil {
				o.problems = append(o.problems, "the Location's query does not parse")
			}
			o.wire = wire(a.status, q, "error", codes.Authorization.Param(), codes.Authentication.Param(), detailName)
			if got.Scheme+"://"+got.Host+got.Path != target {
				o.problems = append(o.problems, "lands on "+c.short(got.Scheme+"://"+got.Host+got.Path)+", not on the client's "+target)
			}
			o.problems = append(o.problems, clientQuery(q, cb.Query(), url.Values{"error": {code}, "state": {state}})...)
		}
	}
	if !strings.Contains(o.wire, "=") {
		o.strictSkip = "no error answer to check (see the contract row)"
	}
	if a.status != http.StatusSeeOther {
		o.strictProblems = append(o.strictProblems, fmt.Sprintf("status %d, not 303", a.status))
	}
	if !hasToken(a.header, "Referrer-Policy", "no-referrer") {
		o.strictProblems = append(o.strictProblems, "no Referrer-Policy: no-referrer")
	}
	o.strictProblems = append(o.strictProblems, c.policy(a, []string{state})...)
	return o
}

// clientQuery checks the query of a redirect to the client: each of want
// once with its value, the redirect_uri's own parameters kept, and
// nothing else but clientExtra.
func clientQuery(got, own, want url.Values) []string {
	var problems []string
	for _, name := range []string{"error", "state"} {
		switch gv := got[name]; {
		case len(gv) == 0:
			problems = append(problems, "no "+name)
		case len(gv) > 1:
			problems = append(problems, fmt.Sprintf("%s given %d times", name, len(gv)))
		case gv[0] != want.Get(name):
			problems = append(problems, fmt.Sprintf("%s=%s, not %s", name, gv[0], want.Get(name)))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(own)) {
		if !slices.Equal(got[name], own[name]) {
			problems = append(problems, "the redirect_uri's own parameter "+name+" not kept")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if !want.Has(name) && !own.Has(name) && !slices.Contains(clientExtra, name) {
			problems = append(problems, "extra parameter "+name)
		}
	}
	return problems
}

// json checks a JSON error answer for want: RFC 6749 §5.2's status
// (400, or 401 for invalid_client), content type and error field, and the
// contract's exception_details.
func (c *checker) json(a *answer, want *codes.Error, probes []string) outcome {
	detailName, _ := c.names()
	status := want.Code().HTTPStatus()
	exp := fmt.Sprintf(`%d application/json {"error":%q`, status, want.Code().Name())
	if want.Detail().Valid() {
		exp += fmt.Sprintf(`,%q:%q`, detailName, want.Detail().Name())
	}
	o := outcome{strict: true, strictExpected: strictJSON, received: c.summary(a), expected: exp + "}"}
	var body map[string]any
	if err := json.Unmarshal(a.body, &body); err != nil {
		o.problems = append(o.problems, "the body is not a JSON object")
	}
	o.wire = wire(a.status, flat(body), "error", detailName)
	got, _ := body["error"].(string)
	gotCode, _ := codes.Parse(codes.Authorization, got)
	ok := a.status == status || (gotCode == codes.InvalidClient && a.status == http.StatusBadRequest)
	if !ok {
		o.problems = append(o.problems, fmt.Sprintf("status %d, not %d", a.status, status))
	}
	if mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type")); err != nil || mt != "application/json" {
		o.problems = append(o.problems, "Content-Type is not application/json")
	}
	if got != want.Code().Name() {
		o.problems = append(o.problems, fmt.Sprintf("error %q, not %q", got, want.Code().Name()))
	}
	d, has := body[detailName]
	switch {
	case want.Detail().Valid() && !has:
		o.problems = append(o.problems, "no "+detailName)
	case want.Detail().Valid() && d != want.Detail().Name():
		o.problems = append(o.problems, fmt.Sprintf("%s %v, not %q", detailName, d, want.Detail().Name()))
	case !want.Detail().Valid() && has:
		o.problems = append(o.problems, fmt.Sprintf("%s %v, expected none", detailName, d))
	}
	if got == "" {
		o.strictSkip = "no error answer to check (see the contract row)"
	}
	o.strictProblems = append(o.strictProblems, c.policy(a, probes)...)
	if k := duplicateKey(a.body); k != "" {
		o.strictProblems = append(o.strictProblems, "duplicate JSON key "+k)
	}
	return o
}

// policy checks the strict headers every error answer shares, and that
// the body reflects none of the request's values.
func (c *checker) policy(a *answer, probes []string) []string {
	var problems []string
	if !hasToken(a.header, "Cache-Control", "no-store") {
		problems = append(problems, "no Cache-Control: no-store")
	}
	if !hasToken(a.header, "Pragma", "no-cache") {
		problems = append(problems, "no Pragma: no-cache")
	}
	for _, h := range navigation {
		if len(a.header.Values(h)) > 0 {
			problems = append(problems, "a "+h+" header")
		}
	}
	for _, p := range probes {
		if bytes.Contains(a.body, []byte(p)) || bytes.Contains(a.body, []byte(url.QueryEscape(p))) {
			problems = append(problems, "the body reflects "+p)
		}
	}
	return problems
}

// accepted checks that a valid authorization request was not refused.
func (c *checker) accepted(a *answer) outcome {
	o := outcome{expected: "not refused: a sign-in screen or a redirect that is not an error", received: c.summary(a)}
	if a.status >= 400 {
		o.problems = append(o.problems, fmt.Sprintf("refused with status %d", a.status))
	}
	for _, raw := range a.header.Values("Location") {
		if e, err := parseLocation(raw); err == nil {
			o.problems = append(o.problems, "refused with "+e.Code().Kind().Param()+"="+e.Code().Name())
		}
	}
	return o
}

// onHost checks that nothing in the answer sends the browser off the
// base's host: a Location or a Refresh header, resolved against the
// base, never the request's hostile Host.
func (c *checker) onHost(a *answer) outcome {
	o := outcome{expected: "no redirect off " + c.base.Host, received: c.summary(a)}
	base := *c.base
	base.Path, base.RawQuery = a.req.URL.Path, a.req.URL.RawQuery
	targets := a.header.Values("Location")
	if len(targets) == 1 {
		// What came back, for comparing services: the row itself
		// checks only where it sends the browser.
		if u, err := base.Parse(targets[0]); err == nil {
			detailName, _ := c.names()
			q, _ := url.ParseQuery(u.RawQuery)
			o.wire = wire(a.status, q, codes.Authorization.Param(), codes.Authentication.Param(), detailName)
		}
	}
	for _, r := range a.header.Values("Refresh") {
		if _, u, ok := strings.Cut(strings.ToLower(r), "url="); ok {
			targets = append(targets, strings.Trim(r[len(r)-len(u):], `'" `))
		}
	}
	for _, t := range targets {
		u, err := base.Parse(strings.TrimSpace(t))
		switch {
		case err != nil:
			o.problems = append(o.problems, "a redirect target that does not parse")
		case u.Scheme+"://"+u.Host != c.cfg.BaseURL:
			o.problems = append(o.problems, "leaves "+c.base.Host+" for "+u.Scheme+"://"+u.Host)
		}
	}
	return o
}

// loopStopped reports whether a is the loop detail on a redirect.
func (c *checker) loopStopped(a *answer) bool {
	e, err := parseLocation(a.header.Get("Location"))
	return err == nil && e.Detail() == codes.TooManyRedirects
}

// loopSpelling reports whether v spells the loop detail as accepted.
func (c *checker) loopSpelling(v string) bool {
	d, err := codes.ParseDetail(v)
	if err != nil || d != codes.TooManyRedirects {
		return false
	}
	return c.cfg.LoopSpelling == "any" || v == c.cfg.LoopSpelling
}

// spelling is the accepted spelling of the loop detail, in words.
func (c *checker) spelling() string {
	if c.cfg.LoopSpelling == "any" {
		return "to_many_redirects or too_many_redirects"
	}
	return c.cfg.LoopSpelling
}

// summary is an answer in one line: its status and Location, or its
// status, content type and the start of its body.
func (c *checker) summary(a *answer) string {
	if locs := a.header.Values("Location"); len(locs) > 0 {
		return fmt.Sprintf("%d Location: %s", a.status, c.short(strings.Join(locs, ", ")))
	}
	body := strings.Join(strings.Fields(string(a.body)), " ")
	if len(body) > 160 {
		cut := 160
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut] + "…"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s %s", a.status, a.header.Get("Content-Type"), body))
}

// short drops the base from a URL on it.
func (c *checker) short(u string) string {
	if s, ok := strings.CutPrefix(u, c.cfg.BaseURL); ok && strings.HasPrefix(s, "/") {
		return s
	}
	return u
}

// wire is the status and the named parameters of q that are there, in
// the order named.
func wire(status int, q url.Values, names ...string) string {
	s := fmt.Sprint(status)
	sep := " "
	for _, n := range names {
		for _, v := range q[n] {
			s += sep + n + "=" + v
			sep = "&"
		}
	}
	return s
}

// flat is a JSON object's string fields as values.
func flat(body map[string]any) url.Values {
	q := url.Values{}
	for k, v := range body {
		if s, ok := v.(string); ok {
			q.Set(k, s)
		}
	}
	return q
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func validCode(k codes.Kind, name string) bool {
	_, err := codes.Parse(k, name)
	return err == nil
}

// hasToken reports whether a comma-separated header holds token.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// duplicateKey returns a key that an object of the JSON body holds twice,
// or "".
func duplicateKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys  map[string]bool
		isObj bool
		key   bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, isObj: true, key: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.isObj && top.key {
				if top.keys[t] {
					return t
				}
				top.keys[t] = true
				top.key = false
				continue
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].isObj {
			stack[len(stack)-1].key = true
		}
	}
}

// parseLocation reads the contract's error out of a Location.
func parseLocation(location string) (*codes.Error, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	return render.ParseQuery(u.RawQuery)
}
