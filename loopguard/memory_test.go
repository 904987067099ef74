package loopguard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// memoryGuard serves a guard counting in a memory counter of cfg on clk; from(ip, target) returns the
// status of one request from ip.
func memoryGuard(t *testing.T, cfg loopguard.MemoryConfig, clk *clock) func(ip, target string) int {
	cfg.Clock = clk.Elapsed
	h := guarded(t, newGuard(t, loopguard.Config{Counter: memoryCounter(t, cfg), Now: clk.Now}))
	return func(ip, target string) int {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = ip + ":1234"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Empty(t, rec.Header().Get("Set-Cookie"), "no cookie")
		return rec.Code
	}
}

func memoryCounter(t *testing.T, cfg loopguard.MemoryConfig) *loopguard.MemoryCounter {
	t.Helper()
	m, err := loopguard.NewMemoryCounter(cfg)
	require.NoError(t, err)
	return m
}

func TestMemoryCounter_CountsPerAddressAndClient(t *testing.T) {
	clk := newClock()
	from := memoryGuard(t, loopguard.MemoryConfig{}, clk)
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"))
	}
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.1", "/a?client_id=c"))
	assert.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=d"), "another client")
	assert.Equal(t, http.StatusNoContent, from("10.0.0.2", "/a?client_id=c"), "another browser")
	assert.Equal(t, http.StatusNoContent, from("[2001:db8::1]", "/a?client_id=c"), "IPv6")
	clk.Advance(30 * time.Second)
	assert.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"), "expired")
}

// Issue 11, fix 5: junk client ids from one address evict only that
// address's own counts, never another's.
func TestMemoryCounter_JunkFromOneAddressKeepsAnothersCount(t *testing.T) {
	clk := newClock()
	from := memoryGuard(t, loopguard.MemoryConfig{MaxEntries: 100}, clk)
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=loopy"))
	}
	for i := 0; i < 1000; i++ {
		from("10.0.0.66", "/a?client_id=junk-"+strconv.Itoa(i))
		clk.Advance(time.Millisecond)
	}
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.1", "/a?client_id=loopy"), "the flood did not reset 10.0.0.1's count")
}

// Issue 11, fix 5: memory is bounded; when the table is full of live
// counts, a new address goes uncounted instead of evicting someone else's,
// and is counted again once counts expire.
func TestMemoryCounter_FullTableLeavesNewAddressesUncounted(t *testing.T) {
	clk := newClock()
	from := memoryGuard(t, loopguard.MemoryConfig{MaxEntries: 2, PerAddress: 1}, clk)
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"))
		require.Equal(t, http.StatusNoContent, from("10.0.0.2", "/a?client_id=c"))
	}
	for i := 0; i < 5; i++ {
		assert.Equal(t, http.StatusNoContent, from("10.0.0.3", "/a?client_id=c"), "uncounted: the table is full")
	}
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.1", "/a?client_id=c"), "kept")
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.2", "/a?client_id=c"), "kept")

	// One address holds at most PerAddress counts: a new client replaces its own oldest.
	assert.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=d"))
	assert.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"), "10.0.0.1's c made room for its d")

	clk.Advance(30 * time.Second)
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, from("10.0.0.3", "/a?client_id=c"))
	}
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.3", "/a?client_id=c"), "counted once the old counts expired")
}

// TestMemoryCounter_IPv6CountsPerSlash64: an IPv6 subscriber holds a whole
// /64 and can take a new address for every request. Counted per address,
// it would fill the table and leave every new address uncounted, and a
// loop that changes address would never trip; counted per /64, it takes
// one address's room, and its loop trips.
func TestMemoryCounter_IPv6CountsPerSlash64(t *testing.T) {
	clk := newClock()
	from := memoryGuard(t, loopguard.MemoryConfig{MaxEntries: 6, PerAddress: 2}, clk)
	for i := range 50 {
		require.Equal(t, http.StatusNoContent, from(fmt.Sprintf("[2001:db8:1:2:%x::1]", i), fmt.Sprintf("/a?client_id=junk%d", i)))
	}
	for range 3 {
		require.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"))
	}
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.1", "/a?client_id=c"), "counted: the /64 took one address's room")

	for i := range 3 {
		require.Equal(t, http.StatusNoContent, from(fmt.Sprintf("[2001:db8:9:9::%x]", i+1), "/a?client_id=loopy"))
	}
	assert.Equal(t, http.StatusSeeOther, from("[2001:db8:9:9:ffff::ff]", "/a?client_id=loopy"), "one /64, one count")
	assert.Equal(t, http.StatusNoContent, from("[2001:db8:9:a::1]", "/a?client_id=loopy"), "another /64")
	assert.Equal(t, http.StatusSeeOther, from("[::ffff:10.0.0.1]", "/a?client_id=c"), "an IPv4-mapped address is the IPv4 one")
}

