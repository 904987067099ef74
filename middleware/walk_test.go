package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// selfError's Unwrap returns itself; joinedSelf's Unwrap []error holds
// itself; deeper's chain has no end. errors.Is and errors.As never return
// on any of them.
type (
	selfError  struct{}
	joinedSelf struct{}
	deeper     struct{ n int }
)

func (*selfError) Error() string      { return "self" }
func (e *selfError) Unwrap() error    { return e }
func (*joinedSelf) Error() string     { return "joined self" }
func (e *joinedSelf) Unwrap() []error { return []error{errors.New("first"), e} }
func (deeper) Error() string          { return "deeper" }
func (e deeper) Unwrap() error        { return deeper{e.n + 1} }
func (deeper) Is(error) bool          { return false }
func (*selfError) As(any) bool        { return false }
func (*joinedSelf) Is(error) bool     { return false }

// loopWriter is a foreign wrapper whose Unwrap returns itself.
type loopWriter struct{ http.ResponseWriter }

func (l *loopWriter) Unwrap() http.ResponseWriter { return l }

// finishes serves h in a goroutine and fails the test, rather than
// hanging it, if h does not return: a walk that never ends.
func finishes(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, r)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // a generous guard, not a measure
		t.Fatal("the route never returned: an endless walk")
	}
	return w
}

// An error whose Unwrap chain never ends (a cycle, or one that makes a
// new error each step) is server_error of the route, observed once: every
// walk over it is bounded.
func TestRecoverer_EndlessErrorChainIsServerError(t *testing.T) {
	for name, err := range map[string]error{
		"Unwrap returns itself":          &selfError{},
		"a join holds itself":            &joinedSelf{},
		"each Unwrap makes a new error":  deeper{},
		"wrapped around a code, endless": errors.Join(codes.InvalidScope, &selfError{}),
	} {
		t.Run(name, func(t *testing.T) {
			rec, ev := newRecover(t, testRoute{})
			res := finishes(t, rec(failing(err)), httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
			assert.Equal(t, http.StatusSeeOther, res.Code)
			assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=server_error", res.Header().Get("Location"))
			require.Len(t, ev.list(), 1)
			e := ev.list()[0]
			assert.Equal(t, middleware.Redirected, e.Outcome)
			assert.Equal(t, codes.ServerError, e.Err.Code())
			assert.NotPanics(t, func() { errors.Is(e.Cause, codes.InvalidScope) }, "the cause an observer sees is safe to walk")
		})
	}
}

// A wrapper between the route and the handler whose Unwrap loops gives
// server_error when the handler fails, and a flush fails rather than
// spins.
func TestWrap_WriterUnwrapCycleIsServerError(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	looping := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(&loopWriter{w}, r) })
	}
	h := rec(looping(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope })))
	res := finishes(t, h, httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
	assert.Equal(t, http.StatusSeeOther, res.Code)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=server_error", res.Header().Get("Location"))
	require.Len(t, ev.list(), 1)
	assert.Equal(t, codes.ServerError, ev.list()[0].Err.Code())

	var flushErr error
	h = looping(rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		flushErr = http.NewResponseController(w).Flush()
	})))
	finishes(t, h, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Error(t, flushErr, "no flusher within reach")
}
