package bench

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/loopguard"
)

var loopKey = []byte("0123456789abcdef0123456789abcdef")

// The loop guard's cost per request through a Recoverer route, the guard and a
// handler: not counted, counted with a fresh cookie, and counted with a
// cookie that already counts 7 clients; "legacy" is the same guard with
// the cookie counter as it was before the rebuild (legacyCookieCounter),
// the baseline of the same run.
func BenchmarkLoopGuard(b *testing.B) {
	rebuilt, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{loopKey}})
	if err != nil {
		b.Fatal(err)
	}
	for _, counter := range []struct {
		name string
		c    loopguard.Counter
	}{
		{"legacy", &legacyCookieCounter{key: loopKey, maxClients: 8}},
		{"rebuilt", rebuilt},
	} {
		now := time.Now() // a fixed clock: the cookie's counts never expire during the run
		guard, err := loopguard.New(loopguard.Config{Counter: counter.c, Limit: 250, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		rec := recoverer(b).Authorization
		h := alice.New(rec, guard.Middleware).ThenFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

		var full *http.Cookie // a cookie counting 7 other clients
		for i := 0; i < 7; i++ {
			rr := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=client-"+strconv.Itoa(i), nil)
			if full != nil {
				req.AddCookie(full)
			}
			h.ServeHTTP(rr, req)
			full = rr.Result().Cookies()[0]
		}
		for _, c := range []struct {
			name, target string
			cookie       *http.Cookie
		}{
			{"not-counted", "/oauth/authorize?response_type=code", nil},
			{"counted-fresh-cookie", "/oauth/authorize?client_id=demo", nil},
			{"counted-cookie-with-7-clients", "/oauth/authorize?client_id=demo", full},
		} {
			b.Run(c.name+"/"+counter.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, c.target, nil)
				if c.cookie != nil {
					req.AddCookie(c.cookie)
				}
				w := newWriter()
				b.ReportAllocs()
				for b.Loop() {
					w.reset()
					h.ServeHTTP(w, req)
				}
			})
		}
	}
}

// The in-memory counter's cost of a new key once its table is full, at 10
// and at 10,000 entries: the legacy counter scans the table, the rebuilt
// one replaces the address's own oldest count.
func BenchmarkMemoryCounter_NewKeyInAFullTable(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "junk-" + strconv.Itoa(i)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	const window = time.Hour // nothing expires during the run
	for _, entries := range []int{10, 10000} {
		rebuilt, err := loopguard.NewMemoryCounter(loopguard.MemoryConfig{MaxEntries: entries, PerAddress: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, counter := range []struct {
			name string
			c    loopguard.Counter
		}{
			{"legacy", &legacyMemoryCounter{max: entries, entries: map[string]legacyMemoryEntry{}}},
			{"rebuilt", rebuilt},
		} {
			reqs := make([]*http.Request, entries)
			for i := range reqs {
				reqs[i] = httptest.NewRequest(http.MethodGet, "/", nil)
				reqs[i].RemoteAddr = "10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255) + ":1234"
				counter.c.Arrive(nil, reqs[i], "seed", now, window) // fills the table
			}
			b.Run("entries="+strconv.Itoa(entries)+"/"+counter.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					counter.c.Arrive(nil, reqs[i%entries], keys[i&(len(keys)-1)], now, window)
					i++
				}
			})
		}
	}
}

// legacyCookieCounter is the cookie counter before the rebuild
// (middleware/cookiecounter.go at a9efed8), the benchmarks' baseline.
type legacyCookieCounter struct {
	key        []byte
	tls        bool
	maxClients int
}

type legacyBucket struct {
	hash  uint64
	start int64
	count uint8
}

func (c *legacyCookieCounter) Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	secure := c.tls || r.TLS != nil
	name := "authredirect_loop"
	if secure {
		name = "__Host-authredirect_loop"
	}
	var buckets []legacyBucket
	if ck, err := r.Cookie(name); err == nil {
		buckets = c.decode(ck.Value, now, window)
	}
	sum := sha256.Sum256([]byte(key))
	h := binary.BigEndian.Uint64(sum[:8])
	n := 1
	found := false
	for i := range buckets {
		if buckets[i].hash == h {
			if buckets[i].count < 255 {
				buckets[i].count++
			}
			n, found = int(buckets[i].count), true
			break
		}
	}
	if !found {
		buckets = append(buckets, legacyBucket{hash: h, start: now.UnixNano(), count: 1})
		if len(buckets) > c.maxClients {
			oldest := 0
			for i := range buckets {
				if buckets[i].start < buckets[oldest].start {
					oldest = i
				}
			}
			buckets = append(buckets[:oldest], buckets[oldest+1:]...)
		}
	}
	w.Header().Add("Set-Cookie", (&http.Cookie{
		Name: name, Value: c.encode(buckets), Path: "/", MaxAge: int(window / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}).String())
	return n
}

func (c *legacyCookieCounter) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("authredirect_loop"))
	m.Write(payload)
	return m.Sum(nil)
}

func (c *legacyCookieCounter) encode(buckets []legacyBucket) string {
	payload := make([]byte, 1, 1+len(buckets)*17+32)
	payload[0] = 1
	for _, b := range buckets {
		payload = binary.BigEndian.AppendUint64(payload, b.hash)
		payload = binary.BigEndian.AppendUint64(payload, uint64(b.start))
		payload = append(payload, b.count)
	}
	return base64.RawURLEncoding.EncodeToString(append(payload, c.mac(payload)...))
}

func (c *legacyCookieCounter) decode(value string, now time.Time, window time.Duration) []legacyBucket {
	if len(value) > 1024 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < 1+32 {
		return nil
	}
	payload, sig := raw[:len(raw)-32], raw[len(raw)-32:]
	if !hmac.Equal(sig, c.mac(payload)) || payload[0] != 1 || (len(payload)-1)%17 != 0 {
		return nil
	}
	n := (len(payload) - 1) / 17
	if n > c.maxClients {
		return nil
	}
	buckets := make([]legacyBucket, 0, n+1)
	for p := payload[1:]; len(p) > 0; p = p[17:] {
		b := legacyBucket{hash: binary.BigEndian.Uint64(p), start: int64(binary.BigEndian.Uint64(p[8:])), count: p[16]}
		age := now.UnixNano() - b.start
		if age < 0 || age >= int64(window) || b.count == 0 {
			continue
		}
		buckets = append(buckets, b)
	}
	return buckets
}

// legacyMemoryCounter is the in-memory counter before the rebuild
// (middleware/memorycounter.go at a9efed8): one lock, and a scan of the
// whole table for each new key once it is full.
type legacyMemoryCounter struct {
	max     int
	mu      sync.Mutex
	entries map[string]legacyMemoryEntry
}

type legacyMemoryEntry struct {
	start time.Time
	count int
}

func (m *legacyMemoryCounter) Arrive(_ http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	id := host + "\x00" + key
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok || now.Sub(e.start) >= window || now.Before(e.start) {
		e = legacyMemoryEntry{start: now}
		if !ok && len(m.entries) >= m.max {
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
	}
	e.count++
	m.entries[id] = e
	return e.count
}
