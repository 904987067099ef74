package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/internal/ratelog"
)

// Outcome is what a [Recoverer] did with a failed request.
type Outcome uint8

// Each outcome says what the route wrote; a writer above it that drops
// writes without an error (http.TimeoutHandler once its time is up) can
// still keep it from the client.
const (
	// Redirected: a 303 to the error or login page was written.
	Redirected Outcome = iota + 1
	// WroteJSON: a JSON error answer was written.
	WroteJSON
	// LoopStopped: the failing request was the error or login page itself,
	// so a redirect would loop; the terminal HTML page was written in place.
	LoopStopped
	// Suppressed: the connection was hijacked, or a middleware between the
	// route and the handler answered the error after the handler handed it
	// up (as chi's Timeout writes its 504); nothing more was written.
	Suppressed
	// ClientGone: the request's context was cancelled (net/http does so
	// when the client goes) and the handler failed with context.Canceled
	// or context.DeadlineExceeded; nothing was written. A deadline set
	// above the route is not this: the client still waits for an answer.
	ClientGone
	// Aborted: the response had already started (a header, a body byte or
	// a flush went out), so no answer could follow; nothing more was
	// written and the response was aborted, as net/http aborts it for
	// http.ErrAbortHandler: the connection closed, or over HTTP/2 the
	// stream reset. The client sees a broken response, never a truncated
	// one that passes for whole.
	Aborted
	// LateCall: the handler used the route's writer after the route had
	// returned (a goroutine kept it); the call was refused and reached
	// nothing. Only the first refused call of a request is reported, from
	// the goroutine that made it; Err is nil and Cause says what was
	// refused.
	LateCall
)

// String is the outcome's name in logs, such as "redirected".
func (o Outcome) String() string {
	switch o {
	case Redirected:
		return "redirected"
	case WroteJSON:
		return "json"
	case LoopStopped:
		return "loop_stopped"
	case Suppressed:
		return "suppressed"
	case ClientGone:
		return "client_gone"
	case Aborted:
		return "aborted"
	case LateCall:
		return "late_call"
	}
	return "invalid"
}

// Event describes one failed request to an [Observer].
type Event struct {
	// Request is the failed request. Warning: its query may hold secrets;
	// the default observer logs only its method and path.
	Request *http.Request
	// Outcome is what was written.
	Outcome Outcome
	// Err is the error as classified: the contract error found in the
	// handler's error, or server_error of the route's family wrapping it.
	Err *codes.Error
	// Cause is what the handler returned, or a [*PanicError] for a panic.
	Cause error
	// Panicked is true when the handler panicked, or when the error it
	// returned panicked as it was inspected (its Unwrap, As or Is).
	Panicked bool
}

// Observer hears of every failed request a [Recoverer] handles, after the answer
// is written. It runs on the request's goroutine (a [LateCall] on the
// goroutine that made the call, after the request ended) and must be safe
// for concurrent use.
type Observer func(Event)

// Observers returns an Observer that hands each event to every one of obs
// in order, such as LogObserver and a metrics observer. Nil entries are
// skipped.
func Observers(obs ...Observer) Observer {
	obs = slices.DeleteFunc(slices.Clone(obs), func(o Observer) bool { return o == nil })
	return func(ev Event) {
		for _, o := range obs {
			o(ev)
		}
	}
}

// Quiet is an Observer that does nothing. Use it in the tests of an app,
// whose expected failures (panics with their stacks among them) would
// otherwise fill the test log; production code keeps LogObserver or an
// observer of its own.
func Quiet(Event) {}

// PanicError is the cause recorded when a handler panics, or when the error
// it returned panics as the Recoverer inspects it.
type PanicError struct {
	// Value is what the handler passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error is "panic: " and the value.
func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// LogObserver logs each event through logger, or through slog.Default() at
// the time of the event when logger is nil. Levels: Error for panics and
// server-side codes (status 5xx), Warn for a failure after the response
// started, Debug for a client that went away (whatever
// its error was classified as) and for ordinary client errors (4xx), which
// are normal traffic. A late call (a handler's bug) is logged at Error,
// at most one record a second for the whole observer, since a buggy
// handler makes one per request. It logs the method and path but never the
// query, which may hold codes, tokens or secrets.
func LogObserver(logger *slog.Logger) Observer {
	var late ratelog.Limiter // a second
	return func(ev Event) {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		level := slog.LevelDebug
		switch {
		case ev.Outcome == LateCall:
			if _, ok := late.Allow(time.Now()); !ok {
				return
			}
			level = slog.LevelError
		case ev.Outcome == ClientGone: // normal traffic, whatever it was classified as
		case ev.Panicked || ev.Err.Code().HTTPStatus() >= 500:
			level = slog.LevelError
		case ev.Outcome == Suppressed || ev.Outcome == Aborted:
			level = slog.LevelWarn
		}
		ctx := context.Background()
		if ev.Request != nil {
			ctx = ev.Request.Context()
		}
		if !l.Enabled(ctx, level) {
			return
		}
		attrs := []slog.Attr{slog.String("outcome", ev.Outcome.String())}
		if ev.Err != nil {
			attrs = append(attrs, slog.Any("error", ev.Err)) // its cause included
		} else if ev.Cause != nil {
			attrs = append(attrs, slog.String("cause", ev.Cause.Error())) // what a late call tried
		}
		if ev.Request != nil {
			attrs = append(attrs, slog.String("method", ev.Request.Method), slog.String("path", ev.Request.URL.Path))
		}
		if p, ok := ev.Cause.(*PanicError); ok {
			attrs = append(attrs, slog.String("stack", string(p.Stack)))
		}
		l.LogAttrs(ctx, level, "authredirect: request failed", attrs...)
	}
}