// TestMemoryCounter_EveryFormOfAnAddressIsOneClient: an IPv4 client is one
// count however it is written (plain, IPv4-mapped, behind NAT64's
// 64:ff9b::/96), an IPv6 one is its /64 with or without brackets and a
// port, and different IPv4 clients behind NAT64 are counted apart.
func TestMemoryCounter_EveryFormOfAnAddressIsOneClient(t *testing.T) {
	m := memoryCounter(t, loopguard.MemoryConfig{})
	arrive := func(addr, key string) int {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = addr
		return counted(m.Arrive(nil, req, key, testNow, window))
	}
	for i, addr := range []string{"192.0.2.7:4711", "[::ffff:192.0.2.7]:4711", "[64:ff9b::192.0.2.7]:443", "192.0.2.7", "[::ffff:c000:207]"} {
		assert.Equal(t, i+1, arrive(addr, "v4"), addr)
	}
	for i, addr := range []string{"[2001:db8:9:9::1]:1", "[2001:db8:9:9::2]", "2001:db8:9:9::3", "[2001:db8:9:9:ffff::]:65535"} {
		assert.Equal(t, i+1, arrive(addr, "v6"), addr)
	}
	for i := range 5 {
		assert.Equal(t, 1, arrive(fmt.Sprintf("[64:ff9b::198.51.100.%d]:443", i+1), "nat64"), "IPv4 client %d behind NAT64", i+1)
	}
	for _, addr := range []string{"pipe", "@", ""} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = addr
		n, err := m.Arrive(nil, req, "other", testNow, window)
		assert.ErrorIs(t, err, loopguard.ErrNotIP, "%q: every peer of a Unix socket has it, so it tells no browsers apart", addr)
		assert.Zero(t, n)
	}
}

// Issue 19, item 4: one network cannot switch the memory counter off. One
// /48 (2048 of its /64s) used to fill the table and leave every new
// address uncounted; now each network holds at most its share, at several
// prefix lengths, and a stranger's loop still trips.
func TestMemoryCounter_OneNetworkCannotFillTheTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flood func(i int) string
	}{
		{"one IPv6 /56", func(i int) string { return fmt.Sprintf("[2001:db8:1:%x::1]", i%256) }},
		{"one IPv6 /48", func(i int) string { return fmt.Sprintf("[2001:db8:1:%x::1]", i) }},
		{"one IPv6 /32", func(i int) string { return fmt.Sprintf("[2001:db8:%x:%x::1]", i, i) }},
		{"one IPv4 /24", func(i int) string { return fmt.Sprintf("198.51.100.%d", i%256) }},
		{"one IPv4 /16", func(i int) string { return fmt.Sprintf("198.51.%d.%d", i%256, i/256) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			from := memoryGuard(t, loopguard.MemoryConfig{}, clk)
			for i := range 2048 { // about 2000 requests in one window
				from(tc.flood(i), "/a?client_id=flood")
				if i%100 == 0 {
					clk.Advance(time.Second) // spread over 20 s, all still live
				}
			}
			for _, stranger := range []string{"203.0.113.9", "[2a00:1450:1::1]"} {
				for range 3 {
					require.Equal(t, http.StatusNoContent, from(stranger, "/a?client_id=loopy"), stranger)
				}
				assert.Equal(t, http.StatusSeeOther, from(stranger, "/a?client_id=loopy"), "%s is counted after the flood", stranger)
			}
		})
	}
}

// Issue 19, item 4: windows are measured on a monotonic clock. A wall
// clock stepped back an hour used to leave every count "from the future"
// live for that hour, so a full table took no new address.
func TestMemoryCounter_WallClockSteppedBackLeavesNoCountStuck(t *testing.T) {
	wall := newClock()
	mono := newClock()
	m := memoryCounter(t, loopguard.MemoryConfig{MaxEntries: 8, PerAddress: 1, Clock: mono.Elapsed})
	h := guarded(t, newGuard(t, loopguard.Config{Counter: m, Now: wall.Now}))
	from := func(ip string) int {
		req := httptest.NewRequest(http.MethodGet, "/a?client_id=c", nil)
		req.RemoteAddr = ip + ":1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 8 { // the table is full of live counts
		from(fmt.Sprintf("10.%d.0.1", i))
	}
	wall.Advance(-time.Hour)
	mono.Advance(31 * time.Second)
	for range 3 {
		require.Equal(t, http.StatusNoContent, from("203.0.113.9"))
	}
	assert.Equal(t, http.StatusSeeOther, from("203.0.113.9"), "a new address is counted once the old windows ended")
}

// Issue 19, item 4: NAT64 prefixes other than 64:ff9b::/96 are
// configurable (RFC 8215's local 64:ff9b:1::/96); anything but an IPv6 /96
// is refused.
func TestMemoryCounter_NAT64PrefixesAreConfigurable(t *testing.T) {
	m := memoryCounter(t, loopguard.MemoryConfig{NAT64: []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/96")}})
	arrive := func(addr string) int {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = addr
		return counted(m.Arrive(nil, req, "k", testNow, window))
	}
	for i, addr := range []string{"192.0.2.7:1", "[64:ff9b::192.0.2.7]:1", "[64:ff9b:1::192.0.2.7]:1"} {
		assert.Equal(t, i+1, arrive(addr), addr)
	}
	assert.Equal(t, 1, arrive("[64:ff9b:2::192.0.2.7]:1"), "not a configured prefix: an IPv6 client of its own")

	for _, p := range []string{"64:ff9b::/64", "10.0.0.0/8", "64:ff9b::1/96"} {
		_, err := loopguard.NewMemoryCounter(loopguard.MemoryConfig{NAT64: []netip.Prefix{netip.MustParsePrefix(p)}})
		assert.ErrorIs(t, err, loopguard.ErrConfig, p)
	}
}
