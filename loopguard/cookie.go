package loopguard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"time"

	"github.com/authredirect/authredirect/render"
)

// CookieConfig configures [NewCookieCounter].
type CookieConfig struct {
	// Keys sign the cookie with HMAC-SHA256; each at least 32 bytes, the
	// same on every instance that must agree.
	Keys [][]byte
	// BehindTLSProxy treats every request as TLS: the cookie is Secure and
	// named with the __Host- prefix.
	BehindTLSProxy bool
	// MaxClients bounds how many clients one cookie counts; the oldest is
	// dropped first. Default 8, at most 64.
	MaxClients int
}

// CookieCounter is a stateless [Counter]: the counts live in a cookie signed
// with HMAC-SHA256, so any number of instances sharing the key agree
// without shared storage. The cookie holds, per client, a hash of the key
// (client ids are not revealed), the start of its window and the count; it
// is HttpOnly, SameSite=Lax, Path=/ and lives as long as the window. On TLS
// requests it is Secure and named __Host-authredirect_loop; on plain http
// it is authredirect_loop without Secure, which browsers would drop there.
//
// A missing, garbled, forged, expired or oversized cookie counts as no
// arrivals: never an error.
type CookieCounter struct {
	key        []byte
	tls        bool
	maxClients int
}

const (
	cookieName       = "authredirect_loop"
	secureCookieName = "__Host-authredirect_loop"
	cookieVersion    = 1
	bucketSize       = 8 + 8 + 1 // key hash, window start (unix ns), count
	macSize          = sha256.Size
	maxCookieValue   = 1024 // longer values are not even decoded
)

// NewCookieCounter validates cfg and builds a CookieCounter.
func NewCookieCounter(cfg CookieConfig) (*CookieCounter, error) {
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 8
	}
	switch {
	case len(cfg.Keys) == 0 || len(cfg.Keys[0]) < 32:
		return nil, fmt.Errorf("%w: the cookie key must have at least 32 bytes", render.ErrConfig)
	case cfg.MaxClients < 1 || cfg.MaxClients > 64:
		return nil, fmt.Errorf("%w: MaxClients %d is not within 1..64", render.ErrConfig, cfg.MaxClients)
	}
	return &CookieCounter{key: append([]byte(nil), cfg.Keys[0]...), tls: cfg.BehindTLSProxy, maxClients: cfg.MaxClients}, nil
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
	name := cookieName
	if secure {
		name = secureCookieName // browsers keep it only from https
	}
	var buckets []bucket
	if ck, err := r.Cookie(name); err == nil {
		buckets = c.decode(ck.Value, now, window)
	}
	h := keyHash(key)
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
	w.Header().Add("Set-Cookie", (&http.Cookie{
		Name:     name,
		Value:    c.encode(buckets),
		Path:     "/",
		MaxAge:   int(window / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}).String())
	return n
}

func keyHash(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])
}

func (c *CookieCounter) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(cookieName))
	m.Write(payload)
	return m.Sum(nil)
}

// encode is version, then the buckets, then the MAC, in unpadded base64url.
func (c *CookieCounter) encode(buckets []bucket) string {
	payload := make([]byte, 1, 1+len(buckets)*bucketSize+macSize)
	payload[0] = cookieVersion
	for _, b := range buckets {
		payload = binary.BigEndian.AppendUint64(payload, b.hash)
		payload = binary.BigEndian.AppendUint64(payload, uint64(b.start))
		payload = append(payload, b.count)
	}
	return base64.RawURLEncoding.EncodeToString(append(payload, c.mac(payload)...))
}

// decode returns the buckets of a cookie value whose signature holds and
// whose windows are still open at now; anything else yields none.
func (c *CookieCounter) decode(value string, now time.Time, window time.Duration) []bucket {
	if len(value) > maxCookieValue {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < 1+macSize {
		return nil
	}
	payload, sig := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sig, c.mac(payload)) || payload[0] != cookieVersion || (len(payload)-1)%bucketSize != 0 {
		return nil
	}
	n := (len(payload) - 1) / bucketSize
	if n > c.maxClients {
		return nil
	}
	buckets := make([]bucket, 0, n+1)
	for p := payload[1:]; len(p) > 0; p = p[bucketSize:] {
		b := bucket{
			hash:  binary.BigEndian.Uint64(p),
			start: int64(binary.BigEndian.Uint64(p[8:])),
			count: p[16],
		}
		age := now.UnixNano() - b.start
		if age < 0 || age >= int64(window) || b.count == 0 {
			continue // expired, or from a clock we cannot trust
		}
		buckets = append(buckets, b)
	}
	return buckets
}
