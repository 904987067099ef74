package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// deferredRecover is the plain baseline: a middleware that only recovers.
func deferredRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// BenchmarkHappyPath: the handler succeeds; the route adds one allocation
// (its writer). The figures against chi are in bench/.
func BenchmarkHappyPath(b *testing.B) {
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	rec, _ := newRecover(b, testRoute{})
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"bare", http.HandlerFunc(ok)},
		{"deferred-recover", deferredRecover(http.HandlerFunc(ok))},
		{"authredirect", rec(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error { ok(w, r); return nil }))},
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Flusher, Hijacker and ReaderFrom, like net/http's writer.
			w := fhrW{fhW{fW{baseW{newCountingWriter()}}}}
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkErrorPath: the middleware layer's error path, an authorization
// error with a detail through Recoverer and Wrap: two allocations (the
// route's writer and the answer's header values); the comparison with the naive handler and other libraries is
// in bench/.
func BenchmarkErrorPath(b *testing.B) {
	rec, _ := newRecover(b, testRoute{Observer: middleware.Quiet})
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"authredirect", rec(failing(codes.UnauthorizedClient.With(codes.ClientIDNotFound)))},
		{"authredirect-opaque-wrapper", rec(opaque(failing(codes.UnauthorizedClient.With(codes.ClientIDNotFound))))},
	}
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			w := newCountingWriter()
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code, w.body = 0, w.body[:0]
				c.h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkForwardedWrite: a handler that writes 64 small chunks, bare and
// through a route, on a writer with net/http's shape; the difference per
// write is what the route adds to each forwarded Write (at most 10 ns).
func BenchmarkForwardedWrite(b *testing.B) {
	chunk := []byte("0123456789abcdef")
	writes := func(w http.ResponseWriter, _ *http.Request) {
		for range 64 {
			_, _ = w.Write(chunk)
		}
	}
	rec, _ := newRecover(b, testRoute{})
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"bare", http.HandlerFunc(writes)},
		{"authredirect", rec(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error { writes(w, r); return nil }))},
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cw := newCountingWriter()
			w := fhrW{fhW{fW{baseW{cw}}}}
			b.ReportAllocs()
			for b.Loop() {
				cw.body = cw.body[:0]
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
