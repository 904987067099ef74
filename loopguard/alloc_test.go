package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

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
