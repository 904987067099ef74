package loopguard

import (
	"fmt"
	"hash/maphash"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/authredirect/authredirect/render"
)

// MemoryConfig configures [NewMemoryCounter].
type MemoryConfig struct {
	// MaxEntries bounds how many counts are kept in all; default 10000.
	MaxEntries int
	// PerAddress bounds how many counts one remote address keeps; a new
	// client of an address whose counts are all taken replaces that
	// address's own oldest count. Default 8 (MaxEntries when smaller).
	PerAddress int
}

// MemoryCounter is a [Counter] that keeps counts in this process, for
// browsers or clients that keep no cookies, on a single instance. A browser
// is told apart by the host of its remote address: an IPv4 client by its
// address however written (IPv4-mapped, or through NAT64's 64:ff9b::/96),
// an IPv6 one by its /64 (behind a proxy, put a middleware that sets
// r.RemoteAddr from a header you trust first).
//
// Memory is bounded: at most MaxEntries counts, in room for
// MaxEntries/PerAddress addresses with PerAddress counts each. Each
// arrival takes O(PerAddress) work under the lock of one of up to 64
// shards, never a lock over the whole table. One address cannot evict
// another's counts: an address only ever replaces its own; an address
// whose counts have all expired gives its room to a new one; and while the
// table is full of live counts, a new address goes uncounted (every
// arrival is its first) until room frees up.
type MemoryCounter struct {
	perAddress int
	seed       maphash.Seed
	mask       uint64
	shards     []memoryShard
}

// memoryShard is one lock's part of the table.
type memoryShard struct {
	mu       sync.Mutex
	addrs    map[string]*memoryAddr
	maxAddrs int
	// head..tail is every address, oldest newest-window-start first.
	head, tail *memoryAddr
	_          [64]byte // keeps shards' locks off one cache line
}

// memoryAddr is one remote address's counts.
type memoryAddr struct {
	host       string
	latest     int64 // the newest window start among slots, unix ns
	prev, next *memoryAddr
	slots      []memorySlot // at most perAddress
}

type memorySlot struct {
	key   uint64 // maphash of the key
	start int64  // unix ns
	count int
}

const (
	defaultMaxEntries = 10000
	defaultPerAddress = 8
	maxShards         = 64
	minShardAddrs     = 64 // fewer shards rather than smaller ones
	maxHostLen        = 64 // longer hosts are cut: memory stays bounded
)

// NewMemoryCounter validates cfg and builds a MemoryCounter. Invalid
// configuration is an error wrapping [render.ErrConfig].
func NewMemoryCounter(cfg MemoryConfig) (*MemoryCounter, error) {
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = defaultMaxEntries
	}
	if cfg.PerAddress == 0 {
		cfg.PerAddress = min(defaultPerAddress, max(cfg.MaxEntries, 1))
	}
	switch {
	case cfg.MaxEntries < 1:
		return nil, fmt.Errorf("%w: MemoryCounter MaxEntries %d is below 1", render.ErrConfig, cfg.MaxEntries)
	case cfg.PerAddress < 1 || cfg.PerAddress > cfg.MaxEntries:
		return nil, fmt.Errorf("%w: MemoryCounter PerAddress %d is not within 1..MaxEntries (%d)", render.ErrConfig, cfg.PerAddress, cfg.MaxEntries)
	}
	addrs := cfg.MaxEntries / cfg.PerAddress
	n := 1
	for n < maxShards && addrs/(2*n) >= minShardAddrs {
		n *= 2
	}
	m := &MemoryCounter{perAddress: cfg.PerAddress, seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]memoryShard, n)}
	for i := range m.shards {
		s := &m.shards[i]
		s.maxAddrs = addrs / n
		if i < addrs%n {
			s.maxAddrs++
		}
		s.addrs = make(map[string]*memoryAddr)
	}
	return m, nil
}

