package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/justinas/alice"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authredirect/authredirect/codes"
	ar "github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/otelauthredirect"
	"github.com/authredirect/authredirect/render"
)

// The observers: what recording a failure costs with no observer work at
// all, with the slog observer, and with the OpenTelemetry one (module
// otelauthredirect) on the real metric SDK. Budget: the
// OpenTelemetry observer adds at most 1 allocation to a failure, and
// nothing to a request that succeeds (a Recoverer calls no observer then).
func BenchmarkObserver(b *testing.B) {
	otelSDK := func(b *testing.B) ar.Observer {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		obs, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(mp))
		if err != nil {
			b.Fatal(err)
		}
		return obs
	}
	otelNoop := func(b *testing.B) ar.Observer {
		obs, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(noop.NewMeterProvider()))
		if err != nil {
			b.Fatal(err)
		}
		return obs
	}
	slogText := func(*testing.B) ar.Observer {
		return ar.LogObserver(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	slogDiscard := func(*testing.B) ar.Observer { return ar.LogObserver(slog.New(slog.DiscardHandler)) }
	both := func(b *testing.B) ar.Observer {
		o, l := otelSDK(b), slogText(b)
		return func(ev ar.Event) { o(ev); l(ev) }
	}
	observers := []struct {
		name string
		make func(*testing.B) ar.Observer
	}{
		{"noop", func(*testing.B) ar.Observer { return func(ar.Event) {} }},
		{"slog-DiscardHandler", slogDiscard},
		{"slog-text-to-io.Discard", slogText},
		{"otel-noop-provider", otelNoop},
		{"otel-sdk", otelSDK},
		{"otel-sdk+slog-text", both},
	}
	failing := func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	}
	succeeding := func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	tp := sdktrace.NewTracerProvider() // always samples; no exporter
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("bench")

	for _, path := range []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request) error
		status  int
		span    bool
	}{
		{"error", failing, http.StatusSeeOther, false},
		{"error-in-recording-span", failing, http.StatusSeeOther, true},
		{"success", succeeding, http.StatusNoContent, false},
	} {
		for _, o := range observers {
			b.Run(path.name+"/"+o.name, func(b *testing.B) {
				rc, err := ar.New(ar.Config{
					Render:   render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage},
					Observer: o.make(b),
				})
				if err != nil {
					b.Fatal(err)
				}
				h := alice.New(rc.Authorization).Then(ar.Wrap(path.handler))
				req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope&response_type=code", nil)
				w := newWriter()
				b.ReportAllocs()
				for b.Loop() {
					w.reset()
					if path.span {
						ctx, span := tracer.Start(context.Background(), "request")
						h.ServeHTTP(w, req.WithContext(ctx))
						span.End()
					} else {
						h.ServeHTTP(w, req)
					}
				}
				if w.code != path.status {
					b.Fatalf("status %d, want %d", w.code, path.status)
				}
			})
		}
	}
}
