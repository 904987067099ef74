package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
)

// Issue 11, fix 2: the middleware's count and a handler's own Count in one
// request end in one Set-Cookie that holds both.
func TestCookieCounter_TwoCountsInOneRequestMakeOneCookie(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		g := newGuard(t, keyed(t, loopguard.Config{Limit: 1}))
		h := alice.New(newRecover(t, 0), g.Middleware).Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			if err := g.Count(w, r, "second"); err != nil {
				return err
			}
			if err := g.Count(w, r, "third"); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}))
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=first", nil)
		if tlsOn {
			req = httptest.NewRequest(http.MethodGet, "https://example.com/oauth/authorize?client_id=first", nil)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNoContent, rec.Code)
		require.Len(t, rec.Header().Values("Set-Cookie"), 1, "one Set-Cookie for the three counts")
		cookies := rec.Result().Cookies()
		for _, key := range []string{"first", "second", "third"} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tlsOn {
				req = httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
			}
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			assert.Error(t, g.Count(httptest.NewRecorder(), req, key), "tls %v: %s was counted in the one cookie", tlsOn, key)
		}
	}
}

// Issue 11, fix 6: several keys, the first signs, any verifies. A cookie
// signed with the old key still counts after rotation; one signed with a
// key the counter does not have counts as nothing.
func TestCookieCounter_KeyRotation(t *testing.T) {
	newKey := []byte("the new key, also of 32 bytes...")
	before := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	after := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{newKey, testKey}})
	retired := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{newKey}})
	forger := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{otherKey}})

	old := cookiesAfter(t, before, 3)
	assert.Equal(t, 4, arrivals(t, after, old, "c"), "signed with the old key, verified after rotation")
	assert.Equal(t, 1, arrivals(t, retired, old, "c"), "once the old key is retired, its cookies count as nothing")

	rotated := cookiesAfter(t, after, 3)
	assert.Equal(t, 4, arrivals(t, retired, rotated, "c"), "the first key signs")
	assert.Equal(t, 1, arrivals(t, before, rotated, "c"), "not signed with the old key")

	assert.Equal(t, 1, arrivals(t, after, cookiesAfter(t, forger, 3), "c"), "forged")
	_, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{newKey, []byte("short")}})
	assert.Error(t, err, "every key has 32 bytes at least")
}

// cookiesAfter counts n arrivals for "c" on c and returns the cookie.
func cookiesAfter(t *testing.T, c loopguard.Counter, n int) []*http.Cookie {
	t.Helper()
	var cookies []*http.Cookie
	for range n {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		c.Arrive(rec, req, "c", testNow, window)
		cookies = rec.Result().Cookies()
	}
	require.Len(t, cookies, 1)
	return cookies
}
