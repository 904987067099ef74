package loopguard

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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
	// drops the one whose window started first. Default 8; at most 34, the
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

// CookieCounter is a stateless [Counter] that counts per browser: the
// counts live in a cookie signed with HMAC-SHA256 (over its name too), so
// any number of instances sharing the keys agree without storage. It is
// HttpOnly, SameSite=Lax, Path=/, and lives as long as the window; on TLS it
// is Secure and named __Host-authredirect_loop, which no other host can
// set. A missing, garbled, forged, expired or oversized cookie counts as no
// arrivals, never an error; of several cookies of the name, the most
// recently written that verifies wins. All arrivals of one request end in
// one Set-Cookie. docs/guide.md says what a sibling host can still do on
// plain http.
type CookieCounter struct {
	keys             []hmacKey // the first signs
	tls              bool
	maxClients       int
	name, secureName string
}

const (
	cookieName        = "authredirect_loop"
	maxCookieName     = 64
	cookieVersion     = 2
	headerSize        = 1 + 8         // version, when written (unix ns)
	bucketSize        = 8 + 8 + 4 + 1 // key hash, window start (unix ns), window (ms), count
	macSize           = sha256.Size
	maxCookieValue    = 1024 // longer values are not even decoded
	defaultMaxClients = 8
	// maxClients is the most buckets whose cookie value, in unpadded
	// base64, stays within maxCookieValue: 34.
	maxClients = (maxCookieValue*3/4 - headerSize - macSize) / bucketSize
	// maxVerified bounds the signatures checked per request, however many
	// well-formed values of the name a request carries.
	maxVerified = 16
)

// NewCookieCounter validates cfg and builds a CookieCounter. Invalid
// configuration is an error wrapping [ErrConfig].
func NewCookieCounter(cfg CookieConfig) (*CookieCounter, error) {
	if cfg.MaxClients == 0 {
		cfg.MaxClients = defaultMaxClients
	}
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: the cookie counter needs at least one key", ErrConfig)
	}
	for i, k := range cfg.Keys {
		if len(k) < 32 {
			return nil, fmt.Errorf("%w: cookie key %d has %d bytes, at least 32 are needed", ErrConfig, i, len(k))
		}
		for j := range i {
			if bytes.Equal(cfg.Keys[j], k) {
				return nil, fmt.Errorf("%w: cookie keys %d and %d are the same (a rotation gone wrong?)", ErrConfig, j, i)
			}
		}
	}
	if cfg.MaxClients < 1 || cfg.MaxClients > maxClients {
		return nil, fmt.Errorf("%w: MaxClients %d is not within 1..%d (a cookie of more would not be read back)", ErrConfig, cfg.MaxClients, maxClients)
	}
	if cfg.Name == "" {
		cfg.Name = cookieName
	}
	if !validCookieName(cfg.Name) {
		return nil, fmt.Errorf("%w: cookie name %q is not 1 to %d token characters without a __Host- or __Secure- prefix", ErrConfig, cfg.Name, maxCookieName)
	}
	return newCookieCounter(cfg.Keys, cfg.BehindTLSProxy, cfg.MaxClients, cfg.Name), nil
}

func newCookieCounter(keys [][]byte, tls bool, max int, name string) *CookieCounter {
	warnOnKeyClash(name, keys)
	hk := make([]hmacKey, len(keys))
	for i, k := range keys {
		hk[i] = newHMACKey(k)
	}
	return &CookieCounter{keys: hk, tls: tls, maxClients: max, name: name, secureName: "__Host-" + name}
}

