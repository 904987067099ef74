package loopguard_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
)

// The middleware's count and a handler's own Count in one
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

// Several keys, the first signs, any verifies. A cookie
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
	assert.ErrorIs(t, err, loopguard.ErrConfig, "every key has 32 bytes at least")
	_, err = loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{newKey, testKey, append([]byte(nil), newKey...)}})
	assert.ErrorIs(t, err, loopguard.ErrConfig, "a key given twice is a rotation gone wrong")
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
		counted(c.Arrive(rec, req, "c", testNow, window))
		cookies = rec.Result().Cookies()
	}
	require.Len(t, cookies, 1)
	return cookies
}

// TestCookieCounter_CountersWithOtherKeysNeedOtherNames: two counters in one
// app whose keys differ each take the other's cookie for forged, so under
// one name a loop that alternates between their routes never trips. With
// names of their own, as CookieConfig.Name allows, both count, in a real
// cookie jar; and building the second under the first's name with other
// keys is logged once.
func TestCookieCounter_CountersWithOtherKeysNeedOtherNames(t *testing.T) {
	var logs strings.Builder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	// A name no earlier run in this process used: the warning is once per
	// name and process.
	name := fmt.Sprintf("loop_clash_%d", clashRuns.Add(1))
	authorize := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}, Name: name})
	cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}, Name: name})
	assert.Empty(t, logs.String(), "the same keys")
	cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{otherKey}, Name: name})
	cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{otherKey}, Name: name})
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
	assert.Contains(t, logs.String(), "name="+name)

	// Keys are bytes: {A NUL B} is not {A, B}.
	a, b := bytes.Repeat([]byte("a"), 32), bytes.Repeat([]byte("b"), 32)
	logs.Reset()
	cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{append(append(append([]byte{}, a...), 0), b...)}, Name: name + "_nul"})
	cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{a, b}, Name: name + "_nul"})
	assert.Contains(t, logs.String(), "name="+name+"_nul", "a key holding NUL is no pair of keys")
	login := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{otherKey}, Name: name + "_login"})

	mux := http.NewServeMux()
	for path, counter := range map[string]loopguard.Counter{"/oauth/authorize": authorize, "/login": login} {
		mux.Handle(path, guarded(t, newGuard(t, loopguard.Config{Counter: counter})))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var seen []int
	for range 4 {
		for _, path := range []string{"/oauth/authorize", "/login"} {
			res, err := client.Get(srv.URL + path + "?client_id=loopy")
			require.NoError(t, err)
			res.Body.Close()
			seen = append(seen, res.StatusCode)
		}
	}
	assert.Equal(t, []int{204, 204, 204, 204, 204, 204, 303, 303}, seen, "each route trips on its fourth arrival")
}

var clashRuns atomic.Int64

// TestCookieCounter_NameIsValidated: a name must be a cookie token of its
// own; the __Host- prefix is the counter's to add.
func TestCookieCounter_NameIsValidated(t *testing.T) {
	// The prefixes in any case: RFC 6265bis matches them so, and a browser
	// would refuse "__host-x" without Secure on plain http.
	for _, name := range []string{"a b", "a;b", "a=b", "__Host-x", "__Secure-x", "__host-x", "__SECURE-x", "é", strings.Repeat("n", 65)} {
		_, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{testKey}, Name: name})
		assert.ErrorIs(t, err, loopguard.ErrConfig, name)
	}
	c := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}, Name: "app_loop"})
	for target, want := range map[string]string{"http://example.com/": "app_loop=", "https://example.com/": "__Host-app_loop="} {
		rec := httptest.NewRecorder()
		counted(c.Arrive(rec, httptest.NewRequest(http.MethodGet, target, nil), "c", testNow, window))
		assert.True(t, strings.HasPrefix(rec.Header().Get("Set-Cookie"), want), rec.Header().Get("Set-Cookie"))
	}
}

// TestCookieCounter_MaxAgeCoversTheWholeWindow: a window of 1.5 s lives 2 s
// in the browser, not 1 s, which would drop the count before the window
// ends.
func TestCookieCounter_MaxAgeCoversTheWholeWindow(t *testing.T) {
	c := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	for w, want := range map[time.Duration]string{1500 * time.Millisecond: "Max-Age=2", 30 * time.Second: "Max-Age=30", 200 * time.Millisecond: "Max-Age=1"} {
		rec := httptest.NewRecorder()
		counted(c.Arrive(rec, httptest.NewRequest(http.MethodGet, "/", nil), "c", testNow, w))
		assert.Contains(t, rec.Header().Get("Set-Cookie"), "; "+want+";", w)
	}
}

