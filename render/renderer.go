package render

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authredirect/authredirect/codes"
)

// Renderer writes contract answers. It is immutable and safe for concurrent
// use; everything that does not depend on the request (every Location and
// JSON body for each code × detail) is built once, in [New], and each page
// of the built-in template once, on first use (a bounded number are kept).
type Renderer struct {
	cfg     Config
	targets [3]target // indexed by codes.Kind
	// answers is indexed by the code's place in allCodes, then the
	// detail's in allDetails: a scan of the few codes and details finds
	// them sooner than a map hashes the pair (BenchmarkRedirect).
	answers [][]answer
	// 401 and 503 extras, built once.
	basicChallenge, bearerChallenge, retryAfter string

	people // pages and the carried flow (page.go, carry.go)
}

// pair is a code and a detail (the zero Detail for none).
type pair struct {
	code   codes.Code
	detail codes.Detail
}

// answer is what the renderer writes for one code × detail without an
// entity id; built once, copied into each response's own header values.
type answer struct {
	location string
	json     []byte
}

// New validates cfg and builds a Renderer. Every problem is an error
// wrapping [ErrConfig]; New never panics.
func New(cfg Config) (*Renderer, error) {
	cfg = cfg.withDefaults()
	r := &Renderer{cfg: cfg}
	var err error
	if r.targets[codes.Authorization], err = parseTarget(cfg.ErrorPage); err != nil {
		return nil, fmt.Errorf("error page: %w", err)
	}
	if r.targets[codes.Authentication], err = parseTarget(cfg.LoginPage); err != nil {
		return nil, fmt.Errorf("login page: %w", err)
	}
	if !validRealm(cfg.Realm) {
		return nil, fmt.Errorf("%w: realm %q has a quote, backslash or control character", ErrConfig, cfg.Realm)
	}
	if cfg.RetryAfter < time.Second {
		return nil, fmt.Errorf("%w: RetryAfter %v is less than a second", ErrConfig, cfg.RetryAfter)
	}
	if err := r.people.init(cfg); err != nil {
		return nil, err
	}
	if err := r.dryRun(); err != nil {
		return nil, err
	}
	r.basicChallenge = `Basic realm="` + cfg.Realm + `"`
	r.bearerChallenge = `Bearer realm="` + cfg.Realm + `"`
	r.retryAfter = strconv.Itoa(int(cfg.RetryAfter / time.Second))

	r.answers = make([][]answer, len(allCodes))
	for i, c := range allCodes {
		r.answers[i] = make([]answer, len(allDetails))
		for j, d := range allDetails {
			body, err := json.Marshal(r.jsonBody(c.With(d)))
			if err != nil {
				return nil, err // cannot happen: strings only
			}
			r.answers[i][j] = answer{location: r.location(c, d), json: append(body, '\n')}
		}
	}
	return r, nil
}

// allCodes and allDetails are the codes and details answers are built
// for, the zero Detail (none) among the details.
var (
	allCodes   = codes.All()
	allDetails = append(codes.Details(), codes.Detail{})
)

