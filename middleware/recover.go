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
	// Render configures the renderer: where errors are sent (its ErrorPage
	// and LoginPage are required), how answers are spelled and what the
	// pages say (see [render.Config]).
	Render render.Config
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

// ErrConfig is wrapped by every error of [New]: the configuration is
// refused at construction, never later.
var ErrConfig = errors.New("middleware: invalid configuration")

// New validates cfg and builds a Recoverer. Every configuration problem is
// an error wrapping [ErrConfig] and, when the pages are refused, the
// [render.ErrConfig] of [render.New] as well.
func New(cfg Config) (*Recoverer, error) {
	r, err := render.New(cfg.Render)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.Observer == nil {
		cfg.Observer = LogObserver(nil)
	}
	return &Recoverer{renderer: r, observer: cfg.Observer}, nil
}

// Renderer is the renderer built from Config.Render, for pages and answers
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

// Route returns the middleware of a route of family kind answering in mode
// (it panics for another kind or mode: a programming error, found when the
// chain is built). Route(kind, mode)(next) serves next and, when it fails
// (an error handed up by [Wrap] or [Guard], or a panic), classifies the
// error and writes the contract's answer: a redirect or JSON, the terminal
// page in place when a redirect would loop, nothing when the client went
// away, an abort when the response had already started. The observer hears
// of each failure once. Handlers that succeed are served untouched; the
// writer they see keeps the optional interfaces of the one beneath and
// refuses every call once the route returned ([LateCall]).
// docs/design.md has the steps in order.
//
// Warning: a handler that writes its own error response is a success to
// the route: return the error instead.
func (rc *Recoverer) Route(kind codes.Kind, mode Mode) func(http.Handler) http.Handler {
	if !kind.Valid() {
		panic(fmt.Sprintf("authredirect/middleware: Route: family %d is neither Authorization nor Authentication", kind))
	}
	if mode > ModeNegotiate {
		panic(fmt.Sprintf("authredirect/middleware: Route: mode %d is unknown", mode))
	}
	return func(next http.Handler) http.Handler { return rc.route(kind, mode, next) }
}

func (rc *Recoverer) route(kind codes.Kind, mode Mode, next http.Handler) http.Handler {
	serverError := codes.ServerError.Err().OnRoute(kind).Code()
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
	t := &writer{w: w, r: r, observer: rt.rc.observer}
	returned := false
	defer func() {
		t.close()
		// A handler that returned without an error needs nothing more, so
		// the happy path skips recover and finish (BENCHMARKS.md, happy
		// path). A panic, runtime.Goexit or an error handed up goes to
		// finish.
		if returned && t.err == nil {
			return
		}
		rt.finish(t, r, recover())
	}()
	rt.next.ServeHTTP(t.handOut(), r)
	returned = true
}

// finish answers a failure: v is what the deferred call recovered.
func (rt *route) finish(t *writer, r *http.Request, v any) {
	err, panicked := t.err, false
	if v != nil {
		if c, ok := v.(*carried); ok {
			err = c.err
		} else {
			err, panicked = &PanicError{Value: v, Stack: debug.Stack()}, true
		}
	}
	if err == nil {
		return
	}
	ev, abort := rt.classify(r, err, panicked)
	if abort {
		panic(http.ErrAbortHandler) // net/http's own way to cut the response
	}
	rt.answer(t, r, &ev)
	rt.rc.observer(ev)
	if ev.Outcome == Aborted || ev.Outcome == Suppressed && ev.Panicked {
		panic(http.ErrAbortHandler)
	}
}

