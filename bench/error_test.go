package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/justinas/alice"
	"github.com/ory/fosite"

	"github.com/authredirect/authredirect/codes"
	ar "github.com/authredirect/authredirect/middleware"
)

// The error path: an authorization error with a detail, written as a
// redirect. Budget: at most 2 allocations with the loop guard off (the
// route's writer and the answer's header values), at least 5× faster than
// the naive handler and 10× faster than fosite's WriteAuthorizeError.
func BenchmarkErrorPath(b *testing.B) {
	rec := recoverer(b).Authorization
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope&response_type=code", nil)

	b.Run("authredirect", func(b *testing.B) {
		h := alice.New(rec).Then(ar.Wrap(func(http.ResponseWriter, *http.Request) error {
			return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
		}))
		w := newWriter()
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			h.ServeHTTP(w, req)
		}
	})

	b.Run("naive", func(b *testing.B) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := url.Values{}
			v.Set("oauth_exception", "unauthorized_client")
			v.Set("exception_details", "client_id_not_found")
			http.Redirect(w, r, "https://accounts.livechatinc.com/ooops?"+v.Encode(), http.StatusSeeOther)
		})
		w := newWriter()
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			h.ServeHTTP(w, req)
		}
	})

	b.Run("fosite-WriteAuthorizeError", func(b *testing.B) {
		f := &fosite.Fosite{Config: &fosite.Config{}}
		client := &fosite.DefaultClient{ID: "demo", RedirectURIs: []string{"https://client.example/callback"}, ResponseTypes: []string{"code"}}
		redirect, _ := url.Parse("https://client.example/callback")
		areq := fosite.NewAuthorizeRequest()
		areq.Client = client
		areq.ResponseTypes = fosite.Arguments{"code"}
		areq.State = "state-123"
		ctx := context.Background()
		w := newWriter()
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			u := *redirect // WriteAuthorizeError rewrites the redirect URI in place
			areq.RedirectURI = &u
			f.WriteAuthorizeError(ctx, w, areq, fosite.ErrUnauthorizedClient)
		}
		if w.code != http.StatusSeeOther {
			b.Fatalf("fosite wrote %d, not a redirect", w.code)
		}
	})
}
