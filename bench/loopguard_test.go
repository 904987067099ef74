package bench

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/loopguard"
	ar "github.com/authredirect/authredirect/middleware"
)

// The loop guard's cost per counted request, with a fresh cookie and with a
// cookie that already counts several clients.
func BenchmarkLoopGuard(b *testing.B) {
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	if err != nil {
		b.Fatal(err)
	}
	guard, err := loopguard.New(loopguard.Config{Counter: counter, Limit: 250})
	if err != nil {
		b.Fatal(err)
	}
	rec, _ := ar.Recover(ar.Config{Observer: func(ar.Event) {}})
	h := alice.New(rec, guard.Middleware).ThenFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	var full *http.Cookie // a cookie counting 7 other clients
	for i := 0; i < 7; i++ {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=client-"+strconv.Itoa(i), nil)
		if full != nil {
			req.AddCookie(full)
		}
		h.ServeHTTP(rr, req)
		full = rr.Result().Cookies()[0]
	}
	for _, c := range []struct {
		name, target string
		cookie       *http.Cookie
	}{
		{"not-counted", "/oauth/authorize?response_type=code", nil},
		{"counted-fresh-cookie", "/oauth/authorize?client_id=demo", nil},
		{"counted-cookie-with-7-clients", "/oauth/authorize?client_id=demo", full},
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
				h.ServeHTTP(w, req)
			}
		})
	}
}
