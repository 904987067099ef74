package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime/debug"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// Mode is how a route answers an error.
type Mode uint8

const (
	// ModeRedirect answers with the contract's 303 redirect.
	ModeRedirect Mode = iota
	// ModeJSON answers with a JSON body and the code's status, for
	// back-channel endpoints such as a token endpoint.
	ModeJSON
	// ModeNegotiate answers JSON when the request's Accept header prefers
	// application/json to text/html, and redirects otherwise.
	ModeNegotiate
)

// Config configures [New].
type Config struct {
	// Pages says where errors are sent and how answers are spelled; its
	// ErrorPage and LoginPage are required (see [render.Config]).
	Pages render.Config
	// Observer hears of every failed request; nil means LogObserver(nil),
	// which logs through slog.Default(). Tests of an app usually want
	// [Quiet].
	Observer Observer
}

// Recoverer writes the contract's answer for every failure of the routes it
// guards. It is built once by [New], is immutable and safe for concurrent
// use, and hands out one middleware per kind of route, each shaped like
// alice.Constructor: [Recoverer.Authorization], [Recoverer.Authentication],
// [Recoverer.JSON] and, for the rest, [Recoverer.Route].
type Recoverer struct {
	renderer *render.Renderer
	observer Observer
}

// New validates cfg and builds a Recoverer. Every configuration problem is
// an error wrapping [render.ErrConfig], reported here and never later.
func New(cfg Config) (*Recoverer, error) {
	r, err := render.New(cfg.Pages)
	if err != nil {
		return nil, err
	}
	if cfg.Observer == nil {
		cfg.Observer = LogObserver(nil)
	}
	return &Recoverer{renderer: r, observer: cfg.Observer}, nil
}

// Renderer is the renderer built from Config.Pages, for pages and answers
// written outside a failing handler, such as the error page itself.
func (rc *Recoverer) Renderer() *render.Renderer { return rc.renderer }

// Authorization is the middleware of an authorization route (an OAuth
// endpoint a browser visits): failures redirect to the error page.
// It is rc.Route(codes.Authorization, ModeRedirect).
func (rc *Recoverer) Authorization(next http.Handler) http.Handler {
	return rc.route(codes.Authorization, ModeRedirect, next)
}

// Authentication is the middleware of an authentication route (the login
// form, a session check): failures redirect to the login page, and the
// shared wire names follow it (see [codes.Error.OnRoute]).
// It is rc.Route(codes.Authentication, ModeRedirect).
func (rc *Recoverer) Authentication(next http.Handler) http.Handler {
	return rc.route(codes.Authentication, ModeRedirect, next)
}

// JSON is the middleware of a back-channel authorization route such as a
// token endpoint: failures are answered as JSON with the code's status.
// It is rc.Route(codes.Authorization, ModeJSON).
func (rc *Recoverer) JSON(next http.Handler) http.Handler {
	return rc.route(codes.Authorization, ModeJSON, next)
}

// Route returns the middleware of a route of family kind answering in mode,
// or an error wrapping [render.ErrConfig] when either is unknown.
//
// Route(kind, mode)(next) serves next and, when next fails, writes the
// contract's answer:
//
//  1. an error handed up by [Wrap] or [Guard] that is (or wraps) a
//     codes.Code or a *codes.Error keeps its code, detail and entity id;
//     the three wire names both families have follow the route's family
//     unless given by their Identity names ([codes.Error.OnRoute]);
//  2. any other error, a nil-valued typed error (var e *codes.Error;
//     return e) and any panic become server_error of kind, the original
//     kept for the observer only; http.ErrAbortHandler, panicked or
//     returned, is re-panicked untouched and not observed;
//  3. if the client went away (the request's context was cancelled and the
//     error is context.Canceled or context.DeadlineExceeded) nothing is
//     written; a deadline set above the route is answered as any error;
//  4. if the response already started, nothing more is written; after a
//     panic the connection is then cut (by re-panicking
//     http.ErrAbortHandler, which net/http does not log), so that the
//     client cannot take the partial response for a whole one;
//  5. if the request fetches (GET or HEAD) the very page the error would be
//     sent to, the terminal page is written in place with the code's
//     status, since a redirect would loop;
//  6. otherwise the answer for mode: a 303 redirect or JSON.
//
// The observer then hears of it once. Handlers that succeed are served
// untouched and without allocation; the writer they see keeps exactly the
// optional interfaces (Flusher, Hijacker, ReaderFrom) of the one it wraps,
// offers io.StringWriter (the wrapped writer's, or Write), and has Unwrap.
//
// Warning: only errors handed up by Wrap or Guard, and panics, are seen; a
// handler that writes its own error response is a success to Recoverer.
func (rc *Recoverer) Route(kind codes.Kind, mode Mode) (func(http.Handler) http.Handler, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("%w: route family %d is neither Authorization nor Authentication", render.ErrConfig, kind)
	}
	if mode > ModeNegotiate {
		return nil, fmt.Errorf("%w: route mode %d is unknown", render.ErrConfig, mode)
	}
	return func(next http.Handler) http.Handler { return rc.route(kind, mode, next) }, nil
}

