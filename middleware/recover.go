package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// Mode is how a route answers an error.
type Mode uint8

const (
	// ModeRedirect answers with the contract's 303 redirect (the default).
	ModeRedirect Mode = iota
	// ModeJSON answers with a JSON body and the code's status, for
	// back-channel endpoints such as a token endpoint.
	ModeJSON
	// ModeNegotiate answers JSON when the request's Accept header prefers
	// application/json to text/html, and redirects otherwise.
	ModeNegotiate
)

// Config configures [Recover]. The zero Config is valid: the contract's
// default pages, authorization family, redirects, logging through slog.
type Config struct {
	// Renderer writes the answers; nil means render.New(render.Config{}),
	// the contract's own error and login pages.
	Renderer *render.Renderer
	// Kind is the family given to untyped errors and panics on this route:
	// codes.Authorization (the default, when zero) or codes.Authentication
	// for login-side routes.
	Kind codes.Kind
	// Mode is how this route answers; ModeRedirect by default.
	Mode Mode
	// Observer hears of every failed request; nil means LogObserver(nil),
	// which logs through slog.Default().
	Observer Observer
}

// ErrConfig is wrapped by the errors that [Recover] returns for an invalid
// configuration.
var ErrConfig = errors.New("middleware: invalid configuration")

// Recover validates cfg and returns a middleware shaped like
// alice.Constructor. Recover(cfg)(next) serves next and, when next fails,
// writes the contract's answer:
//
//  1. an error handed up by [Wrap] that is (or wraps) a codes.Code or a
//     *codes.Error keeps its family, code, detail and entity id;
//  2. any other error, and any panic, becomes server_error of cfg.Kind, the
//     original kept for the observer only; http.ErrAbortHandler, panicked
//     or returned, is re-panicked untouched and not observed;
//  3. if the client went away (the request's context is done and the error
//     is context.Canceled or context.DeadlineExceeded) nothing is written;
//  4. if the response already started, nothing more is written; after a
//     panic the connection is then cut (by re-panicking
//     http.ErrAbortHandler, which net/http does not log), so that the
//     client cannot take the partial response for a whole one;
//  5. if the request is for the very page the error would be sent to, the
//     terminal page is written in place with the code's status;
//  6. otherwise the answer for cfg.Mode: a 303 redirect or JSON.
//
// The observer then hears of it once. Handlers that succeed are served
// untouched and without allocation; the writer they see keeps exactly the
// optional interfaces (Flusher, Hijacker, ReaderFrom) of the one it wraps and
// has Unwrap.
func Recover(cfg Config) (func(http.Handler) http.Handler, error) {
	if cfg.Kind == 0 {
		cfg.Kind = codes.Authorization
	}
	if !cfg.Kind.Valid() {
		return nil, fmt.Errorf("%w: Kind %d is neither Authorization nor Authentication", ErrConfig, cfg.Kind)
	}
	if cfg.Mode > ModeNegotiate {
		return nil, fmt.Errorf("%w: Mode %d is unknown", ErrConfig, cfg.Mode)
	}
	if cfg.Renderer == nil {
		r, err := render.New(render.Config{})
		if err != nil {
			return nil, err
		}
		cfg.Renderer = r
	}
	if cfg.Observer == nil {
		cfg.Observer = LogObserver(nil)
	}
	serverError, _ := codes.ServerError.In(cfg.Kind)
	return func(next http.Handler) http.Handler {
		return &recoverer{next: next, cfg: cfg, serverError: serverError}
	}, nil
}

type recoverer struct {
	next        http.Handler
	cfg         Config
	serverError codes.Code
}

func (rc *recoverer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, l := getTracker(w)
	defer rc.finish(t, l, r)
	rc.next.ServeHTTP(l.writer(w), r)
}

// finish runs deferred: it recovers a panic, and answers a failure.
func (rc *recoverer) finish(t *tracker, l *lease, r *http.Request) {
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
	// http.ErrAbortHandler, panicked or returned, is net/http's own way to
	// cut the connection; so is a panic after the response started, so
	// that the client cannot take the part it got for a whole response.
	abort := errors.Is(err, http.ErrAbortHandler)
	if !abort {
		abort = rc.answer(t, r, err, panicked) == Suppressed && panicked
	}
	t.release(l)
	if abort {
		panic(http.ErrAbortHandler)
	}
}

func (rc *recoverer) answer(t *tracker, r *http.Request, err error, panicked bool) Outcome {
	e, typed := codes.As(err)
	if !typed || panicked {
		e = rc.serverError.Wrap(err)
	}
	ev := Event{Request: r, Err: e, Cause: err, Panicked: panicked}
	w := t.w
	switch {
	case r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		ev.Outcome = ClientGone
	case t.started || t.hijacked:
		ev.Outcome = Suppressed
	case rc.cfg.Renderer.IsTarget(r, e.Kind()):
		ev.Outcome = LoopStopped
		rc.cfg.Renderer.Page(w, r, e.Code().HTTPStatus(), e)
	case rc.cfg.Mode == ModeJSON || rc.cfg.Mode == ModeNegotiate && prefersJSON(r.Header.Get("Accept")):
		ev.Outcome = WroteJSON
		rc.cfg.Renderer.JSON(w, r, e)
	default:
		ev.Outcome = Redirected
		rc.cfg.Renderer.Redirect(w, r, e)
	}
	rc.cfg.Observer(ev)
	return ev.Outcome
}
