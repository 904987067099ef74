package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// recorder is a Counter that records the keys it is given.
type recorder struct {
	mu   sync.Mutex
	keys []string
}

func (c *recorder) Arrive(_ http.ResponseWriter, _ *http.Request, key string, _ time.Time, _ time.Duration) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, key)
	return 1, nil
}

// tag starts every key a guard with the default window counts.
const tag = "30s\x00"

// The guard reads client_id exactly as a handler does
// with r.URL.Query().Get, so no spelling of the query dodges the count.
func TestLoopGuard_KeyIsTheClientIDTheHandlerReads(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"client_id=loopy", "loopy"},
		{"client%5Fid=loopy", "loopy"},                    // escaped name
		{"client_id=loopy&client_id=x;", "loopy"},         // repeated, the second malformed
		{"client_id=loopy&client_id=other", "loopy"},      // repeated: the first counts
		{"client_id=x;&client_id=loopy", "loopy"},         // a pair with ';' is dropped
		{"client_id=%zz&client_id=loopy", "loopy"},        // badly escaped pair dropped
		{"a=%zz&client_id=lo%6Fpy", "loopy"},              // escaped value
		{"client_id=lo+py", "lo py"},                      // '+' is a space
		{"x=1&&client_id=loopy&", "loopy"},                // empty pairs
		{"response_type=code&scope=profile", ""},          // none
		{"client_id=&client_id=loopy", ""},                // the first is empty
		{"client_id", ""},                                 // no '='
		{"client_id=a;b", ""},                             // malformed
		{"client_id+=loopy", ""},                          // another name
		{"Client_id=loopy", ""},                           // names are case-sensitive
		{"client_id=a=b", "a=b"},                          // the value keeps '='
		{"client%5Fid=loopy&client_id=x", "loopy"},        // the first wins either way
		{"client_id=x&client%5Fid=loopy", "x"},            //
		{"client_id=%E2%9C%93&client_id=loopy", "\u2713"}, // UTF-8
	} {
		t.Run(tc.query, func(t *testing.T) {
			u, err := url.Parse("/oauth/authorize?" + tc.query)
			require.NoError(t, err)
			require.Equal(t, tc.want, u.Query().Get("client_id"), "the handler's reading")
			c := &recorder{}
			h := guarded(t, newGuard(t, loopguard.Config{Counter: c}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+tc.query, nil))
			if tc.want == "" {
				assert.Empty(t, c.keys, "not counted")
			} else {
				assert.Equal(t, []string{tag + tc.want}, c.keys)
			}
		})
	}
}

// The service counts "per client per user account": with AccountOf, the key
// is the client id and the account, so two accounts of one browser are
// counted apart, and without an account only the client counts.
func TestLoopGuard_AccountIsPartOfTheKey(t *testing.T) {
	c := &recorder{}
	g := newGuard(t, loopguard.Config{Counter: c, AccountOf: func(r *http.Request) string { return r.Header.Get("X-Account") }})
	h := guarded(t, g)
	for _, account := range []string{"jane", "joe", ""} {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
		req.Header.Set("X-Account", account)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.NoError(t, g.Count(httptest.NewRecorder(), func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Account", "jane")
		return req
	}(), "demo"))
	assert.Equal(t, []string{tag + "loopy\x00jane", tag + "loopy\x00joe", tag + "loopy", tag + "demo\x00jane"}, c.keys)

	// On a real counter, two accounts count apart.
	h = guarded(t, newGuard(t, keyed(t, loopguard.Config{Limit: 1, AccountOf: func(r *http.Request) string { return r.Header.Get("X-Account") }})))
	b := &browser{}
	arrive := func(account string) int {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
		req.Header.Set("X-Account", account)
		for _, ck := range b.cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if set := rec.Result().Cookies(); len(set) > 0 {
			b.cookies = set
		}
		return rec.Code
	}
	assert.Equal(t, http.StatusNoContent, arrive("jane"))
	assert.Equal(t, http.StatusNoContent, arrive("joe"), "another account of the same browser")
	assert.Equal(t, http.StatusSeeOther, arrive("jane"))
}
