package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// A request the guard does not count (no client_id) allocates nothing.
// What a counted request costs is measured against the naive error answer
// in bench/ (BenchmarkLoopGuard).
func TestLoopGuard_NotCountedAllocatesNothing(t *testing.T) {
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey, otherKey}})
	g := newGuard(t, loopguard.Config{Counter: counter, Limit: 250})
	// The guard alone: the Recoverer route above it has a cost of its own.
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, target := range []string{"/oauth/authorize", "/oauth/authorize?response_type=code&scope=profile"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		w := newPlainWriter()
		h.ServeHTTP(w, req)
		require.Equal(t, http.StatusNoContent, w.code)
		assert.Zero(t, testing.AllocsPerRun(1000, func() {
			w.reset()
			h.ServeHTTP(w, req)
		}), target)
	}
}

// A counted request, with a fresh cookie and with one already counting 7
// other clients, allocates at most 10 times (the budget in BENCHMARKS.md),
// its signature checked and written each time.
func TestLoopGuard_CountedAllocations(t *testing.T) {
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey, otherKey}})
	g := newGuard(t, loopguard.Config{Counter: counter, Limit: 250, Now: func() time.Time { return testNow }})
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	var full *http.Cookie
	for i := range 7 {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=client-"+strconv.Itoa(i), nil)
		if full != nil {
			req.AddCookie(full)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		full = rec.Result().Cookies()[0]
	}
	for _, cookie := range []*http.Cookie{nil, full} {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		w := newPlainWriter()
		h.ServeHTTP(w, req)
		require.Equal(t, http.StatusNoContent, w.code)
		require.Len(t, w.Header()["Set-Cookie"], 1)
		allocs := testing.AllocsPerRun(1000, func() {
			w.reset()
			h.ServeHTTP(w, req)
		})
		assert.LessOrEqual(t, allocs, 10.0, "cookie %v", cookie != nil)
		t.Logf("cookie %v: %v allocations", cookie != nil, allocs)
	}
}
