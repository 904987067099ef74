package loopguard_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// legacyCounter is the cookie counter as it was before the rebuild
// (middleware/cookiecounter.go at a9efed8), kept as the reference that the
// rebuilt counter must match byte for byte.
type legacyCounter struct {
	key        []byte
	tls        bool
	maxClients int
}

type legacyBucket struct {
	hash  uint64
	start int64
	count uint8
}

func (c *legacyCounter) Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	secure := c.tls || r.TLS != nil
	name := "authredirect_loop"
	if secure {
		name = "__Host-authredirect_loop"
	}
	var buckets []legacyBucket
	if ck, err := r.Cookie(name); err == nil {
		buckets = c.decode(ck.Value, now, window)
	}
	h := legacyKeyHash(key)
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

func legacyKeyHash(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])
}

func (c *legacyCounter) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("authredirect_loop"))
	m.Write(payload)
	return m.Sum(nil)
}

func (c *legacyCounter) encode(buckets []legacyBucket) string {
	payload := make([]byte, 1, 1+len(buckets)*17+32)
	payload[0] = 1
	for _, b := range buckets {
		payload = binary.BigEndian.AppendUint64(payload, b.hash)
		payload = binary.BigEndian.AppendUint64(payload, uint64(b.start))
		payload = append(payload, b.count)
	}
	return base64.RawURLEncoding.EncodeToString(append(payload, c.mac(payload)...))
}

func (c *legacyCounter) decode(value string, now time.Time, window time.Duration) []legacyBucket {
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

// The rebuilt cookie counter writes byte for byte the Set-Cookie line of
// the legacy one and counts the same, over random walks of browsers,
// clients, clocks and cookie sizes, on http and https.
func TestCookieCounter_ByteIdenticalToLegacy(t *testing.T) {
	for _, tc := range []struct {
		maxClients int
		tls, proxy bool
		window     time.Duration
	}{
		{8, false, false, 30 * time.Second},
		{8, true, false, 30 * time.Second},
		{3, false, true, 5 * time.Second},
		{43, false, false, 90 * time.Second},
		{1, true, false, time.Second},
	} {
		name := strconv.Itoa(tc.maxClients) + "/tls=" + strconv.FormatBool(tc.tls) + "/proxy=" + strconv.FormatBool(tc.proxy)
		t.Run(name, func(t *testing.T) {
			legacy := &legacyCounter{key: testKey, tls: tc.proxy, maxClients: tc.maxClients}
			rebuilt := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}, BehindTLSProxy: tc.proxy, MaxClients: tc.maxClients})
			rng := rand.New(rand.NewPCG(1, uint64(tc.maxClients)))
			now := testNow
			cookies := make([]*http.Cookie, 4) // four browsers
			target := "http://example.com/"
			if tc.tls {
				target = "https://example.com/"
			}
			for step := range 3000 {
				b := rng.IntN(len(cookies))
				key := "client-" + strconv.Itoa(rng.IntN(tc.maxClients+3))
				now = now.Add(time.Duration(rng.Int64N(int64(tc.window) / 4)))
				req := httptest.NewRequest(http.MethodGet, target, nil)
				if cookies[b] != nil {
					req.AddCookie(cookies[b])
				}
				want, got := httptest.NewRecorder(), httptest.NewRecorder()
				nWant := legacy.Arrive(want, req, key, now, tc.window)
				nGot := rebuilt.Arrive(got, req, key, now, tc.window)
				require.Equal(t, nWant, nGot, "step %d: count", step)
				require.Equal(t, want.Header().Values("Set-Cookie"), got.Header().Values("Set-Cookie"), "step %d", step)
				cookies[b] = want.Result().Cookies()[0]
			}
		})
	}
}
