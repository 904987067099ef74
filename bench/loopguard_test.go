package bench

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/loopguard"
)

var loopKey = []byte("0123456789abcdef0123456789abcdef")

// The loop guard's cost per request through a Recoverer route, the guard and a
// handler: not counted, counted with a fresh cookie, and counted with a
// cookie that already counts 7 clients. Budget: a counted request costs at
// most 0.8× the naive error answer (url.Values + http.Redirect with the
// contract's headers, measured beside it as "naive-error-answer") with a
// fresh cookie and 1.3× with 7 clients, at most 10 allocations.
func BenchmarkLoopGuard(b *testing.B) {
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{loopKey}})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now() // a fixed clock: the cookie's counts never expire during the run
	guard, err := loopguard.New(loopguard.Config{Counter: counter, Limit: 250, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	h := alice.New(recoverer(b).Authorization, guard.Middleware).ThenFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	var full *http.Cookie // a cookie counting 7 other clients
	for i := range 7 {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=client-"+strconv.Itoa(i), nil)
		if full != nil {
			req.AddCookie(full)
		}
		h.ServeHTTP(rr, req)
		full = rr.Result().Cookies()[0]
	}
	naive := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := url.Values{}
		v.Set("oauth_exception", "invalid_request")
		v.Set("exception_details", "to_many_redirects")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, "https://accounts.example.com/ooops?"+v.Encode(), http.StatusSeeOther)
	})
	for _, c := range []struct {
		name, target string
		cookie       *http.Cookie
		h            http.Handler
	}{
		{"naive-error-answer", "/oauth/authorize?client_id=demo", nil, naive},
		{"not-counted", "/oauth/authorize?response_type=code", nil, h},
		{"counted-fresh-cookie", "/oauth/authorize?client_id=demo", nil, h},
		{"counted-cookie-with-7-clients", "/oauth/authorize?client_id=demo", full, h},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, c.target, nil)
			if c.cookie != nil {
				req.AddCookie(c.cookie)
			}
			w := newWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