func (rc *Recoverer) route(kind codes.Kind, mode Mode, next http.Handler) http.Handler {
	serverError, _ := codes.ServerError.In(kind)
	return &route{rc: rc, next: next, kind: kind, mode: mode, serverError: serverError}
}

type route struct {
	rc          *Recoverer
	next        http.Handler
	kind        codes.Kind
	mode        Mode
	serverError codes.Code
}

func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, l := getTracker(w)
	defer rt.finish(t, l, r)
	rt.next.ServeHTTP(l.writer(w), r)
}

// finish runs deferred: it recovers a panic, and answers a failure.
func (rt *route) finish(t *tracker, l *lease, r *http.Request) {
	err, panicked := t.err, false
	if v := recover(); v != nil {
		if c, ok := v.(*carried); ok {
			err = c.err
		} else {
			err, panicked = &PanicError{Value: v, Stack: debug.Stack()}, true
		}
	}
	if err == nil {
		t.release(l)
		return
	}
	if isNilValue(err) {
		// Its methods may dereference nil: keep it away from errors.Is,
		// from the observer and from the logs.
		err = &NilError{Type: fmt.Sprintf("%T", err)}
	}
	// http.ErrAbortHandler, panicked or returned, is net/http's own way to
	// cut the connection; so is a panic after the response started, so
	// that the client cannot take the part it got for a whole response.
	abort := errors.Is(err, http.ErrAbortHandler)
	if !abort {
		abort = rt.answer(t, r, err, panicked) == Suppressed && panicked
	}
	t.release(l)
	if abort {
		panic(http.ErrAbortHandler)
	}
}

func (rt *route) answer(t *tracker, r *http.Request, err error, panicked bool) Outcome {
	e, typed := codes.As(err)
	if typed && !panicked {
		e = e.OnRoute(rt.kind)
	} else {
		e = rt.serverError.WithCause(err)
	}
	ev := Event{Request: r, Err: e, Cause: err, Panicked: panicked}
	w, rend := t.w, rt.rc.renderer
	switch {
	// Only a cancelled request is a client gone (net/http cancels it when
	// the connection closes); a deadline set by a timeout middleware above
	// ends the request with the client still waiting for an answer.
	case r.Context().Err() == context.Canceled && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		ev.Outcome = ClientGone
	case t.started || t.hijacked:
		ev.Outcome = Suppressed
	case rend.IsTarget(r, e.Kind()):
		ev.Outcome = LoopStopped
		rend.Page(w, r, e.Code().HTTPStatus(), e)
	case rt.mode == ModeJSON || rt.mode == ModeNegotiate && prefersJSON(r.Header.Values("Accept")):
		ev.Outcome = WroteJSON
		rend.JSON(w, r, e)
	default:
		ev.Outcome = Redirected
		rend.Redirect(w, r, e)
	}
	rt.rc.observer(ev)
	return ev.Outcome
}

// NilError is the cause recorded when a handler returns a nil pointer (or
// other nil value) of an error type as a non-nil error, the classic Go
// mistake: var e *codes.Error; return e. Such a value is never inspected.
type NilError struct {
	// Type is the dynamic type of the nil value, such as "*codes.Error".
	Type string
}

// Error says what was returned.
func (e *NilError) Error() string { return "handler returned a nil " + e.Type + " as a non-nil error" }

// isNilValue reports whether err is a non-nil interface holding a nil
// pointer, map, slice, func or channel.
func isNilValue(err error) bool {
	switch e := err.(type) {
	case codes.Code:
		return false // the usual cases, without reflection
	case *codes.Error:
		return e == nil
	}
	switch v := reflect.ValueOf(err); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return v.IsNil()
	}
	return false
}
