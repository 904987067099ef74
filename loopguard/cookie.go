package loopguard

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authredirect/authredirect/render"
)

// CookieConfig configures [NewCookieCounter].
type CookieConfig struct {
	// Keys sign and verify the cookie with HMAC-SHA256: the first signs,
	// any of them verifies, so a fleet rotates keys without a flag day (add
	// the new key second, then move it first everywhere, then drop the
	// old one). At least one; each at least 32 bytes; the same on every
	// instance that must agree.
	Keys [][]byte
	// BehindTLSProxy treats every request as TLS: the cookie is Secure and
	// named with the __Host- prefix.
	BehindTLSProxy bool
	// MaxClients bounds how many clients one cookie counts; a new client
	// drops the one whose window started first. Default 8; at most 43, the
	// most whose cookie stays within the 1 KiB that is read back.
	MaxClients int
	// Name is the cookie's name, "authredirect_loop" by default (on TLS
	// with the __Host- prefix, which the counter adds): at most 64
	// characters of a cookie token. Counters that one browser reaches on
	// one host share Keys, or each has a Name of its own: a counter takes a
	// cookie signed with other keys for forged and writes over it, so two
	// such counters under one name erase each other's counts and never
	// trip. Building a second counter under a name with other keys is
	// logged (slog, once per name).
	Name string
}

// CookieCounter is a stateless [Counter]: the counts live in a cookie signed
// with HMAC-SHA256, so any number of instances sharing the keys agree
// without shared storage. The cookie holds, per client, a hash of the key
// (client ids are not revealed), the start of its window and the count; it
// is HttpOnly, SameSite=Lax, Path=/ and lives as long as the window. On TLS
// requests it is Secure and named __Host-authredirect_loop (or __Host- and
// [CookieConfig.Name]); on plain http it is authredirect_loop without
// Secure, which browsers would drop there.
//
// A missing, garbled, forged, expired or oversized cookie counts as no
// arrivals: never an error. Several arrivals counted in one request (the
// guard's and a handler's own [Guard.Count]) end in one Set-Cookie holding
// all of them: a later Arrive reads the Set-Cookie line this counter put on
// w and replaces it in place.
type CookieCounter struct {
	tls              bool
	maxClients       int
	name, secureName string
	pool             sync.Pool // of *cookieState, each with the keys' HMACs built once
}

const (
	cookieName        = "authredirect_loop"
	maxCookieName     = 64
	cookieVersion     = 1
	bucketSize        = 8 + 8 + 1 // key hash, window start (unix ns), count
	macSize           = sha256.Size
	maxCookieValue    = 1024 // longer values are not even decoded
	defaultMaxClients = 8
	// maxClients is the most buckets whose cookie value, in unpadded
	// base64, stays within maxCookieValue: 43.
	maxClients = (maxCookieValue*3/4 - 1 - macSize) / bucketSize
	// maxScannedCookies keeps the in-place scan of Cookie headers well
	// below net/http's limit on the number of cookies (3000 by default;
	// GODEBUG httpcookiemaxnum), past which r.Cookie finds none: longer
	// headers are read with r.Cookie.
	maxScannedCookies = 1000
)

// NewCookieCounter validates cfg and builds a CookieCounter. Invalid
// configuration is an error wrapping [render.ErrConfig].
func NewCookieCounter(cfg CookieConfig) (*CookieCounter, error) {
	if cfg.MaxClients == 0 {
		cfg.MaxClients = defaultMaxClients
	}
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: the cookie counter needs at least one key", render.ErrConfig)
	}
	for i, k := range cfg.Keys {
		if len(k) < 32 {
			return nil, fmt.Errorf("%w: cookie key %d has %d bytes, at least 32 are needed", render.ErrConfig, i, len(k))
		}
		for j := range i {
			if bytes.Equal(cfg.Keys[j], k) {
				return nil, fmt.Errorf("%w: cookie keys %d and %d are the same (a rotation gone wrong?)", render.ErrConfig, j, i)
			}
		}
	}
	if cfg.MaxClients < 1 || cfg.MaxClients > maxClients {
		return nil, fmt.Errorf("%w: MaxClients %d is not within 1..%d (a cookie of more would not be read back)", render.ErrConfig, cfg.MaxClients, maxClients)
	}
	if cfg.Name == "" {
		cfg.Name = cookieName
	}
	if !validCookieName(cfg.Name) {
		return nil, fmt.Errorf("%w: cookie name %q is not 1 to %d token characters without a __Host- or __Secure- prefix", render.ErrConfig, cfg.Name, maxCookieName)
	}
	return newCookieCounter(cfg.Keys, cfg.BehindTLSProxy, cfg.MaxClients, cfg.Name), nil
}