// hostOf is the host of a remote address, with or without a port, IPv6 in
// brackets or not; net.SplitHostPort would allocate an error for the forms
// without a port.
func hostOf(addr string) string {
	if rest, ok := strings.CutPrefix(addr, "["); ok {
		host, _, _ := strings.Cut(rest, "]")
		return host
	}
	if strings.Count(addr, ":") == 1 {
		host, _, _ := strings.Cut(addr, ":")
		return host
	}
	return addr // no port, or IPv6 without brackets
}

// nat64 is the well-known prefix IPv4 clients arrive from through NAT64.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// ipKey writes into key who the IP address host is and returns the key's
// length, or 0 when host is no IP address. An IPv4 client, also when
// written IPv4-mapped or reached through NAT64, is NUL, '4' and its
// address; an IPv6 one is NUL, '6' and its /64, which one subscriber
// usually holds whole and could otherwise spend an address per request
// from. No text host starts with NUL.
func ipKey(host string, key *[10]byte) int {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return 0
	}
	if a = a.Unmap(); nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if a.Is4() {
		b := a.As4()
		key[1] = '4'
		return 2 + copy(key[2:], b[:])
	}
	b := a.As16()
	key[1] = '6'
	return 2 + copy(key[2:], b[:8])
}

// Arrive implements [Counter]; it never touches w.
func (m *MemoryCounter) Arrive(_ http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	host := hostOf(r.RemoteAddr)
	// id is who the arrival is counted as: a variable of its own, since
	// the parser keeps what it is given, so that an IP's key stays on the
	// stack.
	id := host
	var ip [10]byte
	if n := ipKey(host, &ip); n > 0 {
		id = string(ip[:n])
	}
	if len(id) > maxHostLen {
		id = id[:maxHostLen]
	}
	k := maphash.String(m.seed, key)
	t := now.UnixNano()
	w := int64(window)
	s := &m.shards[maphash.String(m.seed, id)&m.mask]

	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.addrs[id]
	if a == nil {
		if a = s.room(t, w); a == nil {
			return 1 // full of live counts: uncounted rather than evict another's
		}
		a.host = strings.Clone(id)
		if a.slots == nil {
			a.slots = make([]memorySlot, 0, m.perAddress)
		}
		s.addrs[a.host] = a
		s.pushBack(a)
	}
	for i := range a.slots {
		sl := &a.slots[i]
		if sl.key != k {
			continue
		}
		if age := t - sl.start; age < 0 || age >= w {
			*sl = memorySlot{key: k, start: t, count: 1} // a new window
			s.started(a, t)
			return 1
		}
		sl.count++
		return sl.count
	}
	if len(a.slots) < m.perAddress {
		a.slots = append(a.slots, memorySlot{key: k, start: t, count: 1})
	} else {
		oldest := 0 // the address's own oldest, expired or not
		for i := range a.slots {
			if a.slots[i].start < a.slots[oldest].start {
				oldest = i
			}
		}
		a.slots[oldest] = memorySlot{key: k, start: t, count: 1}
	}
	s.started(a, t)
	return 1
}

// room returns an address record for a new address: a fresh one while the
// shard has room, else the one whose counts all expired longest ago, or nil
// when every address still has a live count.
func (s *memoryShard) room(t, window int64) *memoryAddr {
	if len(s.addrs) < s.maxAddrs {
		return &memoryAddr{}
	}
	a := s.head
	if a == nil || t-a.latest < window {
		return nil
	}
	s.unlink(a)
	delete(s.addrs, a.host)
	a.slots = a.slots[:0]
	return a
}

// started records that one of a's windows started at t: a moves to the
// tail, keeping the list ordered by newest window start.
func (s *memoryShard) started(a *memoryAddr, t int64) {
	a.latest = max(a.latest, t)
	if s.tail != a {
		s.unlink(a)
		s.pushBack(a)
	}
}

func (s *memoryShard) pushBack(a *memoryAddr) {
	a.prev, a.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = a
	} else {
		s.head = a
	}
	s.tail = a
}

func (s *memoryShard) unlink(a *memoryAddr) {
	if a.prev != nil {
		a.prev.next = a.next
	} else {
		s.head = a.next
	}
	if a.next != nil {
		a.next.prev = a.prev
	} else {
		s.tail = a.prev
	}
	a.prev, a.next = nil, nil
}
