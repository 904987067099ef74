package loopguard

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

var fuzzKey = []byte("0123456789abcdef0123456789abcdef")

// decodeValue is the buckets c reads from a cookie value.
func (c *CookieCounter) decodeValue(value string, now time.Time, window time.Duration) []bucket {
	b, _, _ := c.decode(cookieName, value, now)
	return b
}

// FuzzCookieDecode: arbitrary cookie headers never panic, and only what
// the key signed is ever counted: anything else counts as no arrivals.
func FuzzCookieDecode(f *testing.F) {
	c, _ := NewCookieCounter(CookieConfig{Keys: [][]byte{fuzzKey}})
	now := time.Unix(1_800_000_000, 0)
	f.Add(c.encode(cookieName, []bucket{{hash: keyHash("demo"), start: now.UnixNano(), window: 30000, count: 3}}, now))
	f.Add("")
	f.Add("AQ")
	f.Add("!!!!")
	f.Fuzz(func(t *testing.T, value string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Cookie", cookieName+"="+value) // as a browser would send it
		want := 1
		if ck, err := req.Cookie(cookieName); err == nil {
			for _, b := range c.decodeValue(ck.Value, now, 30*time.Second) {
				if b.hash == keyHash("demo") {
					want = min(int(b.count)+1, 255)
				}
			}
			if buckets := c.decodeValue(ck.Value, now, 30*time.Second); len(buckets) > 0 && c.encode(cookieName, buckets, now) != ck.Value {
				t.Fatalf("decoded %q, which is not what the key signs", ck.Value)
			}
		}
		if n, _ := c.Arrive(httptest.NewRecorder(), req, "demo", now, 30*time.Second); n != want {
			t.Fatalf("cookie %q counted %d, want %d", value, n, want)
		}
	})
}

// FuzzCookieSigned: a cookie the key signed counts exactly what it holds
// (plus this arrival) while its window is open, and nothing after; one set
// by a clock ahead of ours by less than a window counts too (fleet skew).
func FuzzCookieSigned(f *testing.F) {
	c, _ := NewCookieCounter(CookieConfig{Keys: [][]byte{fuzzKey}})
	f.Add(uint8(3), int64(5), "demo")
	f.Add(uint8(255), int64(29), "x")
	f.Add(uint8(1), int64(31), "")
	f.Add(uint8(0), int64(-1), "loopy")
	f.Fuzz(func(t *testing.T, count uint8, ageSeconds int64, key string) {
		now := time.Unix(1_800_000_000, 0)
		window := 30 * time.Second
		start := now.Add(-time.Duration(ageSeconds%1_000_000) * time.Second)
		value := c.encode(cookieName, []bucket{{hash: keyHash(key), start: start.UnixNano(), window: uint32(window.Milliseconds()), count: count}}, now)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: value})
		n, _ := c.Arrive(httptest.NewRecorder(), req, key, now, window)
		age := now.Sub(start)
		want := 1
		if age > -window && age < window && count > 0 {
			want = min(int(count)+1, 255)
		}
		if n != want {
			t.Fatalf("count %d age %v: got %d, want %d", count, age, n, want)
		}
	})
}

// TestSetCookie_IsWhatNetHTTPWrites: the line written directly is byte for
// byte http.Cookie's String of the same cookie.
func TestSetCookie_IsWhatNetHTTPWrites(t *testing.T) {
	c, _ := NewCookieCounter(CookieConfig{Keys: [][]byte{fuzzKey}})
	now := time.Unix(1_800_000_000, 0)
	value := c.encode(cookieName, []bucket{{hash: keyHash("demo"), start: now.UnixNano(), window: 30000, count: 3}}, now)
	for _, name := range []string{cookieName, "__Host-" + cookieName, "x"} {
		for _, secure := range []bool{false, true} {
			for _, maxAge := range []int{1, 30, 86400} {
				want := (&http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}).String()
				if got := setCookie(name, value, maxAge, secure); got != want {
					t.Errorf("setCookie = %q, net/http writes %q", got, want)
				}
			}
		}
	}
}
