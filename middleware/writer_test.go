package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
)

// A handler that keeps its ResponseWriter and writes after it returned gets
// ErrWriterReleased, and nothing reaches the request that is served next
// (by the same pooled tracker, on this goroutine).
func TestRecover_LateWriterCannotReachAnotherRequest(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	var kept http.ResponseWriter
	first := rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		kept = w
		_, _ = io.WriteString(w, "first")
	}))
	res1 := serve(first, http.MethodGet, "/1")
	require.Equal(t, "first", res1.Body.String())

	var lateErr error
	second := rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Second", "yes")
		kept.Header().Set("X-Leak", "leak")
		kept.WriteHeader(http.StatusTeapot)
		_, lateErr = io.WriteString(kept, "LEAK")
		http.NewResponseController(kept).Flush()
		_, _ = io.WriteString(w, "second")
	}))
	res2 := serve(second, http.MethodGet, "/2")
	assert.ErrorIs(t, lateErr, middleware.ErrWriterReleased)
	assert.Equal(t, http.StatusOK, res2.Code)
	assert.Equal(t, "second", res2.Body.String())
	assert.Equal(t, "yes", res2.Header().Get("X-Second"))
	assert.Empty(t, res2.Header().Get("X-Leak"))
	assert.Equal(t, "first", res1.Body.String(), "the first response is unchanged too")

	_, _, err := http.NewResponseController(kept).Hijack()
	assert.ErrorIs(t, err, http.ErrNotSupported)
}

// Each tracker serves leasesPerTracker (64) requests and is then left to
// the garbage collector, so a kept writer can never be handed out again:
// one allocation per 64 requests, which testing.AllocsPerRun rounds to 0.
func TestRecover_HappyPathAmortizedAllocations(t *testing.T) {
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
