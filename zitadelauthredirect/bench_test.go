package zitadelauthredirect_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// pair is one provider served twice: by op alone (its own /authorize) and
// through the adapter (/oauth/authorize), on one loopback server.
type pair struct {
	base     string
	provider *op.Provider
	adapter  http.Handler // the adapter's authorize route
	client   *http.Client
}

func newPair(tb testing.TB) *pair {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	provider, err := op.NewProvider(&op.Config{CryptoKey: [32]byte{1}, CodeMethodS256: true},
		app.NewStorage(base, testClients()), op.StaticIssuer(base), op.WithAllowInsecure())
	require.NoError(tb, err)
	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: provider})
	require.NoError(tb, err)
	rc, err := middleware.New(middleware.Config{Render: pages}) // the default observer, as in production
	require.NoError(tb, err)
	route := rc.Authorization(a.Authorize())
	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", route)
	mux.Handle("/", provider)
	srv.Config.Handler = op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux)
	srv.Start()
	tb.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &pair{base: base, provider: provider, adapter: route, client: client}
}

func (p *pair) get(tb testing.TB, path string) *http.Response {
	res, err := p.client.Get(p.base + path)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestLibraryAlone records what op answers by itself where the contract
// asks for another answer, so that the adapter's reason to exist is checked
// too: should op change, this test says so.
func TestLibraryAlone(t *testing.T) {
	quietLogs(t)
	p := newPair(t)
	t.Run("unsupported response_type is unauthorized_client, sent to the client", func(t *testing.T) {
		res := p.get(t, "/authorize?"+authorizeQuery(map[string]string{"response_type": "token"}))
		assert.Equal(t, http.StatusFound, res.StatusCode)
		loc, err := url.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "unauthorized_client", loc.Query().Get("error"))
	})
	t.Run("an unknown scope is dropped", func(t *testing.T) {
		res := p.get(t, "/authorize?"+authorizeQuery(map[string]string{"scope": "openid admin"}))
		assert.Equal(t, http.StatusFound, res.StatusCode)
		assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/?authRequestID="), res.Header.Get("Location"))
	})
	t.Run("an unknown client is a plain 400 with the description", func(t *testing.T) {
		res, err := p.client.Get(p.base + "/authorize?" + authorizeQuery(map[string]string{"client_id": "nope"}))
		require.NoError(t, err)
		defer res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Empty(t, res.Header.Get("Location"))
	})
}

// quietLogs keeps the library's own logs (it logs every error answer) off
// the benchmark output; the cost of the calls stays in.
func quietLogs(tb testing.TB) {
	logTo(tb, slog.DiscardHandler)
}

// BenchmarkErrorAnswer: writing one error answer for a validated request.
// library is op.AuthRequestError (what op.Authorize calls: it builds the
// redirect to the client); adapter is the Recoverer's answer to the same
// failure handed up by Wrap.
func BenchmarkErrorAnswer(b *testing.B) {
	quietLogs(b)
	p := newPair(b)
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	authReq := &oidc.AuthRequest{RedirectURI: app.RedirectURI, ResponseType: oidc.ResponseTypeCode, State: "st-1"}
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			op.AuthRequestError(httptest.NewRecorder(), req, authReq, oidc.ErrInvalidScope(), p.provider)
		}
	})
	rc, err := middleware.New(middleware.Config{Render: pages})
	require.NoError(b, err)
	h := rc.Authorization(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope.Err() }))
	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
}

// BenchmarkErrorRequest: one whole failing request (an unknown client),
// in process: op's Authorize alone and the adapter's.
func BenchmarkErrorRequest(b *testing.B) {
	quietLogs(b)
	p := newPair(b)
	query := authorizeQuery(map[string]string{"client_id": "nope"})
	lib := op.NewIssuerInterceptor(p.provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.Authorize(w, r, p.provider)
	})
	adapter := op.NewIssuerInterceptor(p.provider.IssuerFromRequest).Handler(p.adapter)
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{{"library", lib}, {"adapter", adapter}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bb.h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/authorize?"+query, nil))
			}
		})
	}
}

// BenchmarkSuccess: a valid authorization request, end to end over
// loopback HTTP, answered by op alone (/authorize) and through the adapter
// (/oauth/authorize): both store the request and redirect to the login.
func BenchmarkSuccess(b *testing.B) {
	quietLogs(b)
	p := newPair(b)
	query := authorizeQuery(nil)
	for _, bb := range []struct{ name, path string }{{"library", "/authorize?"}, {"adapter", "/oauth/authorize?"}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if res := p.get(b, bb.path+query); res.StatusCode != http.StatusFound {
					b.Fatal(res.Status)
				}
			}
		})
	}
}

// BenchmarkSuccessAB is BenchmarkSuccess with the two answered in turns in
// one loop (the order swapped every round), each request timed on its own,
// so that the load of a shared machine falls on both alike. It reports each
// side's median and adapter/library of the medians, the ratio the budget is
// about (a median, as a few requests stalled by other processes would
// decide a mean).
func BenchmarkSuccessAB(b *testing.B) {
	quietLogs(b)
	p := newPair(b)
	query := authorizeQuery(nil)
	paths := [2]string{"/authorize?" + query, "/oauth/authorize?" + query}
	var spent [2][]time.Duration
	round := 0
	for b.Loop() {
		for k := range 2 {
			side := (round + k) % 2
			start := time.Now()
			if res := p.get(b, paths[side]); res.StatusCode != http.StatusFound {
				b.Fatal(res.Status)
			}
			spent[side] = append(spent[side], time.Since(start))
		}
		round++
	}
	lib, ad := median(spent[0]), median(spent[1])
	b.ReportMetric(float64(lib.Nanoseconds()), "library-ns/req")
	b.ReportMetric(float64(ad.Nanoseconds()), "adapter-ns/req")
	b.ReportMetric(float64(ad)/float64(lib), "adapter/library")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
