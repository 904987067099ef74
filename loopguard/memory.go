package loopguard

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// MemoryConfig configures [NewMemoryCounter].
type MemoryConfig struct {
	// MaxEntries bounds how many counts are kept in all; default 10000.
	MaxEntries int
	// PerAddress bounds how many counts one remote address keeps; a new
	// client of an address whose counts are all taken replaces that
	// address's own oldest count. Default 8 (MaxEntries when smaller).
	PerAddress int
	// NAT64 lists the IPv6 /96 prefixes through which IPv4 clients arrive
	// (RFC 6052, RFC 8215); such a client is counted as its IPv4 address.
	// Default: 64:ff9b::/96 alone; list it too when adding others, such as
	// a local 64:ff9b:1::/96.
	NAT64 []netip.Prefix
	// Clock reads a monotonic clock: the time elapsed since any fixed
	// origin. Windows are measured on it, never on the wall clock, so a
	// clock stepped back leaves no count stuck. Default: the time since
	// the counter was built, on the monotonic clock. Tests inject their own.
	Clock func() time.Duration
}

// MemoryCounter is a [Counter] that keeps counts in this process, for
// browsers or clients that keep no cookies, on a single instance. It
// counts per remote address: an IPv4 client by its address however written
// (IPv4-mapped, or through a NAT64 prefix), an IPv6 one by its /64.
// Warning: browsers behind one address (a carrier-grade NAT, a proxy)
// share a count, so use it where an address tells browsers apart, and
// behind a proxy put a middleware that sets r.RemoteAddr from a header
// only the proxy writes first. A remote address that is no IP address (a
// Unix socket's) is not counted: Arrive returns [ErrNotIP]. It ignores
// Arrive's now and measures windows on its own monotonic
// [MemoryConfig.Clock].
//
// Memory is bounded: at most MaxEntries counts, in room for
// MaxEntries/PerAddress addresses with PerAddress counts each. Each
// arrival takes O(PerAddress) work under the lock of one of up to 64
// shards, and a few short locks of the prefix tables, never a lock over
// the whole table. One address cannot evict another's counts: an address
// only ever replaces its own; an address whose counts have all expired
// gives its room to a new one (each arrival looks at up to [sweep]
// addresses of its shard, oldest first, so expired ones are found whatever
// windows the others count); and while the table is full of live counts, a
// new address goes uncounted until room frees up: Arrive returns an error
// wrapping [ErrNoRoom], which the guard reports. One network cannot fill
// the table: an IPv6 /56 holds at most 1/64 of the addresses' room, a /48
// 1/16 and a /32 1/4; an IPv4 /24 1/64 and a /16 1/16, of live addresses
// (a network whose windows have all ended takes new ones at once). Past
// its share a network's new addresses go uncounted (ErrNoRoom) while
// everyone else's are counted.
type MemoryCounter struct {
	perAddress int
	nat64      []netip.Prefix
	clock      func() time.Duration
	seed       maphash.Seed
	mask       uint64
	shards     []memoryShard
	prefixes   prefixTable
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
	nets       []prefixKey // the networks whose share it takes
	end        int64       // when the last of its windows ends, on the clock
	prev, next *memoryAddr
	slots      []memorySlot // at most perAddress
}

type memorySlot struct {
	key        uint64 // maphash of the key
	start, end int64  // the window, on the clock
	count      int
}

const (
	defaultMaxEntries = 10000
	defaultPerAddress = 8
	maxShards         = 64
	minShardAddrs     = 64 // fewer shards rather than smaller ones
	// sweep is how many addresses an arrival looks at, so that expired
	// ones give their room and their network's share back without a
	// sweeper goroutine.
	sweep = 4
	// minShare is the least room a network gets, however small the table.
	minShare = 4
)

