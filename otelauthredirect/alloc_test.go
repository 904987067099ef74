package otelauthredirect_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/otelauthredirect"
)

// discardWriter is a ResponseWriter that reuses its header map, so that
// allocation counts are the middleware's and the observer's only.
type discardWriter struct {
	h    http.Header
	code int
}

func newDiscardWriter() *discardWriter               { return &discardWriter{h: http.Header{}} }
func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) reset()                      { clear(w.h); w.code = 0 }
func quiet(middleware.Event)                         {}
func failing(http.ResponseWriter, *http.Request) error {
	return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
}

var okBody = []byte("ok")

func succeeding(w http.ResponseWriter, _ *http.Request) error {
	_, err := w.Write(okBody)
	return err
}

// allocsPerRequest serves one request through a Recoverer route + Wrap with obs,
// warmed up once, and counts the allocations of each further one.
func allocsPerRequest(t *testing.T, obs middleware.Observer, handler func(http.ResponseWriter, *http.Request) error, wantStatus int) float64 {
	t.Helper()
	h := recoverWith(t, codes.Authorization, middleware.ModeRedirect, obs)(middleware.Wrap(handler))
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?response_type=code&client_id=nope", nil)
	w := newDiscardWriter()
	h.ServeHTTP(w, req)
	require.Equal(t, wantStatus, w.code)
	return testing.AllocsPerRun(1000, func() {
		w.reset()
		h.ServeHTTP(w, req)
	})
}

// TestObserver_FailureAddsAtMostOneAllocation: a failure recorded on the
// real SDK costs at most one allocation more than a no-op observer, and
// so does one on the global (no-op until set) provider.
func TestObserver_FailureAddsAtMostOneAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under -race")
	}
	base := allocsPerRequest(t, quiet, failing, http.StatusSeeOther)
	sdk := allocsPerRequest(t, newHarness(t).observe, failing, http.StatusSeeOther)
	noopObs, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(noop.NewMeterProvider()))
	require.NoError(t, err)
	onNoop := allocsPerRequest(t, noopObs, failing, http.StatusSeeOther)
	t.Logf("allocations per failed request: no-op observer %.1f, otel on the SDK %.1f, otel on a no-op provider %.1f", base, sdk, onNoop)
	assert.LessOrEqual(t, sdk-base, 1.0)
	assert.LessOrEqual(t, onNoop-base, 1.0)
}

// TestObserver_SuccessAllocatesNothing: a Recoverer never calls the observer for
// a request that succeeds, so with the otel observer it stays at the
// library's one allocation (the route's writer).
func TestObserver_SuccessAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under -race")
	}
	base := allocsPerRequest(t, quiet, succeeding, 0)
	sdk := allocsPerRequest(t, newHarness(t).observe, succeeding, 0)
	t.Logf("allocations per successful request: no-op observer %.1f, otel on the SDK %.1f", base, sdk)
	assert.Equal(t, 1.0, base, "the Recoverer route's one writer")
	assert.Equal(t, base, sdk, "the observer adds nothing to a request that succeeds")
}
