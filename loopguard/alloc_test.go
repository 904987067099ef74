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
// its signature checked and written each time; a client id longer than a
// word (a UUID) allocates no more than a short one.
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
		var byClient []float64
		for _, client := range []string{"demo", "0f8fad5b-d9cb-469f-a165-70867728950e"} {
			req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id="+client, nil)
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
			assert.LessOrEqual(t, allocs, 10.0, "cookie %v, client %s", cookie != nil, client)
			t.Logf("cookie %v, client %s: %v allocations", cookie != nil, client, allocs)
			byClient = append(byClient, allocs)
		}
		assert.Equal(t, byClient[0], byClient[1], "cookie %v: a long client id allocates more", cookie != nil)
	}
}