// validCookieName reports whether name is an RFC 6265 token of at most
// maxCookieName bytes that does not claim a prefix the counter adds, in
// any case (browsers match the prefixes case-insensitively).
func validCookieName(name string) bool {
	if len(name) > maxCookieName || hasPrefixFold(name, "__Host-") || hasPrefixFold(name, "__Secure-") {
		return false
	}
	return (&http.Cookie{Name: name, Value: "1"}).Valid() == nil // net/http's own token check
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

// bucket is one key's count, in a window of its own: guards with
// different windows share a cookie without cutting each other's short.
type bucket struct {
	hash   uint64
	start  int64  // unix nanoseconds
	window uint32 // milliseconds
	count  uint8
}

// end is when b's window ends, in unix nanoseconds.
func (b bucket) end() int64 { return b.start + int64(b.window)*int64(time.Millisecond) }

// Arrive implements [Counter]; it never fails.
func (c *CookieCounter) Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) (int, error) {
	secure := c.tls || r.TLS != nil
	name := c.name
	if secure {
		name = c.secureName // browsers keep it only from https
	}

	// A count made earlier in this request is newer than the request's cookie.
	header := w.Header()
	lines := header["Set-Cookie"]
	pending := -1
	var space [maxClients + 1]bucket // room for the arrival's own
	var buckets []bucket
	for i, l := range lines {
		if ck, err := http.ParseSetCookie(l); err == nil && ck.Name == name {
			pending = i
			buckets, _, _ = c.decodeInto(space[:0], name, ck.Value, now)
		}
	}
	if pending < 0 {
		buckets = c.read(space[:0], r, name, now)
	}

	h := keyHash(key)
	n := 0
	for i := range buckets {
		if buckets[i].hash == h {
			buckets[i].count = min(buckets[i].count, 254) + 1
			n = int(buckets[i].count)
		}
	}
	if n == 0 {
		n = 1
		buckets = append(buckets, bucket{hash: h, start: now.UnixNano(), window: uint32(min(window.Milliseconds(), math.MaxUint32)), count: 1})
		if len(buckets) > c.maxClients {
			oldest := 0
			for i := range buckets {
				if buckets[i].start < buckets[oldest].start {
					oldest = i
				}
			}
			buckets = slices.Delete(buckets, oldest, oldest+1)
		}
	}

	last := now.UnixNano()
	for _, b := range buckets {
		last = max(last, b.end())
	}
	maxAge := (time.Duration(last-now.UnixNano()) + time.Second - 1) / time.Second // the cookie outlives every window it counts
	var buf [len("__Host-") + maxCookieName + 1 + maxCookieValue + 64]byte
	line := string(appendAttributes(c.appendValue(append(append(buf[:0], name...), '='), name, buckets, now), int(maxAge), secure))
	lines = slices.Clone(lines) // a handler's slice may be shared: this answer owns its own
	if pending >= 0 {
		lines[pending] = line
	} else {
		lines = append(lines, line)
	}
	header["Set-Cookie"] = lines
	return n, nil
}

// setCookie is the Set-Cookie line of the counter's cookie, byte for byte
// what http.Cookie's String makes of it (a test holds them equal). Arrive
// writes it directly, in one buffer with the value, because String
// validates and sanitizes every byte again, which the loop guard's budget
// (BENCHMARKS.md) cannot afford.
func setCookie(name, value string, maxAge int, secure bool) string {
	return string(appendAttributes([]byte(name+"="+value), maxAge, secure))
}

// appendAttributes appends the attributes of the counter's cookie.
func appendAttributes(b []byte, maxAge int, secure bool) []byte {
	b = append(b, "; Path=/; Max-Age="...)
	b = strconv.AppendInt(b, int64(maxAge), 10)
	b = append(b, "; HttpOnly"...)
	if secure {
		b = append(b, "; Secure"...)
	}
	return append(b, "; SameSite=Lax"...)
}

