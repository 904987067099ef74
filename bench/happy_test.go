package bench

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/handlers"
	"github.com/justinas/alice"

	ar "github.com/authredirect/authredirect/middleware"
)

// The happy path: the handler succeeds. Budget (DESIGN §8): 0 allocations
// and at most 1.2× the time of chi's Recoverer.

// slotKey is the context key of the context-slot carrier.
type slotKey struct{}

// contextSlot is the pattern users write by hand: a pointer to an error slot
// in the request's context, which the handler fills and the middleware
// reads after it returns.
func contextSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var slot error
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), slotKey{}, &slot)))
		if slot != nil {
			http.Error(w, "error", http.StatusInternalServerError)
		}
	})
}

func happyCases(b *testing.B, handler func(w http.ResponseWriter, r *http.Request)) []struct {
	name string
	h    http.Handler
} {
	rec := recoverer(b).Authorization
	plain := http.HandlerFunc(handler)
	return []struct {
		name string
		h    http.Handler
	}{
		{"bare", plain},
		{"chi-Recoverer", middleware.Recoverer(plain)},
		{"gorilla-RecoveryHandler", handlers.RecoveryHandler(handlers.RecoveryLogger(log.New(io.Discard, "", 0)))(plain)},
		{"context-slot", contextSlot(plain)},
		{"authredirect", alice.New(rec).Then(ar.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			handler(w, r)
			return nil
		}))},
	}
}

// BenchmarkHappyPath is the strictest view: a handler that only sets a
// status, a writer that costs nothing. What is left is the middleware.
func BenchmarkHappyPath(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/account", nil)
	for _, c := range happyCases(b, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }) {
		b.Run(c.name, func(b *testing.B) {
			w := newWriter()
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkHappyPathSmallPage is the same with a handler that does a
// little work (a header and a 1 KiB body into a fresh recorder), to show
// the middleware's share of an ordinary request.
func BenchmarkHappyPathSmallPage(b *testing.B) {
	page := make([]byte, 1024)
	req := httptest.NewRequest(http.MethodGet, "/account", nil)
	for _, c := range happyCases(b, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
