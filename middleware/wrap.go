package middleware

import (
	"fmt"
	"net/http"

	"github.com/authredirect/authredirect/codes"
)

// Wrap turns an error-returning handler into an [http.Handler] for use below
// [Recoverer]. When h returns nil, Wrap does nothing more. When h returns an
// error, Wrap hands it to the Recoverer above, which classifies it and writes
// the contract's answer; h should not have written anything then.
//
// Wrap finds the Recoverer's writer by walking Unwrap() http.ResponseWriter through
// any wrappers in between, without allocating. Where a wrapper in between has
// no Unwrap, Wrap panics with a private value carrying the error, which
// the Recoverer catches and treats exactly like a returned error.
//
// Warning: Wrap must run below a Recoverer route. Without one, the error's panic
// reaches net/http's server, which logs it (with the error's text) and drops
// the connection: the client gets no answer at all.
func Wrap(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return wrapped(h)
}

// wrapped is Wrap's handler: a method of its own, rather than an
// http.HandlerFunc around a closure, saves a call on every request.
type wrapped func(http.ResponseWriter, *http.Request) error

func (h wrapped) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		handUp(w, err)
	}
}

// handUp gives err to the Recoverer route whose writer w is or wraps. The
// walk is bounded: a foreign Unwrap may loop, and then the route answers
// server_error.
func handUp(w http.ResponseWriter, err error) {
	for range codes.MaxUnwrap {
		switch v := w.(type) {
		case interface{ self() *writer }:
			if t := v.self(); t.enter() { // refused once the route returned
				t.err, t.partial = err, t.started
				t.leave()
			}
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			panic(&carried{err})
		}
	}
	panic(&carried{fmt.Errorf("middleware: the writer's Unwrap goes on past %d writers (a cycle?); the handler's error: %v", codes.MaxUnwrap, err)})
}

// carried is the panic that transports an error to the Recoverer when the
// Unwrap chain is broken.
type carried struct{ err error }

func (c *carried) Error() string {
	return "authredirect/middleware: a handler's error reached no Recoverer (is Wrap used without a Recoverer route above it?): " + c.err.Error()
}