// NewMemoryCounter validates cfg and builds a MemoryCounter. Invalid
// configuration is an error wrapping [ErrConfig].
func NewMemoryCounter(cfg MemoryConfig) (*MemoryCounter, error) {
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = defaultMaxEntries
	}
	if cfg.PerAddress == 0 {
		cfg.PerAddress = min(defaultPerAddress, max(cfg.MaxEntries, 1))
	}
	if cfg.NAT64 == nil {
		cfg.NAT64 = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96")}
	}
	switch {
	case cfg.MaxEntries < 1:
		return nil, fmt.Errorf("%w: MemoryCounter MaxEntries %d is below 1", ErrConfig, cfg.MaxEntries)
	case cfg.PerAddress < 1 || cfg.PerAddress > cfg.MaxEntries:
		return nil, fmt.Errorf("%w: MemoryCounter PerAddress %d is not within 1..MaxEntries (%d)", ErrConfig, cfg.PerAddress, cfg.MaxEntries)
	}
	for _, p := range cfg.NAT64 {
		if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() != 96 || p.Masked() != p {
			return nil, fmt.Errorf("%w: NAT64 prefix %v is not an IPv6 /96", ErrConfig, p)
		}
	}
	if cfg.Clock == nil {
		origin := time.Now()
		cfg.Clock = func() time.Duration { return time.Since(origin) }
	}
	addrs := cfg.MaxEntries / cfg.PerAddress
	n := 1
	for n < maxShards && addrs/(2*n) >= minShardAddrs {
		n *= 2
	}
	m := &MemoryCounter{
		perAddress: cfg.PerAddress,
		nat64:      cfg.NAT64,
		clock:      cfg.Clock,
		seed:       maphash.MakeSeed(),
		mask:       uint64(n - 1),
		shards:     make([]memoryShard, n),
	}
	m.prefixes.init(addrs)
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
// brackets or not.
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

// ipClient writes into id who the IP address host is counted as (NUL, '4'
// and the IPv4 address, or NUL, '6' and the /64; no text host starts with
// NUL) and into nets the networks holding it; it returns the lengths used,
// or zeros when host is no IP address.
func (m *MemoryCounter) ipClient(host string, id *[10]byte, nets *[3]prefixKey) (idLen, netsLen int) {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return 0, 0
	}
	a = a.Unmap()
	for _, p := range m.nat64 {
		if p.Contains(a) {
			b := a.As16()
			a = netip.AddrFrom4([4]byte(b[12:]))
			break
		}
	}
	if a.Is4() {
		b := a.As4()
		id[1] = '4'
		copy(id[2:], b[:])
		nets[0], nets[1] = netOf(a, 24), netOf(a, 16)
		return 6, 2
	}
	b := a.As16()
	id[1] = '6'
	copy(id[2:], b[:8])
	nets[0], nets[1], nets[2] = netOf(a, 56), netOf(a, 48), netOf(a, 32)
	return 10, 3
}

// ErrNotIP is returned by [MemoryCounter.Arrive] for a request whose remote
// address is no IP address, such as a Unix socket's, which every peer
// shares: counting it would make strangers spend each other's count.
var ErrNotIP = errors.New("loopguard: the remote address is no IP address; the memory counter cannot tell its browsers apart")

// ErrNoRoom is wrapped by the error [MemoryCounter.Arrive] returns for a new
// address that finds no room: the table is full of live counts, or the
// address's network holds its share.
var ErrNoRoom = errors.New("loopguard: the memory counter has no room for a new address")

// Arrive implements [Counter]; it never touches w and ignores now (windows
// are measured on the counter's monotonic clock).
func (m *MemoryCounter) Arrive(_ http.ResponseWriter, r *http.Request, key string, _ time.Time, window time.Duration) (int, error) {
	var ip [10]byte
	var netBuf [3]prefixKey
	host := hostOf(r.RemoteAddr)
	n, netsLen := m.ipClient(host, &ip, &netBuf)
	nets := netBuf[:netsLen]
	if n == 0 {
		return 0, ErrNotIP
	}
	// id is who the arrival is counted as, built here so that it stays on
	// the stack.
	id := string(ip[:n])
	k := maphash.String(m.seed, key)
	t := int64(m.clock())
	end := t + int64(window)
	s := &m.shards[maphash.String(m.seed, id)&m.mask]

	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(t, &m.prefixes)
	a := s.addrs[id]
	if a == nil {
		// No room, or the network's share is taken: uncounted rather
		// than evict another's.
		if len(s.addrs) >= s.maxAddrs {
			return 0, fmt.Errorf("%w: the table is full of live counts", ErrNoRoom)
		}
		if !m.prefixes.take(nets, t, end) {
			return 0, fmt.Errorf("%w: its network holds its share", ErrNoRoom)
		}
		a = &memoryAddr{host: strings.Clone(id), nets: append([]prefixKey(nil), nets...), slots: make([]memorySlot, 0, m.perAddress)}
		s.addrs[a.host] = a
		s.pushBack(a)
	}
	for i := range a.slots {
		sl := &a.slots[i]
		if sl.key != k {
			continue
		}
		if t >= sl.end {
			*sl = memorySlot{key: k, start: t, end: end, count: 1} // a new window
			s.started(a, end)
			m.prefixes.extend(a.nets, end)
			return 1, nil
		}
		sl.count++
		return sl.count, nil
	}
	if len(a.slots) < m.perAddress {
		a.slots = append(a.slots, memorySlot{key: k, start: t, end: end, count: 1})
	} else {
		oldest := 0 // the address's own oldest, expired or not
		for i := range a.slots {
			if a.slots[i].start < a.slots[oldest].start {
				oldest = i
			}
		}
		a.slots[oldest] = memorySlot{key: k, start: t, end: end, count: 1}
	}
	s.started(a, end)
	m.prefixes.extend(a.nets, end)
	return 1, nil
}

