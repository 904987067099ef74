package authredirecttest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// A Kit runs handlers behind a Recoverer built for its pages, and checks
// answers against what that Recoverer's renderer sends. It is safe for
// concurrent use; each Serve returns the result of its own request.
type Kit struct {
	rc    *middleware.Recoverer
	r     *render.Renderer
	carry []string

	mu     sync.Mutex
	next   int
	events map[int]middleware.Event // by the request's serial number
}

// serialKey is the context key of a request's serial number: the event
// finds its Serve even when a middleware replaces the request.
type serialKey struct{}

// New returns a Kit for pages; the zero Config is the error page "/ooops"
// and the login page "/login", paths on the server under test, so that no
// test depends on a real domain.
//
// carry names the request parameters that the app's authentication routes
// carry back to the login page after the contract's own: the Kit's checks
// then accept exactly these after an authentication error's parameters,
// each at most once and escaped as url.QueryEscape does, and nothing
// more. Without carry, the pages' own Carry is used. A name that is
// empty, repeated or one of the contract's parameters is an error wrapping
// render.ErrConfig, as are pages the renderer refuses.
func New(pages render.Config, carry ...string) (*Kit, error) {
	if reflect.ValueOf(pages).IsZero() {
		pages = render.Config{ErrorPage: "/ooops", LoginPage: "/login"}
	}
	if len(carry) == 0 {
		carry = pages.Carry
	}
	for i, name := range carry {
		switch {
		case name == "" || url.QueryEscape(name) != name:
			return nil, fmt.Errorf("%w: authredirecttest: carried parameter %q is empty or needs escaping", render.ErrConfig, name)
		case isContractParam(name):
			return nil, fmt.Errorf("%w: authredirecttest: %s is the contract's own parameter, never carried", render.ErrConfig, name)
		case slices.Contains(carry[:i], name):
			return nil, fmt.Errorf("%w: authredirecttest: carried parameter %s is named twice", render.ErrConfig, name)
		}
	}
	k := &Kit{carry: slices.Clone(carry), events: map[int]middleware.Event{}}
	rc, err := middleware.New(middleware.Config{Render: pages, Observer: k.observe})
	if err != nil {
		return nil, err
	}
	k.rc, k.r = rc, rc.Renderer()
	return k, nil
}