// read returns, appended to dst, the buckets of the request's cookies
// named name: of the values one of the keys signed, the most recently
// written; none when no value is signed.
func (c *CookieCounter) read(dst []bucket, r *http.Request, name string, now time.Time) []bucket {
	// Only the last maxVerified values of the right length are checked, the
	// last first: a browser sends cookies with longer Paths first and this
	// counter's own (Path=/) after them, so planted values cannot push it
	// past the bound on the signatures checked.
	var last [maxVerified]string
	n := 0
	cookiesNamed(r.Header, name, func(value string) {
		if wellFormed(value) { // garbage is not even checked
			last[n%maxVerified] = value
			n++
		}
	})
	best := dst[:0] // the arrival's own bucket is appended to dst's room
	var bestAt int64
	var scratch [maxClients + 1]bucket
	found := false
	for i := n - 1; i >= 0 && i >= n-maxVerified; i-- {
		if buckets, at, ok := c.decodeInto(scratch[:0], name, last[i%maxVerified], now); ok && (!found || at > bestAt) {
			best, bestAt, found = append(dst[:0], buckets...), at, true
		}
	}
	return best
}

// cookiesNamed calls yield with the value of each cookie named name in h's
// Cookie lines, in order: the values r.CookiesNamed(name) returns
// (net/http's bound on the number of cookies, thousands, aside), read in
// place as net/http reads them, since parsing every cookie into a new
// http.Cookie would cost a counted request a large part of its budget.
// name must be a valid cookie name.
func cookiesNamed(h http.Header, name string, yield func(string)) {
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			key, value, _ := strings.Cut(strings.Trim(part, " \t\r\n"), "=")
			if strings.Trim(key, " \t\r\n") != name {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if validCookieValue(value) {
				yield(value)
			}
		}
	}
}

// validCookieValue reports whether net/http accepts v as a cookie value.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if !cookieValueByte[v[i]] {
			return false
		}
	}
	return true
}

// cookieValueByte holds the bytes net/http accepts in a cookie value: a
// counted request checks every byte of its cookie, and one lookup is
// cheaper than the comparisons it replaces (BENCHMARKS.md, loop guard).
var cookieValueByte = func() (ok [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		ok[b] = b != '"' && b != ';' && b != '\\'
	}
	return ok
}()

// wellFormed reports whether a value has the length of a cookie this
// counter writes, before any decoding.
func wellFormed(value string) bool {
	n := base64.RawURLEncoding.DecodedLen(len(value))
	return len(value) <= maxCookieValue && n >= headerSize+macSize && (n-headerSize-macSize)%bucketSize == 0
}

// maxMessage is the most a MAC covers: the cookie's name, a zero byte and
// the longest payload read back.
const maxMessage = len("__Host-") + maxCookieName + 1 + maxCookieValue*3/4

// encode returns the signed cookie value of buckets, written at now.
func (c *CookieCounter) encode(name string, buckets []bucket, now time.Time) string {
	return string(c.appendValue(nil, name, buckets, now))
}

// appendValue appends the signed cookie value of buckets, written at now.
func (c *CookieCounter) appendValue(dst []byte, name string, buckets []bucket, now time.Time) []byte {
	var buf [maxMessage + macSize]byte
	msg := appendName(buf[:0], name)
	start := len(msg)
	msg = append(msg, cookieVersion)
	msg = binary.BigEndian.AppendUint64(msg, uint64(now.UnixNano()))
	for _, b := range buckets {
		msg = binary.BigEndian.AppendUint64(msg, b.hash)
		msg = binary.BigEndian.AppendUint64(msg, uint64(b.start))
		msg = binary.BigEndian.AppendUint32(msg, b.window)
		msg = append(msg, b.count)
	}
	sum := c.keys[0].sum(msg)
	return base64.RawURLEncoding.AppendEncode(dst, append(msg, sum[:]...)[start:])
}

// appendName appends what a MAC covers before the payload: the cookie's
// name, so that a value is only good under the name it was written for,
// and a zero byte.
func appendName(b []byte, name string) []byte {
	return append(append(b, name...), 0)
}

// decode is decodeInto for a new slice.
func (c *CookieCounter) decode(name, value string, now time.Time) (buckets []bucket, written int64, ok bool) {
	return c.decodeInto(make([]bucket, 0, c.maxClients+1), name, value, now)
}

