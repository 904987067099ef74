//go:build !race

package zitadelauthredirect_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// TestAlloc_BelowTheLibrary is the budget of BenchmarkErrorAnswer and
// BenchmarkErrorRequest in allocations, which do not vary with the load:
// the adapter's answer to a failure allocates less than op's own, and a
// whole failing request no more. (Without -race, which changes them.)
func TestAlloc_BelowTheLibrary(t *testing.T) {
	quietLogs(t)
	p := newPair(t)
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	authReq := &oidc.AuthRequest{RedirectURI: app.RedirectURI, ResponseType: oidc.ResponseTypeCode, State: "st-1"}
	rc, err := middleware.New(middleware.Config{Render: pages})
	require.NoError(t, err)
	h := rc.Authorization(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope.Err() }))

	library := testing.AllocsPerRun(200, func() {
		op.AuthRequestError(httptest.NewRecorder(), req, authReq, oidc.ErrInvalidScope(), p.provider)
	})
	adapter := testing.AllocsPerRun(200, func() { h.ServeHTTP(httptest.NewRecorder(), req) })
	assert.Less(t, adapter, library, "the error answer")
	t.Logf("allocations of the error answer: %v (op alone %v)", adapter, library)

	query := authorizeQuery(map[string]string{"client_id": "nope"})
	lib := op.NewIssuerInterceptor(p.provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.Authorize(w, r, p.provider)
	})
	ad := op.NewIssuerInterceptor(p.provider.IssuerFromRequest).Handler(p.adapter)
	library = testing.AllocsPerRun(200, func() {
		lib.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/authorize?"+query, nil))
	})
	adapter = testing.AllocsPerRun(200, func() {
		ad.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+query, nil))
	})
	assert.LessOrEqual(t, adapter, library, "a whole failing request")
	t.Logf("allocations of a whole failing request: %v (op alone %v)", adapter, library)
}
