// Package authredirecttest tests handlers against the accounts error
// contract, as net/http/httptest tests handlers against HTTP: without a
// server, one line per expectation, and with failures that say what was
// expected on the wire. It imports only the standard library and
// authredirect's own packages.
//
// Three tools, for three kinds of test:
//
//   - a [Kit] runs a handler behind a real Recoverer and returns what the
//     contract made of it: the classified *codes.Error, the outcome and the
//     recorded response;
//   - [CheckLocation] says whether a Location is the contract's redirect
//     for an expected error;
//   - [CheckRedirect] is an http.Client redirect policy that stops at a
//     contract redirect and returns it as a typed error, for integration
//     tests against a running server.
package authredirecttest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// Pages are the pages a Kit sends errors to unless told otherwise: paths on
// the server under test, so that no test depends on a real domain.
var Pages = render.Config{ErrorPage: "/ooops", LoginPage: "/login"}

// Result is what the contract made of one request.
type Result struct {
	// Recorder holds the response as written: status, headers, body.
	*httptest.ResponseRecorder
	// Outcome is what the Recoverer did; zero when the handler succeeded.
	Outcome middleware.Outcome
	// Err is the error as classified and sent (nil when the handler
	// succeeded): code, detail and entity id as on the wire.
	Err *codes.Error
	// Cause is what the handler returned or panicked with, for the test's
	// eyes only.
	Cause error
	// Panicked is true when the handler panicked.
	Panicked bool
}

// Failed reports whether the handler failed (returned an error or panicked).
func (r Result) Failed() bool { return r.Outcome != 0 }

// A Kit runs handlers behind a Recoverer whose observer records what
// happened. It is safe for concurrent use; each Serve returns the event of
// its own request.
type Kit struct {
	rc *middleware.Recoverer

	mu     sync.Mutex
	next   int
	events map[int]middleware.Event // by the request's serial number
}

// serialKey is the context key of a request's serial number: the event
// finds its Serve even when a middleware replaces the request.
type serialKey struct{}

// New returns a Kit whose Recoverer sends errors to pages (the [Pages]
// when pages is the zero Config). It fails like middleware.New on an
// invalid configuration.
func New(pages render.Config) (*Kit, error) {
	if reflect.ValueOf(pages).IsZero() { // Config holds slices: not comparable
		pages = Pages
	}
	k := &Kit{events: map[int]middleware.Event{}}
	rc, err := middleware.New(middleware.Config{Pages: pages, Observer: k.observe})
	if err != nil {
		return nil, err
	}
	k.rc = rc
	return k, nil
}

func (k *Kit) observe(ev middleware.Event) {
	serial, ok := ev.Request.Context().Value(serialKey{}).(int)
	if !ok {
		return // not a request of Serve
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events[serial] = ev
}

// Recoverer is the Kit's Recoverer: give it to an app's constructor, and
// serve the app's routes with [Kit.Serve], to test them wired as in
// production.
func (k *Kit) Recoverer() *middleware.Recoverer { return k.rc }

// Authorization serves r with h behind the Kit's authorization route.
func (k *Kit) Authorization(h http.Handler, r *http.Request) Result {
	return k.Serve(k.rc.Authorization(h), r)
}

// Authentication serves r with h behind the Kit's authentication route.
func (k *Kit) Authentication(h http.Handler, r *http.Request) Result {
	return k.Serve(k.rc.Authentication(h), r)
}

// JSON serves r with h behind the Kit's JSON route.
func (k *Kit) JSON(h http.Handler, r *http.Request) Result {
	return k.Serve(k.rc.JSON(h), r)
}

// Serve serves r with h, which must already contain one of the Kit's
// Recoverer routes (an app built with [Kit.Recoverer]), and returns the
// result. A handler that succeeds gives a Result with a zero Outcome.
func (k *Kit) Serve(h http.Handler, r *http.Request) Result {
	k.mu.Lock()
	k.next++
	serial := k.next
	k.mu.Unlock()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), serialKey{}, serial)))
	k.mu.Lock()
	ev, ok := k.events[serial]
	delete(k.events, serial)
	k.mu.Unlock()
	res := Result{ResponseRecorder: rec}
	if ok {
		res.Outcome, res.Err, res.Cause, res.Panicked = ev.Outcome, ev.Err, ev.Cause, ev.Panicked
	}
	return res
}

