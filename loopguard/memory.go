package loopguard

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/authredirect/authredirect/render"
)

// MemoryCounter is a [Counter] that keeps counts in this process, for
// browsers or clients that keep no cookies, on a single instance. A browser
// is told apart by its remote IP address. Memory is bounded: at most
// MaxEntries counts are kept; expired ones are dropped first, then the
// oldest.
type MemoryCounter struct {
	max     int
	mu      sync.Mutex
	entries map[string]memoryEntry
}

type memoryEntry struct {
	start time.Time
	count int
}

// MemoryConfig configures [NewMemoryCounter].
type MemoryConfig struct {
	// MaxEntries bounds how many counts are kept; default 10000.
	MaxEntries int
}

// NewMemoryCounter validates cfg and builds a MemoryCounter.
func NewMemoryCounter(cfg MemoryConfig) (*MemoryCounter, error) {
	maxEntries := cfg.MaxEntries
	if maxEntries == 0 {
		maxEntries = 10000
	}
	if maxEntries < 1 {
		return nil, fmt.Errorf("%w: MemoryCounter maxEntries %d is below 1", render.ErrConfig, maxEntries)
	}
	return &MemoryCounter{max: maxEntries, entries: make(map[string]memoryEntry)}, nil
}

// Arrive implements [Counter]; it never touches w.
func (m *MemoryCounter) Arrive(_ http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	id := host + "\x00" + key

	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok || now.Sub(e.start) >= window || now.Before(e.start) {
		e = memoryEntry{start: now}
		if !ok && len(m.entries) >= m.max {
			m.evict(now, window)
		}
	}
	e.count++
	m.entries[id] = e
	return e.count
}

// evict makes room for one entry: every expired entry goes, and if none
// had expired, the oldest.
func (m *MemoryCounter) evict(now time.Time, window time.Duration) {
	oldestID, oldest := "", now
	for id, e := range m.entries {
		if now.Sub(e.start) >= window {
			delete(m.entries, id)
			continue
		}
		if e.start.Before(oldest) || oldestID == "" {
			oldestID, oldest = id, e.start
		}
	}
	if len(m.entries) >= m.max {
		delete(m.entries, oldestID)
	}
}

// Len is the number of counts kept, for tests and metrics.
func (m *MemoryCounter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