// IsTarget reports whether req fetches the page that errors of family k are
// sent to, so that a failure there must not redirect (it would loop): a GET
// or HEAD of the target's path. Only the path is compared, so that a proxy
// that rewrites the Host cannot hide a real loop. It is the path the client
// asked for (req.RequestURI's), which http.StripPrefix and routers leave
// as it came; req.URL.Path only for a request made in code, which has no
// RequestURI. Any other method on that path, such as the login form's POST
// to the login page, is not a fetch of the page and is redirected like any
// other request.
func (r *Renderer) IsTarget(req *http.Request, k codes.Kind) bool {
	return k.Valid() && (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		requestPath(req) == r.targets[k].path
}

// requestPath is the unescaped path the client asked for ("/" when a
// request for a host names no path), or "" when it names none ("*").
func requestPath(req *http.Request) string {
	uri := req.RequestURI
	if uri == "" || uri[0] != '/' {
		// A request made in code, or the absolute form (sent to proxies)
		// or "*": rare, so net/url says what net/http made of it, even at
		// an allocation.
		u := req.URL
		if uri != "" {
			var err error
			if u, err = url.ParseRequestURI(uri); err != nil {
				return ""
			}
		}
		switch {
		case u == nil:
			return ""
		case u.Path == "" && u.Host != "":
			return "/"
		case !strings.HasPrefix(u.Path, "/"):
			return ""
		}
		return u.Path
	}
	uri, _, _ = strings.Cut(uri, "?") // the origin form: the common case
	if strings.IndexByte(uri, '%') >= 0 {
		p, err := url.PathUnescape(uri)
		if err != nil {
			return ""
		}
		return p
	}
	return uri
}

// location builds the Location of a code × detail; New calls it once for
// each, and Location appends an entity id to the result.
func (r *Renderer) location(c codes.Code, d codes.Detail) string {
	k := c.Kind()
	s := r.targets[k].prefix + k.Param() + "=" + c.Name()
	if d.Valid() {
		s += "&exception_details=" + r.cfg.detailName(d)
	}
	return s
}

// answer is what is built for e's code and detail; e must be valid.
func (r *Renderer) answer(e *codes.Error) answer {
	return r.answers[slices.Index(allCodes, e.Code())][slices.Index(allDetails, e.Detail())]
}

// Location is where a redirect for e points: the family's target, its own
// query kept, then code, exception_details and entity_id in that order.
// It is "" when e is nil or has no valid code.
func (r *Renderer) Location(e *codes.Error) string {
	if e == nil || !e.Code().Valid() {
		return ""
	}
	loc := r.answer(e).location
	if id := e.EntityID(); id != "" {
		return loc + "&entity_id=" + id
	}
	return loc
}

// Header names of each answer, in the order of the values passed to
// setHeaders. The values themselves are new for every answer.
var (
	redirectHeaders = []string{"Location", "Cache-Control", "Pragma", "Referrer-Policy"}
	// The last name of these is the status header's (see statusHeader).
	jsonHeaders = [...]string{"Content-Type", "Cache-Control", "Pragma", "X-Content-Type-Options", ""}
	pageHeaders = [...]string{"Content-Type", "Cache-Control", "Pragma", "X-Content-Type-Options", "Referrer-Policy",
		"Content-Security-Policy", "X-Frame-Options", "Content-Language", ""}
)

// statusHeader puts the one header that status needs, if any, in the last
// slot of names and returns the names to set and that header's value: a
// 401 challenges (Basic for an authorization error, which can only be
// invalid_client, as client authentication is Basic; Bearer otherwise, so
// that browsers show no password prompt), a 503 says when to retry.
func (r *Renderer) statusHeader(names []string, status int, k codes.Kind) ([]string, string) {
	last := len(names) - 1
	switch {
	case status == http.StatusUnauthorized && k == codes.Authorization:
		names[last] = "Www-Authenticate"
		return names, r.basicChallenge
	case status == http.StatusUnauthorized:
		names[last] = "Www-Authenticate"
		return names, r.bearerChallenge
	case status == http.StatusServiceUnavailable:
		names[last] = "Retry-After"
		return names, r.retryAfter
	}
	return names[:last], ""
}

// setHeaders drops bodyHeaders (a Location among them: only a redirect
// has one, its own) and the answer's own names, whatever the case of their keys, and sets names[i] to values[i].
// The values share one new backing array, so each answer owns its header
// values (a wrapper that edits one in place cannot reach another answer)
// for a single allocation.
func setHeaders(h http.Header, names []string, values ...string) {
	// A key set straight into the map ("location") is sent as it is,
	// beside the canonical one: every key is compared, not looked up.
	// Most handlers set nothing before failing: no loop to start then.
	if len(h) > 0 {
		for key := range h {
			if slices.ContainsFunc(bodyHeaders, func(n string) bool { return strings.EqualFold(key, n) }) ||
				slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(key, n) }) {
				delete(h, key)
			}
		}
	}
	for i, name := range names {
		h[name] = values[i : i+1 : i+1]
	}
}