// decodeInto returns, appended to dst, the buckets of a cookie value that
// one of the keys signed under name, whose windows are still open at now,
// and when the value was written; ok is false for anything else, which
// yields no buckets.
func (c *CookieCounter) decodeInto(dst []bucket, name, value string, now time.Time) (buckets []bucket, written int64, ok bool) {
	if !wellFormed(value) {
		return nil, 0, false
	}
	var src [maxCookieValue]byte // base64 decodes bytes: copied, not converted, so nothing is allocated
	var buf [maxMessage + macSize]byte
	msg := appendName(buf[:0], name)
	start := len(msg)
	n, err := base64.RawURLEncoding.Decode(buf[start:], src[:copy(src[:], value)])
	if err != nil {
		return nil, 0, false
	}
	msg, sig := buf[:start+n-macSize], buf[start+n-macSize:start+n]
	payload := msg[start:]
	if !slices.ContainsFunc(c.keys, func(k hmacKey) bool { sum := k.sum(msg); return hmac.Equal(sig, sum[:]) }) {
		return nil, 0, false
	}
	if payload[0] != cookieVersion || (len(payload)-headerSize)/bucketSize > c.maxClients {
		return nil, 0, false
	}
	written = int64(binary.BigEndian.Uint64(payload[1:]))
	buckets = dst[:0]
	for p := payload[headerSize:]; len(p) > 0; p = p[bucketSize:] {
		b := bucket{
			hash:   binary.BigEndian.Uint64(p),
			start:  int64(binary.BigEndian.Uint64(p[8:])),
			window: binary.BigEndian.Uint32(p[16:]),
			count:  p[20],
		}
		window := int64(b.window) * int64(time.Millisecond)
		age := now.UnixNano() - b.start
		if age < 0 && -age < window {
			// Set by an instance whose clock runs ahead by less than a
			// window: fleet skew. It still counts, its window from now.
			age, b.start = 0, now.UnixNano()
		}
		if age < 0 || age >= window || b.count == 0 {
			continue // expired, or from a clock we cannot trust
		}
		buckets = append(buckets, b)
	}
	return buckets, written, true
}

// hmacKey is one key of HMAC-SHA256 (RFC 2104), kept as the SHA-256
// states after the padded key blocks (crypto/hmac does the same), so that a
// MAC hashes the message and the inner sum only: crypto/hmac allocates for
// every MAC, which a counted request could not afford.
type hmacKey struct{ inner, outer []byte } // marshaled sha256 states

func newHMACKey(key []byte) hmacKey {
	if len(key) > sha256.BlockSize {
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	var ipad, opad [sha256.BlockSize]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range sha256.BlockSize {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	return hmacKey{inner: state(ipad[:]), outer: state(opad[:])}
}

// state is the marshaled state of SHA-256 after block.
func state(block []byte) []byte {
	h := sha256.New()
	h.Write(block)
	s, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha256 documents its digest as marshalable
	}
	return s
}

// sum is the HMAC-SHA256 of msg under k.
func (k *hmacKey) sum(msg []byte) [macSize]byte {
	h := sha256.New() // on the stack, its calls devirtualized: the allocation tests hold it
	var sum [macSize]byte
	restore(h, k.inner)
	h.Write(msg)
	h.Sum(sum[:0])
	restore(h, k.outer)
	h.Write(sum[:])
	h.Sum(sum[:0])
	return sum
}

func restore(h hash.Hash, state []byte) {
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		panic(err) // a state that h itself marshaled
	}
}

// keyHash is the first 8 bytes of the SHA-256 of key, which is hashed
// through a buffer on the stack: []byte(key) allocates for a key longer
// than 32 bytes, which a client id of a UUID makes.
func keyHash(key string) uint64 {
	h := sha256.New()
	var chunk [sha256.BlockSize]byte
	for key != "" {
		n := copy(chunk[:], key)
		h.Write(chunk[:n])
		key = key[n:]
	}
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}