// classify makes the event of a failure, or reports that err is
// http.ErrAbortHandler. It never panics: err's own methods (Unwrap, As,
// Is) run here, and one that panics makes the failure server_error with
// that panic as its cause.
func (rt *route) classify(r *http.Request, err error, panicked bool) (ev Event, abort bool) {
	if !panicked {
		if e, ok := plainContractError(err); ok {
			return Event{Request: r, Err: e.OnRoute(rt.kind), Cause: err}, false
		}
	}
	defer func() {
		if v := recover(); v != nil {
			cause := &PanicError{Value: v, Stack: debug.Stack()}
			ev, abort = Event{Request: r, Err: rt.serverError.WithCause(cause), Cause: cause, Panicked: true}, false
		}
	}()
	if isNilValue(err) {
		// Its methods may dereference nil: keep it away from errors.Is,
		// from the observer and from the logs.
		err = &nilError{Type: fmt.Sprintf("%T", err)}
	}
	var aborted, contextErr bool
	budget := codes.MaxUnwrap
	walkErrors(err, &budget, func(err error) {
		aborted = aborted || is(err, http.ErrAbortHandler)
		contextErr = contextErr || is(err, context.Canceled) || is(err, context.DeadlineExceeded)
	})
	if budget < 0 {
		// Its Unwrap loops or never ends: keep it away from codes.As, from
		// the observers (whose errors.Is would spin) and from the logs.
		cause := fmt.Errorf("middleware: the handler's error (a %T) unwraps past %d errors (an Unwrap cycle?); it was not inspected", err, codes.MaxUnwrap)
		return Event{Request: r, Err: rt.serverError.WithCause(cause), Cause: cause, Panicked: panicked}, false
	}
	if aborted {
		return Event{}, true
	}
	e, typed := codes.As(err)
	if typed && !panicked {
		e = e.OnRoute(rt.kind)
	} else {
		e = rt.serverError.WithCause(err)
	}
	ev = Event{Request: r, Err: e, Cause: err, Panicked: panicked}
	// Only a cancelled request is a client gone (net/http cancels it when
	// the connection closes); a deadline set by a timeout middleware above
	// ends the request with the client still waiting for an answer.
	if r.Context().Err() == context.Canceled && contextErr {
		ev.Outcome = ClientGone
	}
	return ev, false
}

// answer writes what ev calls for and records it as ev.Outcome.
func (rt *route) answer(t *writer, r *http.Request, ev *Event) {
	w, rend, e := t.w, rt.rc.renderer, ev.Err
	switch {
	case ev.Outcome == ClientGone:
	case t.hijacked:
		ev.Outcome = Suppressed
	case t.started && (t.partial || t.err == nil || ev.Panicked):
		ev.Outcome = Aborted
	case t.started:
		// A writer between the route and the handler answered the error
		// once it was handed up, as chi's Timeout writes its 504: that
		// answer stands.
		ev.Outcome = Suppressed
	case rend.IsTarget(r, e.Code().Kind()):
		ev.Outcome = LoopStopped
		rend.Page(w, r, e.Code().HTTPStatus(), e)
	case rt.mode == ModeJSON || rt.mode == ModeNegotiate && prefersJSON(r.Header.Values("Accept")):
		ev.Outcome = WroteJSON
		rend.JSON(w, r, e)
	default:
		ev.Outcome = Redirected
		rend.Redirect(w, r, e)
	}
}

// plainContractError is err as a contract error when err is one of
// package codes with a valid code and no cause, as handlers mostly return:
// its methods do not panic and its tree is itself, so it needs no guard
// and no walk, and classify makes of it what the walk would.
func plainContractError(err error) (*codes.Error, bool) {
	switch e := err.(type) {
	case *codes.Error:
		return e, e != nil && e.Code().Valid() && e.Unwrap() == nil
	case codes.Code:
		if e.Valid() {
			return e.Err(), true
		}
	}
	return nil, false
}

// walkErrors calls visit on each error of err's tree, depth first, as
// errors.Is walks it, and on *budget of them at most: a foreign Unwrap may
// loop. *budget is -1 when the tree went on past it.
func walkErrors(err error, budget *int, visit func(error)) {
	for ; err != nil; err = errors.Unwrap(err) {
		if *budget <= 0 {
			*budget = -1
			return
		}
		*budget--
		visit(err)
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				if walkErrors(inner, budget, visit); *budget < 0 {
					return
				}
			}
			return
		}
	}
}

// is reports whether err matches target as errors.Is matches one error of
// a tree: by identity, or by err's own Is method. The targets here are
// comparable.
func is(err, target error) bool {
	if err == target {
		return true
	}
	x, ok := err.(interface{ Is(error) bool })
	return ok && x.Is(target)
}

// nilError is the cause recorded when a handler returns a nil pointer (or
// other nil value) of an error type as a non-nil error, the classic Go
// mistake: var e *codes.Error; return e. Such a value is never inspected.
type nilError struct {
	// Type is the dynamic type of the nil value, such as "*codes.Error".
	Type string
}

// Error says what was returned.
func (e *nilError) Error() string { return "handler returned a nil " + e.Type + " as a non-nil error" }

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
