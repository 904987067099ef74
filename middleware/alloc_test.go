package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
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