// sweep looks at up to [sweep] addresses from the head of the list: one
// whose windows have all ended is freed, giving its network's share back;
// a live one moves to the tail, so that a long window never hides the
// expired addresses behind it.
func (s *memoryShard) sweep(t int64, prefixes *prefixTable) {
	for range sweep {
		a := s.head
		if a == nil {
			return
		}
		s.unlink(a)
		if t < a.end {
			s.pushBack(a)
			continue
		}
		delete(s.addrs, a.host)
		prefixes.give(a.nets)
	}
}

// started records that one of a's windows runs until end: a moves to the
// tail, keeping the list ordered by when windows started.
func (s *memoryShard) started(a *memoryAddr, end int64) {
	a.end = max(a.end, end)
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

// prefixKey is a network: its address masked to bits, and bits.
type prefixKey struct {
	addr netip.Addr
	bits uint8
}

func netOf(a netip.Addr, bits int) prefixKey {
	p, _ := a.Prefix(bits) // bits always fits a's family
	return prefixKey{addr: p.Addr(), bits: uint8(bits)}
}

// prefixTable counts how many addresses each network holds, in shards of
// their own, so that one network's share is bounded across every shard of
// the address table.
type prefixTable struct {
	seed   maphash.Seed
	addrs  int // the room for addresses in the whole table
	shards [maxShards]struct {
		mu   sync.Mutex
		held map[prefixKey]held
		_    [64]byte
	}
}

// held is what one network holds: how many addresses, and when the last of
// their windows ends.
type held struct {
	n   int
	end int64
}

func (p *prefixTable) init(addrs int) {
	p.seed, p.addrs = maphash.MakeSeed(), addrs
	for i := range p.shards {
		p.shards[i].held = make(map[prefixKey]held)
	}
}

// share is the most addresses one network of n's length holds.
func (p *prefixTable) share(n prefixKey) int {
	switch n.bits {
	case 56, 24: // an IPv6 subscriber, an IPv4 /24
		return max(p.addrs/64, minShare)
	case 48, 16: // an IPv6 site, an IPv4 /16
		return max(p.addrs/16, minShare)
	}
	return max(p.addrs/4, minShare) // an IPv6 /32: a provider
}

func (p *prefixTable) shard(n prefixKey) int {
	b := n.addr.As16()
	return int((maphash.Bytes(p.seed, b[:]) ^ uint64(n.bits)) % maxShards)
}

// take counts one more address, whose window ends at end, in each of nets,
// or none when one of them holds its share of live addresses already. A
// network whose windows have all ended by t takes more at once: its
// expired addresses are freed by the sweep later, and the table's own
// bound still holds.
func (p *prefixTable) take(nets []prefixKey, t, end int64) bool {
	for i, n := range nets {
		sh := &p.shards[p.shard(n)]
		sh.mu.Lock()
		h := sh.held[n]
		ok := h.n < p.share(n) || h.end <= t
		if ok {
			sh.held[n] = held{n: h.n + 1, end: max(h.end, end)}
		}
		sh.mu.Unlock()
		if !ok {
			p.give(nets[:i])
			return false
		}
	}
	return true
}

// give counts one address less in each of nets.
func (p *prefixTable) give(nets []prefixKey) {
	for _, n := range nets {
		sh := &p.shards[p.shard(n)]
		sh.mu.Lock()
		if h := sh.held[n]; h.n <= 1 {
			delete(sh.held, n)
		} else {
			sh.held[n] = held{n: h.n - 1, end: h.end}
		}
		sh.mu.Unlock()
	}
}

// extend records that a window of an address in nets runs until end.
func (p *prefixTable) extend(nets []prefixKey, end int64) {
	for _, n := range nets {
		sh := &p.shards[p.shard(n)]
		sh.mu.Lock()
		if h, ok := sh.held[n]; ok && h.end < end {
			sh.held[n] = held{n: h.n, end: end}
		}
		sh.mu.Unlock()
	}
}