func (k *Kit) observe(ev middleware.Event) {
	serial, ok := ev.Request.Context().Value(serialKey{}).(int)
	// Not a request of Serve, or a late call: reported after the route
	// returned, from the handler's goroutine, it must not take the place
	// of what the route did.
	if !ok || ev.Outcome == middleware.LateCall {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events[serial] = ev
}

// Recoverer is the Kit's Recoverer: give it to an app's constructor, and
// serve the app with [Kit.Serve], to test the app wired as in production.
// Its observer records each request's event for the Result and logs
// nothing.
func (k *Kit) Recoverer() *middleware.Recoverer { return k.rc }

// form is the kind of answer a route gives for an error.
type form uint8

const (
	anyForm      form = iota // an app served whole: the wire says which
	redirectForm             // an Authorization or Authentication route
	jsonForm                 // a JSON route
)

// Result is what one request served by a Kit came to: what the client
// received, and what the Recoverer did.
type Result struct {
	// Status, Header and Body are what the client received: the status
	// (200 when the handler wrote nothing), the header as the client reads
	// it (keys canonical, so a "location" set by hand is one more Location)
	// and the body (none for HEAD). When Aborted, they are what was written
	// before the connection was cut.
	Status int
	Header http.Header
	Body   []byte
	// Aborted is true when the connection was cut (a panic left the
	// handler chain, http.ErrAbortHandler or any other, as net/http's
	// server cuts it): the client received a broken response, not an
	// answer.
	Aborted bool

	// Outcome is what the Recoverer did; zero when the handler succeeded.
	Outcome middleware.Outcome
	// Err is the error the client was sent (by a redirect, a JSON answer or
	// the page in place), as the Recoverer classified it: code, detail and
	// entity id. It is nil when nothing was sent: the handler succeeded,
	// the response had already started (Aborted), was hijacked or was
	// answered by a middleware in between (Suppressed), the client was
	// gone, or the connection was cut.
	Err *codes.Error
	// Cause is what the handler returned or panicked with (a
	// [*middleware.PanicError] for a panic), for the test's eyes only; it
	// is never sent.
	Cause error
	// Panicked is true when the handler panicked, or when the error it
	// returned panicked as the Recoverer inspected it (middleware.Event's
	// Panicked).
	Panicked bool

	req  *http.Request // as given to Serve
	form form
}

// Failed reports whether the handler failed: it returned an error or
// panicked, whether or not anything was sent.
func (r Result) Failed() bool { return r.Outcome != 0 || r.Aborted }

// Authorization serves r with h behind the Kit's authorization route.
func (k *Kit) Authorization(h http.Handler, r *http.Request) Result {
	return k.serve(k.rc.Authorization(h), r, redirectForm)
}

// Authentication serves r with h behind the Kit's authentication route.
func (k *Kit) Authentication(h http.Handler, r *http.Request) Result {
	return k.serve(k.rc.Authentication(h), r, redirectForm)
}

// JSON serves r with h behind the Kit's JSON route.
func (k *Kit) JSON(h http.Handler, r *http.Request) Result {
	return k.serve(k.rc.JSON(h), r, jsonForm)
}

// Serve serves r with h, which must already contain the Kit's Recoverer
// routes (an app built with [Kit.Recoverer]), and returns the result. A
// handler that succeeds gives a Result with a zero Outcome. Serve never
// panics: a panic that leaves h is what net/http's server makes of it, a
// cut connection (Aborted).
func (k *Kit) Serve(h http.Handler, r *http.Request) Result {
	return k.serve(h, r, anyForm)
}

func (k *Kit) serve(h http.Handler, r *http.Request, f form) (res Result) {
	k.mu.Lock()
	k.next++
	serial := k.next
	k.mu.Unlock()
	res.req, res.form = r, f
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if v := recover(); v != nil {
				res.Aborted = true
				if v != http.ErrAbortHandler {
					res.Cause, res.Panicked = &middleware.PanicError{Value: v, Stack: debug.Stack()}, true
				}
			}
		}()
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), serialKey{}, serial)))
	}()

	k.mu.Lock()
	ev, ok := k.events[serial]
	delete(k.events, serial)
	k.mu.Unlock()
	if ok {
		res.Outcome, res.Cause, res.Panicked = ev.Outcome, ev.Cause, ev.Panicked
		switch ev.Outcome {
		case middleware.Redirected, middleware.WroteJSON, middleware.LoopStopped:
			if !res.Aborted {
				res.Err = ev.Err
			}
		}
	}

	sent := rec.Result()
	res.Status, res.Header = sent.StatusCode, onTheWire(sent.Header)
	if r.Method != http.MethodHead {
		res.Body = rec.Body.Bytes()
	}
	return res
}

// onTheWire is h as a client reads it: net/http's server writes the keys
// as the handler set them, sorted, and the client canonicalizes them, so
// values under keys that differ only in case end up under one key.
func onTheWire(h http.Header) http.Header {
	keys := make([]string, 0, len(h))
	for key := range h {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	out := make(http.Header, len(h))
	for _, key := range keys {
		c := http.CanonicalHeaderKey(key)
		out[c] = append(out[c], h[key]...)
	}
	return out
}

// A Browser is one test browser: it serves requests through a Kit and
// keeps the cookies the answers set for the next requests, as a browser
// does (net/http/cookiejar rules: by host and path, Secure ones only over
// TLS). A loop guard then counts its arrivals with no cookie carried by
// hand. A Browser is safe for concurrent use, though a browser's requests
// are usually a sequence.
type Browser struct {
	kit *Kit
	jar *cookiejar.Jar
}

// Browser returns a new Browser with an empty cookie jar.
func (k *Kit) Browser() *Browser {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Browser{kit: k, jar: jar}
}

// Serve is [Kit.Serve] with the browser's cookies for r's URL added to a
// copy of r, and the cookies of the answer kept. A request made with
// httptest.NewRequest is for http://example.com unless its target names
// another scheme and host.
func (b *Browser) Serve(h http.Handler, r *http.Request) Result {
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	r = r.Clone(r.Context())
	for _, c := range b.jar.Cookies(u) {
		r.AddCookie(c)
	}
	res := b.kit.Serve(h, r)
	b.jar.SetCookies(u, (&http.Response{Header: res.Header}).Cookies())
	return res
}