// CheckLocation reports whether location is the contract's redirect for
// want: exactly want's family and code, its detail (or none) and its entity
// id (or none; an entity id is only sent when valid and with an
// authentication error), and no other contract parameter. The error says
// what was expected and what was found.
func CheckLocation(location string, want *codes.Error) error {
	got, err := render.ParseLocation(location)
	if err != nil {
		return fmt.Errorf("authredirecttest: Location %q is not a contract redirect: %w", location, err)
	}
	if w, g := wire(want), wire(got); w != g {
		return fmt.Errorf("authredirecttest: Location %q carries %s, want %s", location, g, w)
	}
	return nil
}

// wire describes an error by what the contract sends of it.
func wire(e *codes.Error) string {
	if !e.Code().Valid() {
		return "no contract error"
	}
	s := e.Kind().Param() + "=" + e.Code().Name()
	if e.Detail().Valid() {
		s += " exception_details=" + e.Detail().Name()
	}
	if id := e.SentEntityID(); id != "" {
		s += " entity_id=" + id
	}
	return s
}

// RedirectError is the error [CheckRedirect] stops a client with: the
// server redirected to a contract error. codes.As and errors.As find the
// *codes.Error through it, and through the *url.Error that http.Client
// wraps it in.
type RedirectError struct {
	// Location is where the server redirected.
	Location string
	// Err is the error the Location carries.
	Err *codes.Error
}

// Error names the Location and the error.
func (e *RedirectError) Error() string {
	return "redirected to " + wire(e.Err) + " (" + e.Location + ")"
}

// Unwrap returns the contract error.
func (e *RedirectError) Unwrap() error { return e.Err }

// ErrTooManyHops is returned by CheckRedirect after 10 redirects without a
// contract error, as http.Client's default policy stops there too.
var ErrTooManyHops = errors.New("authredirecttest: stopped after 10 redirects")

// CheckRedirect is an http.Client CheckRedirect policy for integration
// tests. It follows ordinary redirects (at most 10) and stops at the first
// one whose Location carries a contract error, which the client's Do,
// Get or Post then returns as a *url.Error wrapping a [*RedirectError]:
//
//	client.CheckRedirect = authredirecttest.CheckRedirect
//	_, err := client.Get(srv.URL + "/oauth/authorize?client_id=nope")
//	e, _ := codes.As(err) // unauthorized_client + client_id_not_found
//
// A Location whose contract parameters are malformed also stops the client,
// with an error wrapping render.ErrMalformed or codes.ErrUnknown.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	e, err := render.ParseQuery(req.URL.RawQuery)
	switch {
	case err == nil:
		return &RedirectError{Location: req.URL.String(), Err: e}
	case errors.Is(err, render.ErrNoException):
		// An ordinary redirect.
	case errors.Is(err, render.ErrMalformed) && !namesContractParam(req.URL.RawQuery):
		// An ordinary redirect whose own query Go's parser refuses, such
		// as a client's callback with a ';' in its state.
	default:
		return fmt.Errorf("authredirecttest: redirect to %s breaks the contract: %w", req.URL, err)
	}
	if len(via) >= 10 {
		return ErrTooManyHops
	}
	return nil
}

// namesContractParam reports whether a raw query has a parameter named as
// one of the contract's, however its name is escaped.
func namesContractParam(rawQuery string) bool {
	for _, pair := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		switch name {
		case codes.Authorization.Param(), codes.Authentication.Param(), "exception_details", "entity_id":
			return true
		}
	}
	return false
}
