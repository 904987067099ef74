package bench

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	ar "github.com/authredirect/authredirect/middleware"
)

// A request with 9,000 query parameters through an authentication route
// that checks them (UniqueParams, AllowResponseTypes), counts the client
// (the loop guard) and fails, so that the redirect carries the flow back
// to the login page: every reader of the query on one request. Beside it,
// net/http's own r.URL.Query() on the same request. Budget: at most 1.2×.
func BenchmarkQuery9000(b *testing.B) {
	var q strings.Builder
	q.WriteString("/authorize?response_type=code&client_id=demo&state=xyz&redirect_uri=https%3A%2F%2Fclient.example%2Fcb")
	for i := range 8996 {
		q.WriteString("&p")
		q.WriteString(strconv.Itoa(i))
		q.WriteString("=v")
	}
	req := httptest.NewRequest(http.MethodGet, q.String(), nil)
	if n := len(req.URL.Query()); n != 9000 {
		b.Fatalf("%d parameters", n)
	}

	rc, err := ar.New(ar.Config{Render: pageConfig, Observer: ar.Quiet})
	if err != nil {
		b.Fatal(err)
	}
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{loopKey}})
	if err != nil {
		b.Fatal(err)
	}
	guard, err := loopguard.New(loopguard.Config{Counter: counter, Limit: 250})
	if err != nil {
		b.Fatal(err)
	}
	route := alice.New(rc.Authentication, ar.UniqueParams(), ar.AllowResponseTypes(), guard.Middleware).
		Then(ar.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.Unauthorized.Err() }))

	b.Run("net-http-Query", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if req.URL.Query().Get("client_id") != "demo" {
				b.Fatal("no client_id")
			}
		}
	})
	b.Run("route", func(b *testing.B) {
		w := newWriter()
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			route.ServeHTTP(w, req)
		}
		if w.code != http.StatusSeeOther || !strings.Contains(w.h.Get("Location"), "client_id=demo") {
			b.Fatalf("%d %q", w.code, w.h.Get("Location"))
		}
	})
}
