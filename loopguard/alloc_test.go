package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// Issue 11's budgets: a counted request allocates at most 2 (the
// Set-Cookie line and its header slice), with a fresh cookie and with one
// already counting 7 clients; a request without client_id allocates
// nothing. Run without -race, which makes sync.Pool drop items.
func TestCookieCounter_Allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under -race")
	}
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey, otherKey}})
	h := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Limit: 250}))

	var seven *http.Cookie // a cookie counting 7 other clients
	for i := range 7 {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=client-"+strconv.Itoa(i), nil)
		if seven != nil {
			req.AddCookie(seven)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		seven = rec.Result().Cookies()[0]
	}
	for _, tc := range []struct {
		name, target string
		cookie       *http.Cookie
		max          float64
	}{
		{"not counted", "/oauth/authorize?response_type=code&scope=profile", nil, 0},
		{"counted, fresh cookie", "/oauth/authorize?client_id=demo", nil, 2},
		{"counted, cookie with 7 clients", "/oauth/authorize?client_id=demo", seven, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if tc.cookie != nil {
				req.AddCookie(tc.cookie)
			}
			w := newPlainWriter()
			h.ServeHTTP(w, req)
			require.Equal(t, http.StatusNoContent, w.code)
			allocs := testing.AllocsPerRun(1000, func() {
				w.reset()
				h.ServeHTTP(w, req)
			})
			assert.LessOrEqual(t, allocs, tc.max+1, "the guard's, and the Recoverer route's one writer")
		})
	}
}

// TestMemoryCounter_Allocations: an arrival of a known address allocates
// nothing, IPv6 (counted per /64) included.
func TestMemoryCounter_Allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under -race")
	}
	m := memoryCounter(t, loopguard.MemoryConfig{})
	for _, addr := range []string{"192.0.2.7:4711", "[2001:db8:1:2::7]:4711", "[::ffff:192.0.2.7]:4711", "[64:ff9b::192.0.2.7]:443", "[2001:db8:1:2::7]"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = addr
		m.Arrive(nil, req, "demo", testNow, window)
		assert.Zero(t, testing.AllocsPerRun(1000, func() { m.Arrive(nil, req, "demo", testNow, window) }), addr)
	}
}