func newCookieCounter(keys [][]byte, tls bool, max int, name string) *CookieCounter {
	warnOnKeyClash(name, keys)
	own := make([][]byte, len(keys))
	for i, k := range keys {
		own[i] = append([]byte(nil), k...)
	}
	c := &CookieCounter{tls: tls, maxClients: max, name: name, secureName: "__Host-" + name}
	c.pool.New = func() any {
		st := &cookieState{macs: make([]hash.Hash, len(own)), buckets: make([]bucket, 0, max+1), macPrefix: []byte(name)}
		for i, k := range own {
			st.macs[i] = hmac.New(sha256.New, k)
		}
		return st
	}
	return c
}

// validCookieName reports whether name is an RFC 6265 token of at most
// maxCookieName bytes that does not claim a prefix the counter adds, in
// any case (RFC 6265bis matches the prefixes case-insensitively).
func validCookieName(name string) bool {
	if name == "" || len(name) > maxCookieName || hasPrefixFold(name, "__Host-") || hasPrefixFold(name, "__Secure-") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// cookieKeys holds, per cookie name, the key set of the first counter built
// under it in this process, and clashes the names already warned of.
var cookieKeys, clashes sync.Map

// warnOnKeyClash logs, once per name, a counter built under a name that a
// counter with other keys already uses: see [CookieConfig.Name].
func warnOnKeyClash(name string, keys [][]byte) {
	sorted := make([]string, len(keys))
	for i, k := range keys {
		sorted[i] = string(k)
	}
	slices.Sort(sorted)
	h := sha256.New()
	for _, k := range sorted { // each with its length: keys are any bytes
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(k))))
		h.Write([]byte(k))
	}
	var set [sha256.Size]byte
	h.Sum(set[:0])
	if first, loaded := cookieKeys.LoadOrStore(name, set); loaded && first != set {
		if _, warned := clashes.LoadOrStore(name, true); !warned {
			slog.Warn("authredirect/loopguard: two cookie counters share a cookie name with different keys; each will take the other's cookie for forged and neither will trip: share the keys or set CookieConfig.Name", "name", name)
		}
	}
}

// cookieState is one Arrive's scratch space, pooled per counter.
type cookieState struct {
	macs    []hash.Hash // one per key, the signing key first; Reset before use
	value   []byte      // the cookie value read
	raw     []byte      // the value decoded, then the payload written
	sum     []byte      // a MAC
	line    []byte      // the Set-Cookie line
	buckets []bucket
	// macPrefix is what every MAC starts with: the plain cookie name,
	// whatever name the cookie goes by.
	macPrefix []byte
}

// bucket is one client's count.
type bucket struct {
	hash  uint64
	start int64 // unix nanoseconds
	count uint8
}

// Arrive implements [Counter].
func (c *CookieCounter) Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	secure := c.tls || r.TLS != nil
	name := c.name
	if secure {
		name = c.secureName // browsers keep it only from https
	}
	st := c.pool.Get().(*cookieState)
	defer c.pool.Put(st)

	// A count made earlier in this request is newer than the request's cookie.
	header := w.Header()
	lines := header["Set-Cookie"]
	pending := -1
	for i, l := range lines {
		if len(l) > len(name) && l[len(name)] == '=' && strings.HasPrefix(l, name) {
			pending = i
		}
	}
	st.buckets = st.buckets[:0]
	read := false
	if pending >= 0 {
		v := lines[pending][len(name)+1:]
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[:i]
		}
		read = c.decode(st, v, now, window)
	}
	if !read {
		if v, ok := requestCookie(r, name); ok {
			c.decode(st, v, now, window)
		}
	}

	h := keyHash(key)
	n := 1
	found := false
	buckets := st.buckets
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
		buckets = append(buckets, bucket{hash: h, start: now.UnixNano(), count: 1})
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
	st.buckets = buckets

	// Max-Age rounded up: the cookie must outlive the window it counts.
	line := c.setCookie(st, name, secure, int((window+time.Second-1)/time.Second))
	if pending >= 0 {
		lines[pending] = line // this response's own slice: replaced in place
	} else {
		header["Set-Cookie"] = append(lines, line)
	}
	return n
}

