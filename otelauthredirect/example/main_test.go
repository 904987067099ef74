package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/examples/accounts/app"
)

// TestServer_MetricsAfterFailures starts the example, makes failures of
// README.md's table and finds their series on /metrics.
func TestServer_MetricsAfterFailures(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, metrics, shutdown, err := newServer(base, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, shutdown(context.Background())) })
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	metricsSrv := httptest.NewServer(metrics)
	t.Cleanup(metricsSrv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, tc := range []struct {
		method, path string
		form         url.Values
		user         string
		wantStatus   int
		wantLocation string
	}{
		{method: "GET", path: "/oauth/authorize?response_type=code&client_id=nope", wantStatus: 303,
			wantLocation: base + "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"},
		{method: "GET", path: "/oauth/authorize?response_type=code&client_id=nope", wantStatus: 303,
			wantLocation: base + "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"},
		{method: "GET", path: "/demo/boom", wantStatus: 303, wantLocation: base + "/ooops?oauth_exception=server_error"},
		{method: "GET", path: "/demo/maintenance", wantStatus: 303, wantLocation: base + "/ooops?oauth_exception=temporarily_unavailable"},
		{method: "POST", path: "/login", form: url.Values{"email": {"jane@example.com"}, "password": {"wrong"}}, wantStatus: 303,
			wantLocation: base + "/?identity_exception=unauthorized&entity_id=u-jane"},
		{method: "POST", path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, user: "demo:demo-secret", wantStatus: 400},
	} {
		var body io.Reader
		if tc.form != nil {
			body = strings.NewReader(tc.form.Encode())
		}
		req, err := http.NewRequest(tc.method, base+tc.path, body)
		require.NoError(t, err)
		if tc.form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if id, secret, ok := strings.Cut(tc.user, ":"); ok {
			req.SetBasicAuth(id, secret)
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, tc.wantStatus, res.StatusCode, tc.path)
		assert.Equal(t, tc.wantLocation, res.Header.Get("Location"), tc.path)
	}

	res, err := client.Get(base + "/metrics")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the public listener serves no metrics")
	res, err = client.Get(metricsSrv.URL + "/oauth/authorize?response_type=code&client_id=nope")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the metrics listener serves nothing else")

	res, err = client.Get(metricsSrv.URL + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	scrape, err := io.ReadAll(res.Body)
	require.NoError(t, err)

	// Every failure on its series, exactly; nothing else on the counter.
	const scope = `otel_scope_name="github.com/authredirect/authredirect/otelauthredirect",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version=""`
	var failures []string
	for line := range strings.Lines(string(scrape)) {
		if strings.HasPrefix(line, "authredirect_") {
			failures = append(failures, strings.TrimSuffix(line, "\n"))
		}
	}
	assert.ElementsMatch(t, []string{
		`authredirect_failures_total{authredirect_detail="client_id_not_found",authredirect_family="authorization",authredirect_outcome="redirected",authredirect_panicked="false",error_type="unauthorized_client",http_request_method="GET",http_route="/oauth/authorize",` + scope + `} 2`,
		`authredirect_failures_total{authredirect_detail="none",authredirect_family="authentication",authredirect_outcome="redirected",authredirect_panicked="false",error_type="unauthorized",http_request_method="POST",http_route="/login",` + scope + `} 1`,
		`authredirect_failures_total{authredirect_detail="none",authredirect_family="authorization",authredirect_outcome="json",authredirect_panicked="false",error_type="unsupported_grant_type",http_request_method="POST",http_route="/oauth/token",` + scope + `} 1`,
		`authredirect_failures_total{authredirect_detail="none",authredirect_family="authorization",authredirect_outcome="redirected",authredirect_panicked="false",error_type="temporarily_unavailable",http_request_method="GET",http_route="/demo/maintenance",` + scope + `} 1`,
		`authredirect_failures_total{authredirect_detail="none",authredirect_family="authorization",authredirect_outcome="redirected",authredirect_panicked="true",error_type="server_error",http_request_method="GET",http_route="/demo/boom",` + scope + `} 1`,
	}, failures)
	assert.Contains(t, string(scrape), "# TYPE authredirect_failures_total counter\n")
	// otelhttp's own series sit beside them, on the same route names.
	assert.Regexp(t, `(?m)^http_server_request_duration_seconds_count\{http_request_method="GET",http_response_status_code="303",http_route="/oauth/authorize",.*\} 2$`, string(scrape))
	// The query (client_id=nope), the entity id and the panic text appear nowhere.
	for _, secret := range []string{"nope", "u-jane", "boom (", "wrong"} {
		assert.NotContains(t, string(scrape), secret)
	}
}

// Both listeners are served with the timeouts and header limit of
// examples/accounts: a client that stalls is cut off on either.
func TestHTTPServers_HaveTheAccountsLimits(t *testing.T) {
	srv, metricsSrv := httpServers(http.NotFoundHandler(), http.NotFoundHandler())
	for _, s := range []*http.Server{srv, metricsSrv} {
		assert.Equal(t, app.ProductionLimits, app.Limits{
			ReadHeader: s.ReadHeaderTimeout, Read: s.ReadTimeout, Write: s.WriteTimeout, Idle: s.IdleTimeout,
			MaxHeaderBytes: s.MaxHeaderBytes,
		})
	}
	assert.NotSame(t, srv, metricsSrv)
}
