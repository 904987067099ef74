//go:build !race

package fositeauthredirect_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
)

// TestAlloc_ErrorAnswerCostsLessThanFosites: the adapter's whole answer to
// a failed authorization request allocates less than fosite's own
// WriteAuthorizeError for the same request (at most 4 against fosite's 10
// and more).
func TestAlloc_ErrorAnswerCostsLessThanFosites(t *testing.T) {
	provider, a, rc := benchSetup(t)
	for _, query := range []string{authorizeQuery("client_id", "nope"), authorizeQuery("scope", "openid admin")} {
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+query, nil)
		ctx := context.Background()
		ar, err := provider.NewAuthorizeRequest(ctx, r)
		require.Error(t, err)
		w := &discard{h: http.Header{}}
		library := testing.AllocsPerRun(100, func() {
			clear(w.h)
			provider.WriteAuthorizeError(ctx, w, ar, err)
		})
		h := rc.Authorization(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
			return a.AuthorizeError(ctx, w, ar, err)
		}))
		adapter := testing.AllocsPerRun(100, func() {
			clear(w.h)
			h.ServeHTTP(w, r)
		})
		assert.LessOrEqual(t, adapter, 5.0, query) // with the route's one writer
		assert.Less(t, adapter, library, query)
	}
}

// TestAlloc_SuccessAddsNothing: a request that succeeds allocates no more
// through the adapter's wiring than with fosite alone, but for the
// Recoverer route's one writer per request.
func TestAlloc_SuccessAddsNothing(t *testing.T) {
	hs := successHandlers(t)
	query := "/oauth/authorize?" + authorizeQuery()
	allocs := map[string]float64{}
	for name, h := range hs {
		w := &discard{h: http.Header{}}
		allocs[name] = testing.AllocsPerRun(50, func() {
			clear(w.h)
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, query, nil))
		})
	}
	assert.LessOrEqual(t, allocs["adapter"], allocs["fosite"]+1, "the route's writer is the one allocation the wiring adds")
}
