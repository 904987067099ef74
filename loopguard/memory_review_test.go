package loopguard_test

// Adversarial review of the loop guard after issue 19: the memory counter.
// Each test states a claim of the documentation and how the review broke
// it; each failed before its fix and guards it since.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
)

// Claim (MemoryCounter doc, design §4): "an address whose counts have all
// expired gives its room to a new one", and guards with different windows
// may share one counter ("Guards with different windows never share a
// count, even on one counter").
//
// The shard's list is ordered by when windows started, and sweep stops at
// the first address whose windows have not all ended. One arrival on a
// guard with a long window (a day) therefore pins the head of its shard:
// every address behind it, whose 30 s windows ended long ago, is never
// swept, the shard fills with them, and every new address of that shard
// goes uncounted until the day is over.
func TestMemoryCounter_LongWindowDoesNotPinExpiredAddresses(t *testing.T) {
	clk := newClock()
	// 125 addresses' room: one shard, so the outcome does not depend on
	// the random shard seed.
	m := memoryCounter(t, loopguard.MemoryConfig{MaxEntries: 1000, PerAddress: 8, Clock: clk.Elapsed})
	short := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: clk.Now}))
	long := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: clk.Now, Window: 24 * time.Hour}))
	from := func(h http.Handler, ip string) int {
		req := httptest.NewRequest(http.MethodGet, "/a?client_id=c", nil)
		req.RemoteAddr = ip + ":1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	// One arrival on the day-long guard.
	require.Equal(t, http.StatusNoContent, from(long, "192.0.2.1"))
	// Ordinary traffic on the 30 s guard, one arrival each from 124
	// addresses in distinct /16s (no network share is involved), spread
	// over two minutes.
	for i := range 124 {
		require.Equal(t, http.StatusNoContent, from(short, fmt.Sprintf("10.%d.0.1", i)))
		clk.Advance(time.Second)
	}
	// An hour later every one of those 30 s windows has long ended.
	clk.Advance(time.Hour)
	for range 3 {
		require.Equal(t, http.StatusNoContent, from(short, "203.0.113.9"))
	}
	assert.Equal(t, http.StatusSeeOther, from(short, "203.0.113.9"),
		"a stranger looping an hour after every short window ended is not counted: the day-long window at the head of the shard keeps 124 expired addresses in the table")
}

// The same with the default table (8 shards of about 156 addresses): 64
// arrivals on a day-long guard, then ten minutes of ordinary traffic (3000
// addresses); an hour later, 50 strangers loop on the 30 s guard.
func TestMemoryCounter_LongWindowDoesNotPinExpiredAddressesDefaultTable(t *testing.T) {
	clk := newClock()
	m := memoryCounter(t, loopguard.MemoryConfig{Clock: clk.Elapsed})
	short := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: clk.Now}))
	long := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: clk.Now, Window: 24 * time.Hour}))
	from := func(h http.Handler, ip string) int {
		req := httptest.NewRequest(http.MethodGet, "/a?client_id=c", nil)
		req.RemoteAddr = ip + ":1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 64 {
		from(long, fmt.Sprintf("192.%d.2.1", i))
	}
	for i := range 3000 {
		from(short, fmt.Sprintf("10.%d.%d.1", i/50, i%50)) // 50 per /16, one per /24
		clk.Advance(200 * time.Millisecond)
	}
	clk.Advance(time.Hour)
	missed := 0
	for s := range 50 {
		ip := fmt.Sprintf("203.0.%d.9", s)
		for range 3 {
			from(short, ip)
		}
		if from(short, ip) != http.StatusSeeOther {
			missed++
		}
	}
	assert.Zero(t, missed, "strangers whose loop went uncounted, of 50")
}

// Claim (Counter doc): "[CookieCounter] (the default) and [MemoryCounter]
// count per browser: their counts can never be shared by two browsers
// whatever the key"; design §4: "A count belongs to one browser or one
// signed-in account, never to a client alone, so strangers cannot spend
// each other's".
//
// The memory counter counts per address, and one address is many browsers
// behind a NAT or a proxy (documented: use it where an address tells
// browsers apart) or a Unix socket (every request has the same
// RemoteAddr). On a Unix socket three arrivals by anyone used to refuse
// the next stranger on their first visit; such an address is not counted
// now (ErrNotIP).
func TestMemoryCounter_UnixSocketPeersAreNotCounted(t *testing.T) {
	t.Run("Unix socket", func(t *testing.T) {
		clk := newClock()
		m := memoryCounter(t, loopguard.MemoryConfig{Clock: clk.Elapsed})
		h := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: clk.Now}))
		sock := filepath.Join(t.TempDir(), "s")
		ln, err := net.Listen("unix", sock)
		require.NoError(t, err)
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		t.Cleanup(func() { _ = srv.Close() })
		// Each stranger is a client with its own connection.
		get := func() int {
			c := &http.Client{
				Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, "unix", sock)
				}},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
			defer c.CloseIdleConnections()
			res, err := c.Get("http://app/a?client_id=popular")
			require.NoError(t, err)
			_ = res.Body.Close()
			return res.StatusCode
		}
		for i := range 3 {
			require.Equal(t, http.StatusNoContent, get(), "stranger %d", i)
		}
		assert.Equal(t, http.StatusNoContent, get(), "a fourth stranger's first arrival is refused: every request on a Unix socket has one RemoteAddr")
	})
}

