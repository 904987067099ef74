package otelauthredirect_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/otelauthredirect"
	"github.com/authredirect/authredirect/render"
)

// harness is the real SDK on both sides: a manual metric reader and an
// in-memory span recorder, with the observer under test on them.
type harness struct {
	reader    *sdkmetric.ManualReader
	spans     *tracetest.SpanRecorder
	tracer    trace.Tracer
	observe   middleware.Observer
	uncounted func(*http.Request, error)
}

func newHarness(t testing.TB, opts ...otelauthredirect.Option) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	h.tracer = tp.Tracer("test")
	obs, err := otelauthredirect.New(append([]otelauthredirect.Option{otelauthredirect.WithMeterProvider(mp)}, opts...)...)
	require.NoError(t, err)
	h.observe = obs
	h.uncounted, err = otelauthredirect.Uncounted(otelauthredirect.WithMeterProvider(mp))
	require.NoError(t, err)
	return h
}

// serve sends req to handler inside a recording span, as otelhttp would.
func (h *harness) serve(handler http.Handler, req *http.Request) *httptest.ResponseRecorder {
	ctx, span := h.tracer.Start(req.Context(), "request", trace.WithSpanKind(trace.SpanKindServer))
	w := httptest.NewRecorder()
	func() {
		defer func() {
			// An aborted response, which net/http would cut.
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				panic(v)
			}
		}()
		handler.ServeHTTP(w, req.WithContext(ctx))
	}()
	span.End()
	return w
}

// metrics collects what the reader holds.
func (h *harness) metrics(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	return rm
}

// recoverWith builds a Recoverer route with local pages.
func recoverWith(t testing.TB, kind codes.Kind, mode middleware.Mode, observe middleware.Observer) func(http.Handler) http.Handler {
	t.Helper()
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/"}, Observer: observe})
	require.NoError(t, err)
	return rc.Route(kind, mode)
}

// keyCounter counts arrivals per key, whatever the browser: a test's
// stand-in for a browser that keeps its cookie.
type keyCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *keyCounter) Arrive(_ http.ResponseWriter, _ *http.Request, key string, _ time.Time, _ time.Duration) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[key]++
	return c.n[key], nil
}

// loopGuard is a loop guard that lets one arrival per client through and
// trips on the second.
func loopGuard(t testing.TB) func(http.Handler) http.Handler {
	t.Helper()
	counter := &keyCounter{n: map[string]int{}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	g, err := loopguard.New(loopguard.Config{Limit: 1, Counter: counter, Now: func() time.Time { return now }})
	require.NoError(t, err)
	return g.Middleware
}

// failureAttrs are the attributes of the span event; the counter's add
// the route and the method.
func failureAttrs(family, code, detail, outcome string, panicked bool) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("authredirect.family", family),
		attribute.String("error.type", code),
		attribute.String("authredirect.detail", detail),
		attribute.String("authredirect.outcome", outcome),
		attribute.Bool("authredirect.panicked", panicked),
	}
}

func metricAttrs(event []attribute.KeyValue, route, method string) attribute.Set {
	return attribute.NewSet(append(event[:len(event):len(event)],
		attribute.String("http.route", route), attribute.String("http.request.method", method))...)
}

// failures is the expected counter with the given data points.
func failures(points ...metricdata.DataPoint[int64]) metricdata.Metrics {
	return metricdata.Metrics{
		Name:        "authredirect.failures",
		Description: "Failed requests answered by authredirect's Recoverer routes, by error family, code, detail and outcome.",
		Unit:        "{request}",
		Data: metricdata.Sum[int64]{
			Temporality: metricdata.CumulativeTemporality,
			IsMonotonic: true,
			DataPoints:  points,
		},
	}
}

// event is a span event without its time.
type event struct {
	Name  string
	Attrs []attribute.KeyValue
}

func events(s sdktrace.ReadOnlySpan) []event {
	var out []event
	for _, e := range s.Events() {
		out = append(out, event{Name: e.Name, Attrs: e.Attributes})
	}
	return out
}
