package otelauthredirect_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/otelauthredirect"
	"github.com/authredirect/authredirect/render"
)

// New's observer beside the slog one, on a ServeMux route: the failure is
// counted under the route's pattern, never its query.
func ExampleNew() {
	reader := sdkmetric.NewManualReader() // in a service: the Prometheus or OTLP exporter
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	otelObserver, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	logObserver := middleware.LogObserver(slog.New(slog.DiscardHandler))

	rc, _ := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"},
		Observer: middleware.Observers(otelObserver, logObserver),
	})
	authz := rc.Authorization
	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", authz(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	})))
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope", nil))

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	m := rm.ScopeMetrics[0].Metrics[0]
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		fmt.Println(m.Name, dp.Value)
		for _, kv := range dp.Attributes.ToSlice() {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// authredirect.failures 1
	//   authredirect.detail=client_id_not_found
	//   authredirect.family=authorization
	//   authredirect.outcome=redirected
	//   authredirect.panicked=false
	//   error.type=unauthorized_client
	//   http.request.method=GET
	//   http.route=/oauth/authorize
}

// The snippet of docs/operations.md: the observer on the global providers beside the
// slog one.
func ExampleNew_besideTheLogObserver() {
	logger := slog.New(slog.DiscardHandler)

	// README snippet observability begin
	otelObs, err := otelauthredirect.New() // global providers; or WithMeterProvider(mp)
	if err != nil {
		log.Fatal(err)
	}
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
		Observer: middleware.Observers(otelObs, middleware.LogObserver(logger)),
	})
	if err != nil {
		log.Fatal(err)
	}
	// README snippet observability end

	rec := httptest.NewRecorder()
	rc.Authorization(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidScope
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output: 303 /ooops?oauth_exception=invalid_scope
}
