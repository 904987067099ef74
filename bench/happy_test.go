package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/justinas/alice"

	ar "github.com/authredirect/authredirect/middleware"
)

// The happy path: the handler succeeds. Budgets: at most 1 allocation
// added (the route's writer); at most 5× chi's Recoverer with the no-op
// handler on every writer shape; at most 1.10× chi with the handler that
// writes a 1 KiB page.
//
// BenchmarkHappyPath/HANDLER/SHAPE/CASE runs each handler on each writer
// shape (net/http's HTTP/1 writer, its HTTP/2 writer, a plain writer with
// no optional interface; see common_test.go) bare, under chi's Recoverer
// and under authredirect's Recoverer route + Wrap, in the same run.

// happyHandler is one handler of the happy path and how each request on
// it is prepared.
type happyHandler struct {
	name string
	// serve is the handler; it succeeds.
	serve func(w http.ResponseWriter, r *http.Request)
	// req is the request it serves; next, if not nil, readies w and req
	// for the next request.
	req  *http.Request
	next func(w *base, r *http.Request)
}

func happyHandlers() []happyHandler {
	page := []byte(strings.Repeat("<p>account</p>\n", 1024/16) + strings.Repeat("!", 1024%16))
	const form = "client_id=demo&redirect_uri=https%3A%2F%2Fclient.example%2Fcallback&state=af0ifjsldkj"
	body := strings.NewReader(form)
	formReq := httptest.NewRequest(http.MethodPost, "/oauth/authorize", nil)
	formReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return []happyHandler{{
		// The strictest view: only the middleware is left to measure
		// (the writer keeps the first status; nothing to reset).
		name:  "noop",
		serve: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
		req:   httptest.NewRequest(http.MethodGet, "/account", nil),
	}, {
		// A 1 KiB page with its content type, on a fresh header map as
		// net/http gives each request.
		name: "page1k",
		serve: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		},
		req:  httptest.NewRequest(http.MethodGet, "/account", nil),
		next: func(w *base, _ *http.Request) { w.fresh() },
	}, {
		// A login-form post: parse three fields, answer 204.
		name: "form",
		serve: func(w http.ResponseWriter, r *http.Request) {
			if r.PostFormValue("client_id") == "" || r.PostFormValue("state") == "" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		},
		req: formReq,
		next: func(w *base, r *http.Request) {
			w.fresh()
			body.Reset(form)
			r.Body, r.Form, r.PostForm = io.NopCloser(body), nil, nil
		},
	}}
}

// happyCases wraps serve bare, in chi's Recoverer and in authredirect.
func happyCases(b *testing.B, serve func(w http.ResponseWriter, r *http.Request)) []struct {
	name string
	h    http.Handler
} {
	rec := recoverer(b).Authorization
	plain := http.HandlerFunc(serve)
	return []struct {
		name string
		h    http.Handler
	}{
		{"bare", plain},
		{"chi", middleware.Recoverer(plain)},
		{"authredirect", alice.New(rec).Then(ar.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			serve(w, r)
			return nil
		}))},
	}
}

func BenchmarkHappyPath(b *testing.B) {
	for _, hh := range happyHandlers() {
		b.Run(hh.name, func(b *testing.B) {
			for _, s := range shapes() {
				b.Run(s.name, func(b *testing.B) {
					for _, c := range happyCases(b, hh.serve) {
						b.Run(c.name, func(b *testing.B) {
							w, sb, req, next := s.w, s.b, hh.req, hh.next
							b.ReportAllocs()
							for b.Loop() {
								if next != nil {
									next(sb, req)
								}
								c.h.ServeHTTP(w, req)
							}
						})
					}
				})
			}
		})
	}
}
