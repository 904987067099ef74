package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// Allocation budgets (DESIGN §8), counted with testing.AllocsPerRun. CI runs
// them without -race, which makes sync.Pool drop items (race_on_test.go).

func TestRecoverer_HappyPathAllocatesNothing(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	w := &flushingCountingWriter{newCountingWriter()}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	h.ServeHTTP(w, req) // warm the pool
	assert.Zero(t, testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, req) }))
}

// The error path (authorization redirect with a detail) allocates once: the
// answer's own header values (DESIGN §8 allows one).
func TestRecoverer_ErrorPathAllocations(t *testing.T) {
	rec, _ := newRecover(t, testRoute{Observer: func(middleware.Event) {}})
	h := rec(failing(codes.UnauthorizedClient.With(codes.ClientIDNotFound)))
	w := newCountingWriter()
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	h.ServeHTTP(w, req)
	assert.Equal(t, 1.0, testing.AllocsPerRun(1000, func() { clear(w.h); h.ServeHTTP(w, req) }))
}

// Each tracker serves leasesPerTracker (64) requests and is then left to
// the garbage collector, so a kept writer can never be handed out again:
// one allocation per 64 requests, which testing.AllocsPerRun rounds to 0.
func TestRecoverer_HappyPathAmortizedAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race; .ci/run also runs this test without it")
	}
	rec, _ := newRecover(t, testRoute{})
	h := rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	w := fhrW{fhW{fW{baseW{newCountingWriter()}}}}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	const runs = 64 * 1000
	h.ServeHTTP(w, req)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		h.ServeHTTP(w, req)
	}
	runtime.ReadMemStats(&after)
	perRequest := float64(after.Mallocs-before.Mallocs) / runs
	assert.LessOrEqual(t, perRequest, 1.0/64+0.005, "allocations per request")
}

type noWriteTo struct{ r *strings.Reader }

func (n *noWriteTo) Read(p []byte) (int, error) { return n.r.Read(p) }

// TestWriter_AddsNoAllocationToCopiesFlushesOrUnwrap: the route adds no
// allocation to a copy, a ResponseController flush or an Unwrap walk.
func TestWriter_AddsNoAllocationToCopiesFlushesOrUnwrap(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under -race")
	}
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
		if got[1] != got[0] {
			t.Errorf("%s: %v allocations through the route, %v without", name, got[1], got[0])
		}
	}
}