// bodyHeaders are the headers no error answer keeps from a failed
// handler, whatever set them: those that move or instruct the browser or
// a proxy in front (Location, Refresh, Content-Location, Link, and the
// proxies' X-Accel-Redirect and X-Sendfile, which replace the body), and
// those that describe a body the handler meant to send. The answer's own
// values of them are set afresh. Every other header stays: those set above
// the route for every response (HSTS, CORS, tracing) and Set-Cookie.
var bodyHeaders = []string{
	"Location", "Refresh", "Content-Location", "Link", "X-Accel-Redirect", "X-Sendfile",
	"Content-Length", "Content-Encoding", "Content-Type", "Content-Range", "Content-Disposition",
	"Content-Language", "Content-Md5", "Content-Digest", "Repr-Digest", "Digest", "Etag",
	"Last-Modified", "Accept-Ranges", "Trailer", "Transfer-Encoding",
}

// Redirect answers with 303 See Other to [Renderer.Location] of e (for an
// authentication error followed by req's [Renderer.CarriedQuery]), with
// Cache-Control: no-store, Pragma: no-cache and Referrer-Policy:
// no-referrer, and no body (for every method, HEAD included). Headers the
// handler set before failing are kept, such as Set-Cookie, except those
// that move or instruct the browser (Refresh, Link, ...) or describe a
// body; [Renderer.JSON] and [Renderer.Page] drop the same. A nil or invalid e is answered as the
// authorization server_error.
func (r *Renderer) Redirect(w http.ResponseWriter, req *http.Request, e *codes.Error) {
	if !e.Code().Valid() {
		e = codes.ServerError.Err()
	}
	loc := r.Location(e)
	if len(r.carry) != 0 && e.Code().Kind() == codes.Authentication {
		loc = r.withCarried(loc, "&", req, false)
	}
	setHeaders(w.Header(), redirectHeaders, loc, "no-store", "no-cache", "no-referrer")
	w.WriteHeader(http.StatusSeeOther)
}

// jsonBody is the JSON answer, fields in this order.
type jsonBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ExceptionDetails string `json:"exception_details,omitempty"`
	EntityID         string `json:"entity_id,omitempty"`
}

func (r *Renderer) jsonBody(e *codes.Error) jsonBody {
	b := jsonBody{Error: e.Code().Name(), ErrorDescription: e.Code().Description()}
	if e.Detail().Valid() {
		b.ExceptionDetails = r.cfg.detailName(e.Detail())
	}
	b.EntityID = e.EntityID()
	return b
}

// JSON answers with e as {"error", "error_description", "exception_details",
// "entity_id"} (the last two only when present) and the code's status
// ([codes.Code.HTTPStatus]); Content-Type application/json,
// Cache-Control: no-store and Pragma: no-cache. A 401 carries
// WWW-Authenticate (Basic for invalid_client, as client authentication is
// Basic; Bearer for authentication errors, so that browsers show no
// password prompt); a 503 carries Retry-After. HEAD gets no body.
func (r *Renderer) JSON(w http.ResponseWriter, req *http.Request, e *codes.Error) {
	if !e.Code().Valid() {
		e = codes.ServerError.Err()
	}
	var body []byte
	if e.EntityID() != "" {
		body, _ = json.Marshal(r.jsonBody(e))
		body = append(body, '\n')
	} else {
		body = r.answer(e).json
	}
	status := e.Code().HTTPStatus()
	names := jsonHeaders
	set, extra := r.statusHeader(names[:], status, e.Code().Kind())
	setHeaders(w.Header(), set, "application/json; charset=utf-8", "no-store", "no-cache", "nosniff", extra)
	w.WriteHeader(status)
	if req.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
