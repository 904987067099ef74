package fositeauthredirect_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// discard is a ResponseWriter that keeps one header map, cleared for
// every request, so that the benchmarks count the answers' own work.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// benchSetup is a provider, the adapter and a Recoverer over fosite's
// memory store.
func benchSetup(b testing.TB) (fosite.OAuth2Provider, *fositeauthredirect.Adapter, *middleware.Recoverer) {
	provider := newProvider(newStore(b))
	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: provider})
	require.NoError(b, err)
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"}, Observer: middleware.Quiet})
	require.NoError(b, err)
	return provider, a, rc
}

// BenchmarkErrorAnswer compares, for one failed authorization request
// already parsed by fosite, the adapter's answer (classification and the
// contract's redirect through a Recoverer route) with fosite's own
// WriteAuthorizeError. "unknown client" is answered by fosite as JSON (no
// redirect URI is known), "invalid scope" as a redirect to the client.
func BenchmarkErrorAnswer(b *testing.B) {
	provider, a, rc := benchSetup(b)
	for _, tc := range []struct{ name, query string }{
		{"unknown client", authorizeQuery("client_id", "nope")},
		{"invalid scope", authorizeQuery("scope", "openid admin")},
	} {
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+tc.query, nil)
		ctx := context.Background()
		ar, err := provider.NewAuthorizeRequest(ctx, r)
		require.Error(b, err)
		library := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			provider.WriteAuthorizeError(ctx, w, ar, err)
		})
		adapter := rc.Authorization(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			return a.AuthorizeError(ctx, w, ar, err)
		}))
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"fosite", library}, {"adapter", adapter}} {
			b.Run(tc.name+"/"+h.name, func(b *testing.B) {
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					h.h.ServeHTTP(w, r)
				}
			})
		}
	}
}

// BenchmarkAccessErrorAnswer compares, for one failed token request
// already parsed by fosite, the adapter's answer (classification, the
// storage's word on the client, the contract's JSON through a Recoverer
// route) with fosite's own WriteAccessError.
func BenchmarkAccessErrorAnswer(b *testing.B) {
	provider, a, rc := benchSetup(b)
	for _, tc := range []struct{ name, id, secret string }{
		{"unknown client", "nope", demoSecret},
		{"wrong secret", "demo", "wrong"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=authorization_code&code=x"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(tc.id, tc.secret)
		ctx := context.Background()
		ar, err := provider.NewAccessRequest(ctx, r, newSession())
		require.Error(b, err)
		library := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			provider.WriteAccessError(ctx, w, ar, err)
		})
		adapter := rc.JSON(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			return a.AccessError(ctx, r, ar, err)
		}))
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"fosite", library}, {"adapter", adapter}} {
			b.Run(tc.name+"/"+h.name, func(b *testing.B) {
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					h.h.ServeHTTP(w, r)
				}
			})
		}
	}
}

// successHandlers are fosite alone and fosite through the adapter's wiring
// (a Recoverer route and Wrap), each on a store of its own, so that the
// codes one issues do not grow the other's store.
func successHandlers(b testing.TB) map[string]http.Handler {
	hs := map[string]http.Handler{}
	for _, name := range []string{"fosite", "adapter"} {
		provider, a, rc := benchSetup(b)
		serve := func(w http.ResponseWriter, r *http.Request) (fosite.AuthorizeRequester, error) {
			ctx := r.Context()
			ar, err := provider.NewAuthorizeRequest(ctx, r)
			if err != nil {
				return ar, err
			}
			for _, s := range ar.GetRequestedScopes() {
				ar.GrantScope(s)
			}
			resp, err := provider.NewAuthorizeResponse(ctx, ar, newSession())
			if err != nil {
				return ar, err
			}
			provider.WriteAuthorizeResponse(ctx, w, ar, resp)
			return ar, nil
		}
		if name == "fosite" {
			hs[name] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if ar, err := serve(w, r); err != nil {
					provider.WriteAuthorizeError(r.Context(), w, ar, err)
				}
			})
			continue
		}
		hs[name] = rc.Authorization(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			if ar, err := serve(w, r); err != nil {
				return a.AuthorizeError(r.Context(), w, ar, err)
			}
			return nil
		}))
	}
	return hs
}

// BenchmarkSuccess compares a successful authorization request (fosite
// parses it, issues a code, redirects to the client) served by fosite alone
// and through the adapter's wiring, in process and end to end over
// loopback HTTP/1.1.
func BenchmarkSuccess(b *testing.B) {
	query := "/oauth/authorize?" + authorizeQuery()
	for _, name := range []string{"fosite", "adapter"} {
		b.Run("in process/"+name, func(b *testing.B) {
			h := successHandlers(b)[name]
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, query, nil))
				if w.h.Get("Location") == "" {
					b.Fatal("no redirect")
				}
			}
		})
	}
	for _, name := range []string{"fosite", "adapter"} {
		b.Run("http/"+name, func(b *testing.B) {
			srv := httptest.NewServer(successHandlers(b)[name])
			defer srv.Close()
			client := noFollow(srv)
			b.ReportAllocs()
			for b.Loop() {
				res, err := client.Get(srv.URL + query)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusSeeOther {
					b.Fatal(res.Status)
				}
			}
		})
	}
}

// BenchmarkSuccessPaired serves the same successful authorization request
// with fosite alone and through the adapter's wiring over loopback HTTP,
// alternately within one loop (each goes first every other time), and
// reports each one's mean time per request and adapter/fosite: a drift of
// the machine's load, or the garbage one sub-benchmark leaves to the next,
// falls on both alike.
func BenchmarkSuccessPaired(b *testing.B) {
	query := "/oauth/authorize?" + authorizeQuery()
	names := []string{"fosite", "adapter"}
	var clients [2]*http.Client
	var urls [2]string
	for i, name := range names {
		srv := httptest.NewServer(successHandlers(b)[name])
		defer srv.Close()
		clients[i], urls[i] = noFollow(srv), srv.URL+query
	}
	var spent [2]time.Duration
	n := 0
	for b.Loop() {
		for k := range 2 {
			i := (n + k) % 2
			start := time.Now()
			res, err := clients[i].Get(urls[i])
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			spent[i] += time.Since(start)
			if res.StatusCode != http.StatusSeeOther {
				b.Fatal(res.Status)
			}
		}
		n++
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(n), "fosite-ns/req")
	b.ReportMetric(float64(spent[1].Nanoseconds())/float64(n), "adapter-ns/req")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "adapter/fosite")
}
