// Command example is the accounts example server (examples/accounts) with
// OpenTelemetry: otelhttp traces and measures every request, the
// otelauthredirect observer records every failure beside the slog one, and
// OpenTelemetry's Prometheus exporter serves the metrics in Prometheus's
// text format on /metrics of a listener of their own (-metrics-addr), which
// operators keep off the public network. Both servers have the timeouts of
// examples/accounts (app.ProductionLimits). Run it from the module's
// directory:
//
//	cd otelauthredirect && go run ./example
//
// then open a failing URL of README.md's table, such as
// /oauth/authorize?response_type=code&client_id=nope, and
// http://127.0.0.1:9464/metrics.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authredirect/authredirect/examples/accounts/app"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/otelauthredirect"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	metricsAddr := flag.String("metrics-addr", "127.0.0.1:9464", "address to serve /metrics on, apart from the app (port 0 picks a free one)")
	flag.Parse()
	if err := run(*addr, *metricsAddr); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(addr, metricsAddr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	metricsLn, err := net.Listen("tcp", metricsAddr)
	if err != nil {
		ln.Close()
		return err
	}
	base := "http://" + ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, metrics, shutdownTelemetry, err := newServer(base, logger)
	if err != nil {
		ln.Close()
		metricsLn.Close()
		return err
	}
	srv, metricsSrv := httpServers(h, metrics)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- metricsSrv.Serve(metricsLn) }()
	fmt.Printf("accounts example with OpenTelemetry on %s, metrics on http://%s/metrics (Ctrl-C stops it)\n", base, metricsLn.Addr())

	var served error
	select {
	case served = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(served, srv.Shutdown(shutdown), metricsSrv.Shutdown(shutdown), shutdownTelemetry(shutdown))
}

// httpServers are the app's server and the metrics server, both with the
// timeouts and header limit of examples/accounts.
func httpServers(h, metrics http.Handler) (srv, metricsSrv *http.Server) {
	return app.NewHTTPServer(h, app.ProductionLimits), app.NewHTTPServer(metrics, app.ProductionLimits)
}

// newServer builds the handlers for base: the accounts example under
// otelhttp, and the metrics handler, which serves GET /metrics only and
// goes on a listener of its own. The returned function flushes and stops
// the telemetry.
func newServer(base string, logger *slog.Logger) (h, metrics http.Handler, shutdown func(context.Context) error, err error) {
	mp, metrics, err := prometheusMetrics()
	if err != nil {
		return nil, nil, nil, err
	}
	// Traces: every request is sampled and its span annotated on failure;
	// give the provider an exporter (OTLP, stdout) to send them somewhere.
	tp := sdktrace.NewTracerProvider()
	shutdown = func(ctx context.Context) error { return errors.Join(mp.Shutdown(ctx), tp.Shutdown(ctx)) }

	otelObserver, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(mp))
	if err != nil {
		return nil, nil, nil, errors.Join(err, shutdown(context.Background()))
	}
	logObserver := middleware.LogObserver(logger)
	// One instance: a random key is fine (a fleet shares one).
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	accounts, err := app.New(app.Config{
		Base:      base,
		Logger:    logger,
		CookieKey: key,
		Observer:  func(ev middleware.Event) { otelObserver(ev); logObserver(ev) },
	})
	if err != nil {
		return nil, nil, nil, errors.Join(err, shutdown(context.Background()))
	}

	h = otelhttp.NewHandler(accounts, "accounts", otelhttp.WithMeterProvider(mp), otelhttp.WithTracerProvider(tp))
	return h, metrics, shutdown, nil
}

// README snippet prometheus begin
// prometheusMetrics returns a MeterProvider for otelauthredirect.New and
// otelhttp, and the handler that serves its metrics to Prometheus on
// GET /metrics, for a listener of its own.
func prometheusMetrics() (*sdkmetric.MeterProvider, http.Handler, error) {
	registry := prometheus.NewRegistry() // this server's series only
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)), mux, nil
}

// README snippet prometheus end