// TestCookieCounter_ClockAheadStillCounts: a count set by an instance whose
// clock runs ahead of this one's (by less than a window) still counts:
// dropping it would let fleet clock skew keep the guard from tripping.
func TestCookieCounter_ClockAheadStillCounts(t *testing.T) {
	c := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	var cookies []*http.Cookie
	for i, skew := range []time.Duration{2 * time.Second, 0, 5 * time.Second} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		assert.Equal(t, i+1, counted(c.Arrive(rec, req, "c", testNow.Add(skew), window)), "arrival %d at skew %v", i+1, skew)
		cookies = rec.Result().Cookies()
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	assert.Equal(t, 1, counted(c.Arrive(httptest.NewRecorder(), req, "c", testNow.Add(-window), window)), "a whole window ahead: that clock is not trusted")
}

// shadowedArrivals replays n arrivals of a browser whose jar also holds
// planted, a cookie of the counter's name set by a sibling subdomain or
// with a longer Path, which the browser sends first; it returns the statuses.
func shadowedArrivals(t *testing.T, h http.Handler, planted *http.Cookie, n int) []int {
	t.Helper()
	var own []*http.Cookie
	var statuses []int
	for range n {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
		req.AddCookie(planted)
		for _, ck := range own {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if set := rec.Result().Cookies(); len(set) > 0 {
			own = set
		}
		statuses = append(statuses, rec.Code)
	}
	return statuses
}

// On plain http a cookie planted by a sibling subdomain
// or with a longer Path is sent before the browser's own. Garbage under the
// name used to win and turn counting off (0 trips in 10); now values that
// fail the signature are ignored.
func TestCookieCounter_PlantedGarbageDoesNotTurnCountingOff(t *testing.T) {
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{})))
	for _, garbage := range []string{"x", "AAAA", strings.Repeat("A", 96)} {
		statuses := shadowedArrivals(t, h, &http.Cookie{Name: "authredirect_loop", Value: garbage}, 4)
		assert.Equal(t, []int{204, 204, 204, 303}, statuses, "planted %q", garbage)
	}
}

// A signed count planted before the browser's own cookie
// was written (the attacker looped on their own browser and copied the
// value) used to trip the victim at once; of several signed values the one
// written last wins, and that is the browser's own.
func TestCookieCounter_PlantedSignedCountLosesToTheBrowsersOwn(t *testing.T) {
	clk := newClock()
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	h := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Now: clk.Now}))
	attacker := &browser{}
	for range 3 {
		require.Equal(t, http.StatusNoContent, attacker.arrive(t, h, "/oauth/authorize?client_id=loopy").Code)
	}
	planted := attacker.cookies[0]
	clk.Advance(time.Second)

	victim := &browser{}
	require.Equal(t, http.StatusNoContent, victim.arrive(t, h, "/oauth/authorize?client_id=loopy").Code, "the victim's first arrival, before the plant")
	clk.Advance(time.Second)
	for i := 2; i <= 4; i++ {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
		req.AddCookie(planted) // sent first, as a longer Path's would be
		for _, ck := range victim.cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		victim.cookies = rec.Result().Cookies()
		want := http.StatusNoContent
		if i == 4 {
			want = http.StatusSeeOther // the victim's own 4th arrival: its own count
		}
		require.Equal(t, want, rec.Code, "the victim's arrival %d", i)
		clk.Advance(time.Second)
	}
}

// A value minted over http (named authredirect_loop) is
// not accepted under the __Host- name; the signature covers the name.
func TestCookieCounter_HTTPValueRefusedUnderTheHostName(t *testing.T) {
	c := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	overHTTP := cookiesAfter(t, c, 3)
	require.Equal(t, "authredirect_loop", overHTTP[0].Name)
	req := httptest.NewRequest(http.MethodGet, "https://accounts.example.com/oauth/authorize", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-authredirect_loop", Value: overHTTP[0].Value})
	assert.Equal(t, 1, counted(c.Arrive(httptest.NewRecorder(), req, "c", testNow, window)), "an http value counts as nothing under __Host-")

	// The same value under its own name still counts.
	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(overHTTP[0])
	assert.Equal(t, 4, counted(c.Arrive(httptest.NewRecorder(), req, "c", testNow, window)))
}
