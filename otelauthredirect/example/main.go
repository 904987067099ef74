// Command example is the accounts example server (examples/accounts) with
// OpenTelemetry: otelhttp traces and measures every request, the
// otelauthredirect observer records every failure beside the slog one, and
// /metrics serves the metrics in Prometheus's text format through
// OpenTelemetry's Prometheus exporter. Run it from the module's directory:
//
//	cd otelauthredirect && go run ./example
//
// then open a failing URL of README.md's table, such as
// /oauth/authorize?response_type=code&client_id=nope, and /metrics.
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
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, shutdownTelemetry, err := newServer(base, logger)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("accounts example with OpenTelemetry on %s, metrics on %s/metrics (Ctrl-C stops it)\n", base, base)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return shutdownTelemetry(shutdown)
}

// newServer builds the server for base: the accounts example under
// otelhttp, and /metrics. The returned function flushes and stops the
// telemetry.
func newServer(base string, logger *slog.Logger) (http.Handler, func(context.Context) error, error) {
	// Metrics: pulled by Prometheus from /metrics. A registry of our own
	// keeps the page to this server's series.
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	// Traces: every request is sampled and its span annotated on failure;
	// give the provider an exporter (OTLP, stdout) to send them somewhere.
	tp := sdktrace.NewTracerProvider()
	shutdown := func(ctx context.Context) error { return errors.Join(mp.Shutdown(ctx), tp.Shutdown(ctx)) }

	otelObserver, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(mp))
	if err != nil {
		return nil, nil, errors.Join(err, shutdown(context.Background()))
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
		return nil, nil, errors.Join(err, shutdown(context.Background()))
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	mux.Handle("/", otelhttp.NewHandler(accounts, "accounts",
		otelhttp.WithMeterProvider(mp), otelhttp.WithTracerProvider(tp)))
	return mux, shutdown, nil
}