// Claim (MemoryCounter doc): "One network cannot fill the table ... Past
// its share a network's new addresses go uncounted while everyone else's
// are counted."
//
// A RemoteAddr that is no IP address has no network and so no share: a
// flood of distinct such values fills the table and every new address,
// however far from the flood, goes uncounted. RemoteAddr is chosen by the
// client wherever the documented "middleware that sets r.RemoteAddr from a
// header" copies a header the client can write (X-Forwarded-For as sent,
// or "client, proxy" lists a proxy appends to).
func TestMemoryCounter_NonIPRemoteAddrsCannotFillTheTable(t *testing.T) {
	clk := newClock()
	m := memoryCounter(t, loopguard.MemoryConfig{Clock: clk.Elapsed})
	h := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: clk.Now}))
	from := func(remote string) int {
		req := httptest.NewRequest(http.MethodGet, "/a?client_id=c", nil)
		req.RemoteAddr = remote // as a header-reading middleware would set it
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	// One attacker, 2000 requests in 20 s, each with a made-up
	// X-Forwarded-For: "203.0.113.66, <n>".
	for i := range 2000 {
		from(fmt.Sprintf("203.0.113.66, %d", i))
		if i%100 == 0 {
			clk.Advance(time.Second)
		}
	}
	for _, stranger := range []string{"198.51.100.9:1", "[2a00:1450:1::1]:1"} {
		for range 3 {
			require.Equal(t, http.StatusNoContent, from(stranger), stranger)
		}
		assert.Equal(t, http.StatusSeeOther, from(stranger), "%s is not counted after a flood of non-IP remote addresses", stranger)
	}
}

// Claim (Config.Observer doc): the observer "hears of every arrival a
// counter failed to count"; design §4 and the guide: uncounted arrivals
// are told to the Observer and logged.
//
// The memory counter leaves arrivals uncounted when the table is full or
// a network's share is taken, and returns (1, nil): the guard cannot tell,
// the Observer hears nothing and nothing is logged, so an operator never
// learns that the guard is off for new addresses.
func TestMemoryCounter_UncountedArrivalsAreReported(t *testing.T) {
	clk := newClock()
	m := memoryCounter(t, loopguard.MemoryConfig{MaxEntries: 2, PerAddress: 1, Clock: clk.Elapsed})
	var mu sync.Mutex
	var uncounted int
	g := newGuard(t, loopguard.Config{Counter: m, Now: clk.Now, Observer: func(ev middleware.Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Outcome == middleware.Uncounted {
			uncounted++
		}
	}})
	h := guarded(t, g)
	from := func(ip string) int {
		req := httptest.NewRequest(http.MethodGet, "/a?client_id=c", nil)
		req.RemoteAddr = ip + ":1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	from("10.0.0.1")
	from("10.1.0.1") // the table is full of live counts
	for range 5 {
		require.Equal(t, http.StatusNoContent, from("10.2.0.1"))
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 5, uncounted, "the 5 arrivals the memory counter left uncounted were not reported to the Observer")
}

// Claim (MemoryCounter doc): "an address whose counts have all expired
// gives its room to a new one ... Past its share a network's new
// addresses go uncounted while everyone else's are counted".
//
// A network's share is given back only when sweep reaches its addresses,
// at most two per arrival, oldest first. Expired addresses of other
// networks ahead of them in the list keep the network's share taken after
// all of its own windows ended: a new address of the network loops
// uncounted although nothing of the network is live.
func TestMemoryCounter_ExpiredAddressesGiveBackTheirNetworksShare(t *testing.T) {
	clk := newClock()
	// 125 addresses' room in one shard; an IPv4 /24's share is 4.
	from := memoryGuard(t, loopguard.MemoryConfig{MaxEntries: 1000, PerAddress: 8}, clk)
	for i := range 60 { // other networks, one address each
		from(fmt.Sprintf("10.%d.0.1", i), "/a?client_id=c")
	}
	for i := range 4 { // 198.51.100.0/24 takes its share
		from(fmt.Sprintf("198.51.100.%d", i+1), "/a?client_id=c")
	}
	clk.Advance(time.Minute) // every window has ended
	for range 3 {
		require.Equal(t, http.StatusNoContent, from("198.51.100.200", "/a?client_id=loopy"))
	}
	assert.Equal(t, http.StatusSeeOther, from("198.51.100.200", "/a?client_id=loopy"),
		"a new address of the /24 is not counted a minute after every window ended: expired addresses still hold the network's share")
}