// setCookie returns the Set-Cookie line of st.buckets, byte for byte what
// http.Cookie's String makes of the same cookie.
func (c *CookieCounter) setCookie(st *cookieState, name string, secure bool, maxAge int) string {
	payload := append(st.raw[:0], cookieVersion)
	for _, b := range st.buckets {
		payload = binary.BigEndian.AppendUint64(payload, b.hash)
		payload = binary.BigEndian.AppendUint64(payload, uint64(b.start))
		payload = append(payload, b.count)
	}
	payload = append(payload, st.mac(0, payload)...)
	st.raw = payload

	line := append(st.line[:0], name...)
	line = append(line, '=')
	line = base64.RawURLEncoding.AppendEncode(line, payload)
	line = append(line, "; Path=/"...)
	switch {
	case maxAge > 0:
		line = append(line, "; Max-Age="...)
		line = strconv.AppendInt(line, int64(maxAge), 10)
	case maxAge < 0:
		line = append(line, "; Max-Age=0"...)
	}
	line = append(line, "; HttpOnly"...)
	if secure {
		line = append(line, "; Secure"...)
	}
	line = append(line, "; SameSite=Lax"...)
	st.line = line
	return string(line)
}

// mac returns the MAC of payload under key i, in st.sum.
func (st *cookieState) mac(i int, payload []byte) []byte {
	m := st.macs[i]
	m.Reset()
	m.Write(st.macPrefix)
	m.Write(payload)
	st.sum = m.Sum(st.sum[:0])
	return st.sum
}

// decode reads into st.buckets the buckets of a cookie value that one of
// the keys signed and whose windows are still open at now; it reports
// whether the value was signed and well formed. Anything else yields none.
func (c *CookieCounter) decode(st *cookieState, value string, now time.Time, window time.Duration) bool {
	st.buckets = st.buckets[:0]
	if len(value) > maxCookieValue {
		return false
	}
	st.value = append(st.value[:0], value...)
	raw, err := base64.RawURLEncoding.AppendDecode(st.raw[:0], st.value)
	st.raw = raw
	if err != nil || len(raw) < 1+macSize {
		return false
	}
	payload, sig := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	signed := false
	for i := range st.macs {
		if hmac.Equal(sig, st.mac(i, payload)) {
			signed = true
			break
		}
	}
	if !signed || payload[0] != cookieVersion || (len(payload)-1)%bucketSize != 0 {
		return false
	}
	if (len(payload)-1)/bucketSize > c.maxClients {
		return false
	}
	for p := payload[1:]; len(p) > 0; p = p[bucketSize:] {
		b := bucket{
			hash:  binary.BigEndian.Uint64(p),
			start: int64(binary.BigEndian.Uint64(p[8:])),
			count: p[16],
		}
		age := now.UnixNano() - b.start
		if age < 0 && -age < int64(window) {
			// Set by an instance whose clock runs ahead by less than a
			// window: fleet skew. It still counts, its window from now.
			age, b.start = 0, now.UnixNano()
		}
		if age < 0 || age >= int64(window) || b.count == 0 {
			continue // expired, or from a clock we cannot trust
		}
		st.buckets = append(st.buckets, b)
	}
	return true
}

// requestCookie is r.Cookie(name)'s value, found without allocating: the
// first cookie of that name whose value is valid, unquoted.
func requestCookie(r *http.Request, name string) (string, bool) {
	lines := r.Header["Cookie"]
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n >= maxScannedCookies {
		ck, err := r.Cookie(name)
		if err != nil {
			return "", false
		}
		return ck.Value, true
	}
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(part, "=")
			if trimSpace(k) != name {
				continue
			}
			if v, ok := cookieValue(trimRight(v)); ok { // net/http keeps leading space in a value
				return v, true
			}
		}
	}
	return "", false
}

// cookieValue is net/http's reading of a cookie value: surrounding double
// quotes stripped, and only valid bytes.
func cookieValue(v string) (string, bool) {
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return v, true
}

// trimSpace trims ASCII space as net/textproto.TrimString does.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	return trimRight(s)
}

func trimRight(s string) string {
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func keyHash(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])
}
