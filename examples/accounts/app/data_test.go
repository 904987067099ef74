package app

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
)

// TestTables_StayBounded: a thousand sign-ins, authorizations and token
// exchanges as the demo user each issue a session, a code and a refresh
// token; with MaxEntries 100 no table ever holds more than 100, and a
// session is gone once its time has come.
func TestTables_StayBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, h, err := newServer(Config{Base: "http://accounts.test", CookieKey: []byte("a key of 32 bytes for the tests!"),
		Observer: middleware.Quiet, Now: func() time.Time { return now }, MaxEntries: 100})
	require.NoError(t, err)
	serve := func(method, target, body string, cookie *http.Cookie) *http.Response {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("demo", "demo-secret")
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	sizes := func() []int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return []int{s.sessions.len(), s.authCodes.len(), s.refresh.len()}
	}

	var first *http.Cookie
	for i := range 1000 {
		resp := serve(http.MethodPost, "/login", "email=jane%40example.com&password=jane-password", nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		session := resp.Cookies()[0]
		if i == 0 {
			first = session
		}
		resp = serve(http.MethodGet, "/oauth/authorize?client_id=demo&response_type=code", "", session)
		require.Equal(t, http.StatusFound, resp.StatusCode, "sign-in %d", i)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		resp = serve(http.MethodPost, "/oauth/token", "grant_type=authorization_code&code="+loc.Query().Get("code"), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "exchange %d", i)
		for j, n := range sizes() {
			require.LessOrEqual(t, n, 100, "table %d after %d rounds", j, i+1)
		}
	}
	full := sizes()
	assert.Equal(t, []int{100, 100}, full[:2], "sessions and codes: full, and never more")

	// The demo's own refresh tokens are kept; the oldest session went first.
	assert.Equal(t, http.StatusOK, serve(http.MethodPost, "/oauth/token", "grant_type=refresh_token&refresh_token=rt-demo", nil).StatusCode)
	assert.Equal(t, http.StatusBadRequest, serve(http.MethodPost, "/oauth/token", "grant_type=refresh_token&refresh_token=rt-expired", nil).StatusCode)
	resp := serve(http.MethodGet, "/account", "", first)
	assert.Equal(t, "/?next=%2Faccount", resp.Header.Get("Location"), "the first session is gone: sign in again")

	// Once their time has come, a read finds an entry gone, and the next
	// write to the full table drops every other one.
	now = now.Add(sessionTTL)
	resp = serve(http.MethodPost, "/login", "email=jane%40example.com&password=jane-password", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, 1, sizes()[0], "one session: the new one")
	resp = serve(http.MethodGet, "/account", "", resp.Cookies()[0])
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestTable_Purge: what a full table drops, in order.
func TestTable_Purge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tb := newTable[int](4)
	for i, m := range []int{5, 1, 3, 9} { // keys a..d, due at these minutes
		tb.put(string(rune('a'+i)), i, at(m), t0)
	}
	tb.put("a", 10, at(5), t0) // a key already there: no purge
	require.Equal(t, 4, tb.len())
	tb.put("e", 4, at(7), t0) // full: the soonest due (b) goes, down to 3, then e
	assert.Equal(t, []string{"a", "c", "d", "e"}, keys(tb))
	tb.put("f", 5, at(8), at(6)) // full at minute 6: a and c are due
	assert.Equal(t, []string{"d", "e", "f"}, keys(tb))
	_, ok := tb.get("e", at(7))
	assert.False(t, ok, "due at minute 7")
	v, ok := tb.update("d", at(7), func(v int) int { return v + 100 })
	assert.True(t, ok)
	assert.Equal(t, 3, v)
	v, _ = tb.get("d", at(8))
	assert.Equal(t, 103, v)
	assert.Equal(t, []string{"d", "f"}, keys(tb))
}

func keys[V any](tb *table[V]) []string {
	return slices.Sorted(maps.Keys(tb.entries))
}
