package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// Allocation budgets, counted with testing.AllocsPerRun: they hold with
// and without -race, as nothing is pooled.

// The happy path allocates once: the route's per-request writer.
func TestRecoverer_HappyPathAllocatesOnce(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	w := &flushingCountingWriter{newCountingWriter()}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	assert.Equal(t, 1.0, testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, req) }))
}

// The error path (authorization redirect with a detail) allocates three
// times: the error the handler builds (a new *codes.Error each time, so
// that no handler can change another's), the route's writer and the
// answer's own header values.
func TestRecoverer_ErrorPathAllocations(t *testing.T) {
	rec, _ := newRecover(t, testRoute{Observer: func(middleware.Event) {}})
	h := rec(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	}))
	w := newCountingWriter()
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	h.ServeHTTP(w, req)
	assert.Equal(t, 3.0, testing.AllocsPerRun(1000, func() { clear(w.h); h.ServeHTTP(w, req) }))
}

type noWriteTo struct{ r *strings.Reader }

func (n *noWriteTo) Read(p []byte) (int, error) { return n.r.Read(p) }

// TestWriter_AddsNoAllocationToCopiesFlushesOrUnwrap: the route adds its
// writer and no allocation to a copy, a ResponseController flush or an
// Unwrap walk.
func TestWriter_AddsNoAllocationToCopiesFlushesOrUnwrap(t *testing.T) {
	src := &noWriteTo{strings.NewReader("hello")}
	var rd io.Reader = src
	cases := map[string]func(w http.ResponseWriter){
		"writeheader": func(w http.ResponseWriter) { w.WriteHeader(204) },
		"copy": func(w http.ResponseWriter) {
			src.r.Reset("hello")
			_, _ = io.Copy(w, rd)
		},
		"rc flush": func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() },
		"unwrap":   func(w http.ResponseWriter) { _ = w.(interface{ Unwrap() http.ResponseWriter }).Unwrap() },
	}
	for name, f := range cases {
		var got [2]float64
		for i, routed := range []bool{false, true} {
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { f(w) })
			if routed {
				rec, _ := newRecover(t, testRoute{})
				h = rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error { f(w); return nil }))
			}
			cw := newCountingWriter()
			var w http.ResponseWriter = unwrappingWrapper{fhrW{fhW{fW{baseW{cw}}}}}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			h.ServeHTTP(w, req)
			got[i] = testing.AllocsPerRun(1000, func() { cw.body = cw.body[:0]; h.ServeHTTP(w, req) })
		}
		if got[1] != got[0]+1 {
			t.Errorf("%s: %v allocations through the route, %v without: the route adds its writer and nothing more", name, got[1], got[0])
		}
	}
}
