package otelauthredirect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/otelauthredirect"
)

// TestNew_RecordsEveryFailure drives real requests through a Recoverer route + Wrap
// and checks the exact data point and span of each outcome, both families,
// panics, a loop-guard trip, a route pattern and an unknown method.
func TestNew_RecordsEveryFailure(t *testing.T) {
	authz, authn := codes.Authorization, codes.Authentication
	fail := func(err error) func(http.ResponseWriter, *http.Request) error {
		return func(http.ResponseWriter, *http.Request) error { return err }
	}
	get := func(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }
	tests := []struct {
		name string
		// handler builds the whole handler on the observer.
		handler func(t *testing.T, obs middleware.Observer) http.Handler
		// requests are served in order; all but the last succeed.
		requests   []*http.Request
		wantStatus int
		wantEvent  []attribute.KeyValue
		wantRoute  string
		wantMethod string
		wantPanic  string // exception.type of a panic
	}{
		{
			name: "redirected, authorization, with detail",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(fail(codes.UnauthorizedClient.With(codes.ClientIDNotFound))))
			},
			requests:   []*http.Request{get("/oauth/authorize?response_type=code&client_id=nope")},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authorization", "unauthorized_client", "client_id_not_found", "redirected", false),
			wantMethod: "GET",
		},
		{
			name: "json",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeJSON, obs)(middleware.Wrap(fail(codes.InvalidGrant)))
			},
			requests:   []*http.Request{httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=refresh_token"))},
			wantStatus: http.StatusBadRequest,
			wantEvent:  failureAttrs("authorization", "invalid_grant", "none", "json", false),
			wantMethod: "POST",
		},
		{
			name: "loop stopped: the error page itself failed",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(fail(errors.New("storage down"))))
			},
			requests:   []*http.Request{get("/ooops?oauth_exception=invalid_scope")},
			wantStatus: http.StatusInternalServerError,
			wantEvent:  failureAttrs("authorization", "server_error", "none", "loop_stopped", false),
			wantMethod: "GET",
		},
		{
			name: "aborted: the response had started",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
					_, _ = io.WriteString(w, "partial")
					return codes.AccessDenied
				}))
			},
			requests:   []*http.Request{get("/oauth/authorize")},
			wantStatus: http.StatusOK,
			wantEvent:  failureAttrs("authorization", "access_denied", "none", "aborted", false),
			wantMethod: "GET",
		},
		{
			name: "client gone",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
					return r.Context().Err()
				}))
			},
			requests: []*http.Request{func() *http.Request {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return get("/oauth/authorize").WithContext(ctx)
			}()},
			wantStatus: http.StatusOK, // nothing written
			wantEvent:  failureAttrs("authorization", "server_error", "none", "client_gone", false),
			wantMethod: "GET",
		},
		{
			name: "authentication family, entity id not recorded",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authn, middleware.ModeRedirect, obs)(middleware.Wrap(fail(codes.Unauthorized.WithEntityID("u-jane"))))
			},
			requests:   []*http.Request{httptest.NewRequest(http.MethodPost, "/login", nil)},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authentication", "unauthorized", "none", "redirected", false),
			wantMethod: "POST",
		},
		{
			name: "authentication family, plain error",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authn, middleware.ModeRedirect, obs)(middleware.Wrap(fail(errors.New("storage down"))))
			},
			requests:   []*http.Request{httptest.NewRequest(http.MethodPost, "/login", nil)},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authentication", "server_error", "none", "redirected", false),
			wantMethod: "POST",
		},
		{
			name: "panic with a string",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
					panic("boom: password=hunter2")
				}))
			},
			requests:   []*http.Request{get("/demo/boom")},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authorization", "server_error", "none", "redirected", true),
			wantMethod: "GET",
			wantPanic:  "string",
		},
		{
			name: "panic with an error",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
					panic(fmt.Errorf("token %s: %w", "t0k3n", io.ErrUnexpectedEOF))
				}))
			},
			requests:   []*http.Request{get("/demo/boom")},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authorization", "server_error", "none", "redirected", true),
			wantMethod: "GET",
			wantPanic:  "*fmt.wrapError",
		},
		{
			name: "loop guard trip",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(loopGuard(t)(middleware.Wrap(fail(nil))))
			},
			requests:   []*http.Request{get("/oauth/authorize?client_id=loopy"), get("/oauth/authorize?client_id=loopy")},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authorization", "invalid_request", "to_many_redirects", "redirected", false),
			wantMethod: "GET",
		},
		{
			name: "route pattern of a ServeMux",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				mux := http.NewServeMux()
				mux.Handle("GET /oauth/authorize", recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(fail(codes.InvalidScope))))
				return mux
			},
			requests:   []*http.Request{get("/oauth/authorize?client_id=demo&scope=admin")},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authorization", "invalid_scope", "none", "redirected", false),
			wantRoute:  "/oauth/authorize",
			wantMethod: "GET",
		},
		{
			name: "unknown method is _OTHER",
			handler: func(t *testing.T, obs middleware.Observer) http.Handler {
				return recoverWith(t, authz, middleware.ModeRedirect, obs)(middleware.Wrap(fail(codes.InvalidRequest)))
			},
			requests:   []*http.Request{httptest.NewRequest("BREW", "/oauth/authorize", nil)},
			wantStatus: http.StatusSeeOther,
			wantEvent:  failureAttrs("authorization", "invalid_request", "none", "redirected", false),
			wantMethod: "_OTHER",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			handler := tt.handler(t, h.observe)
			var w *httptest.ResponseRecorder
			for i, req := range tt.requests {
				w = h.serve(handler, req)
				if i < len(tt.requests)-1 {
					require.Equal(t, http.StatusOK, w.Code, "request %d should succeed", i)
				}
			}
			assert.Equal(t, tt.wantStatus, w.Code)

			rm := h.metrics(t)
			require.Len(t, rm.ScopeMetrics, 1)
			assert.Equal(t, otelauthredirect.ScopeName, rm.ScopeMetrics[0].Scope.Name)
			assert.Equal(t, "https://opentelemetry.io/schemas/1.43.0", rm.ScopeMetrics[0].Scope.SchemaURL)
			require.Len(t, rm.ScopeMetrics[0].Metrics, 1)
			metricdatatest.AssertEqual(t,
				failures(metricdata.DataPoint[int64]{Attributes: metricAttrs(tt.wantEvent, tt.wantRoute, tt.wantMethod), Value: 1}),
				rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())

			spans := h.spans.Ended()
			require.Len(t, spans, len(tt.requests))
			for _, ok := range spans[:len(spans)-1] {
				assert.Equal(t, sdktrace.Status{Code: otelcodes.Unset}, ok.Status(), "a request that succeeds is not touched")
				assert.Empty(t, ok.Events())
			}
			last := spans[len(spans)-1]
			assert.Equal(t, sdktrace.Status{Code: otelcodes.Error, Description: tt.wantEvent[1].Value.AsString()}, last.Status())
			// The data point's exemplar links it to the failed request's trace.
			ex := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints[0].Exemplars
			require.Len(t, ex, 1)
			assert.Equal(t, last.SpanContext().SpanID().String(), fmt.Sprintf("%x", ex[0].SpanID))
			assert.Equal(t, last.SpanContext().TraceID().String(), fmt.Sprintf("%x", ex[0].TraceID))
			want := []event{{Name: "authredirect.failure", Attrs: tt.wantEvent}}
			if tt.wantPanic != "" {
				want = append(want, event{Name: "exception", Attrs: []attribute.KeyValue{attribute.String("exception.type", tt.wantPanic)}})
			}
			assert.Equal(t, want, events(last))
		})
	}
}

// TestNew_SameCombinationCountsOnOneSeries: repeated failures of one kind
// add up on one data point, and another route is another point.
func TestNew_SameCombinationCountsOnOneSeries(t *testing.T) {
	h := newHarness(t)
	mux := http.NewServeMux()
	rec := recoverWith(t, codes.Authorization, middleware.ModeRedirect, h.observe)
	fail := middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope })
	mux.Handle("GET /a/{id}", rec(fail))
	mux.Handle("GET /b", rec(fail))
	for _, path := range []string{"/a/1", "/a/2?secret=x", "/a/3", "/b"} {
		h.serve(mux, httptest.NewRequest(http.MethodGet, path, nil))
	}
	ev := failureAttrs("authorization", "invalid_scope", "none", "redirected", false)
	rm := h.metrics(t)
	require.Len(t, rm.ScopeMetrics, 1)
	metricdatatest.AssertEqual(t, failures(
		metricdata.DataPoint[int64]{Attributes: metricAttrs(ev, "/a/{id}", "GET"), Value: 3},
		metricdata.DataPoint[int64]{Attributes: metricAttrs(ev, "/b", "GET"), Value: 1},
	), rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestNew_SuccessRecordsNothing: a Recoverer calls no observer for a handler
// that succeeds, so it adds no data point and leaves the span alone.
func TestNew_SuccessRecordsNothing(t *testing.T) {
	h := newHarness(t)
	handler := recoverWith(t, codes.Authorization, middleware.ModeRedirect, h.observe)(
		middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
			_, err := io.WriteString(w, "ok")
			return err
		}))
	w := h.serve(handler, httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, h.metrics(t).ScopeMetrics)
	spans := h.spans.Ended()
	require.Len(t, spans, 1)
	assert.Equal(t, sdktrace.Status{Code: otelcodes.Unset}, spans[0].Status())
	assert.Empty(t, spans[0].Events())
}

// TestNew_NeverRecordsQueryOrCause: the query, the cause's text, a panic
// value's text and the entity id reach neither metrics nor spans by default.
func TestNew_NeverRecordsQueryOrCause(t *testing.T) {
	secrets := []string{"s3cr3t-query", "s3cr3t-cause", "s3cr3t-panic", "u-s3cr3t"}
	h := newHarness(t)
	authz := recoverWith(t, codes.Authorization, middleware.ModeRedirect, h.observe)
	authn := recoverWith(t, codes.Authentication, middleware.ModeRedirect, h.observe)
	h.serve(authz(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidScope.WithCause(errors.New("s3cr3t-cause"))
	})), httptest.NewRequest(http.MethodGet, "/oauth/authorize?code=s3cr3t-query", nil))
	h.serve(authz(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		panic("s3cr3t-panic")
	})), httptest.NewRequest(http.MethodGet, "/x?code=s3cr3t-query", nil))
	h.serve(authn(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.Unauthorized.WithEntityID("u-s3cr3t")
	})), httptest.NewRequest(http.MethodPost, "/login?code=s3cr3t-query", nil))

	var recorded strings.Builder
	for _, sm := range h.metrics(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				fmt.Fprintln(&recorded, dp.Attributes.Encoded(attribute.DefaultEncoder()))
			}
		}
	}
	for _, s := range h.spans.Ended() {
		fmt.Fprintln(&recorded, s.Name(), s.Attributes(), s.Status(), s.Events())
	}
	require.Contains(t, recorded.String(), "server_error") // something was recorded
	for _, secret := range secrets {
		assert.NotContains(t, recorded.String(), secret)
	}
}

// TestWithRecordCauses_RecordsExceptions: with the opt-in, a cause and a
// panic become exception events with their text (and stack, for a panic).
func TestWithRecordCauses_RecordsExceptions(t *testing.T) {
	h := newHarness(t, otelauthredirect.WithRecordCauses())
	rec := recoverWith(t, codes.Authorization, middleware.ModeRedirect, h.observe)
	cause := errors.New("db: connection refused")
	h.serve(rec(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.TemporarilyUnavailable.WithCause(cause)
	})), httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil))
	h.serve(rec(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		panic("boom")
	})), httptest.NewRequest(http.MethodGet, "/demo/boom", nil))

	spans := h.spans.Ended()
	require.Len(t, spans, 2)
	assert.Equal(t, []event{
		{Name: "authredirect.failure", Attrs: failureAttrs("authorization", "temporarily_unavailable", "none", "redirected", false)},
		{Name: "exception", Attrs: []attribute.KeyValue{
			attribute.String("exception.type", "*codes.Error"),
			attribute.String("exception.message", "authorization error temporarily_unavailable: db: connection refused"),
		}},
	}, events(spans[0]))

	got := events(spans[1])
	require.Len(t, got, 2)
	assert.Equal(t, event{Name: "authredirect.failure", Attrs: failureAttrs("authorization", "server_error", "none", "redirected", true)}, got[0])
	assert.Equal(t, "exception", got[1].Name)
	require.Len(t, got[1].Attrs, 3)
	assert.Equal(t, attribute.String("exception.type", "string"), got[1].Attrs[0])
	assert.Equal(t, attribute.String("exception.message", "boom"), got[1].Attrs[1])
	assert.Equal(t, attribute.Key("exception.stacktrace"), got[1].Attrs[2].Key)
	assert.Contains(t, got[1].Attrs[2].Value.AsString(), "goroutine ")
}

// TestNew_SpanNotRecording: without a recording span (none in the context,
// or one that was not sampled) the failure is counted and no span is made.
func TestNew_SpanNotRecording(t *testing.T) {
	h := newHarness(t)
	rec := recoverWith(t, codes.Authorization, middleware.ModeRedirect, h.observe)
	handler := rec(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { panic("boom") }))

	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/demo/boom", nil))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(h.spans))
	ctx, span := tp.Tracer("test").Start(context.Background(), "unsampled")
	require.False(t, span.IsRecording())
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/demo/boom", nil).WithContext(ctx))
	span.End()

	assert.Empty(t, h.spans.Ended())
	rm := h.metrics(t)
	require.Len(t, rm.ScopeMetrics, 1)
	metricdatatest.AssertEqual(t, failures(metricdata.DataPoint[int64]{
		Attributes: metricAttrs(failureAttrs("authorization", "server_error", "none", "redirected", true), "", "GET"),
		Value:      2,
	}), rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestNew_ComposesWithLogObserver: both observers hear the same failure.
func TestNew_ComposesWithLogObserver(t *testing.T) {
	h := newHarness(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := recoverWith(t, codes.Authorization, middleware.ModeRedirect, middleware.Observers(h.observe, middleware.LogObserver(logger)))
	h.serve(rec(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	})), httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope", nil))

	assert.Contains(t, logs.String(), `msg="authredirect: request failed" outcome=redirected`)
	assert.Contains(t, logs.String(), "error.kind=authorization error.code=unauthorized_client error.detail=client_id_not_found")
	rm := h.metrics(t)
	require.Len(t, rm.ScopeMetrics, 1)
	metricdatatest.AssertEqual(t, failures(metricdata.DataPoint[int64]{
		Attributes: metricAttrs(failureAttrs("authorization", "unauthorized_client", "client_id_not_found", "redirected", false), "", "GET"),
		Value:      1,
	}), rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestNew_GlobalMeterProviderByDefault: without WithMeterProvider the
// observer counts on otel.GetMeterProvider().
func TestNew_GlobalMeterProviderByDefault(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	obs, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(nil))
	require.NoError(t, err)
	obs(middleware.Event{Request: httptest.NewRequest(http.MethodGet, "/", nil), Outcome: middleware.Redirected, Err: codes.InvalidScope.With(codes.Detail{})})
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	metricdatatest.AssertEqual(t, failures(metricdata.DataPoint[int64]{
		Attributes: metricAttrs(failureAttrs("authorization", "invalid_scope", "none", "redirected", false), "", "GET"),
		Value:      1,
	}), rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestNew_EventWithoutRequestOrError: an Event built by hand with nothing
// in it is counted as _OTHER and does not crash.
func TestNew_EventWithoutRequestOrError(t *testing.T) {
	h := newHarness(t)
	assert.NotPanics(t, func() { h.observe(middleware.Event{}) })
	rm := h.metrics(t)
	require.Len(t, rm.ScopeMetrics, 1)
	metricdatatest.AssertEqual(t, failures(metricdata.DataPoint[int64]{
		Attributes: metricAttrs(failureAttrs("invalid", "_OTHER", "none", "invalid", false), "", "_OTHER"),
		Value:      1,
	}), rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// refusingMeterProvider hands out meters that refuse every counter.
type refusingMeterProvider struct{ noop.MeterProvider }

func (refusingMeterProvider) Meter(string, ...metric.MeterOption) metric.Meter {
	return refusingMeter{}
}

type refusingMeter struct{ noop.Meter }

func (refusingMeter) Int64Counter(string, ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return nil, errors.New("no counters today")
}

// TestNew_MeterProviderRefusesCounter: the one construction error wraps
// otelauthredirect.ErrConfig and says why.
func TestNew_MeterProviderRefusesCounter(t *testing.T) {
	obs, err := otelauthredirect.New(otelauthredirect.WithMeterProvider(refusingMeterProvider{}))
	assert.Nil(t, obs)
	require.ErrorIs(t, err, otelauthredirect.ErrConfig)
	assert.EqualError(t, err, "otelauthredirect: invalid configuration: the MeterProvider refused the counter authredirect.failures: no counters today")
}

// storeDown is a loop guard counter whose store does not answer.
type storeDown struct{}

func (storeDown) Arrive(http.ResponseWriter, *http.Request, string, time.Time, time.Duration) (int, error) {
	return 0, errors.New("store: connection refused")
}

// TestUncounted_CountsUncountedArrivals: a loop guard whose counter fails
// lets the request through and tells Uncounted, which counts it on its own
// metric (route and method only) and marks the span with an event without
// making the request a failure.
func TestUncounted_CountsUncountedArrivals(t *testing.T) {
	h := newHarness(t)
	g, err := loopguard.New(loopguard.Config{Counter: storeDown{}, Uncounted: h.uncounted, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	mux := http.NewServeMux()
	rec := recoverWith(t, codes.Authorization, middleware.ModeRedirect, h.observe)
	mux.Handle("GET /oauth/authorize", rec(g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))))
	for range 3 {
		w := h.serve(mux, httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil))
		require.Equal(t, http.StatusNoContent, w.Code, "the request goes on")
	}
	rm := h.metrics(t)
	require.Len(t, rm.ScopeMetrics, 1)
	require.Len(t, rm.ScopeMetrics[0].Metrics, 1, "no failure was counted")
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name:        "authredirect.loopguard.uncounted",
		Description: "Arrivals a loop guard's counter failed to count; the requests went on unguarded.",
		Unit:        "{request}",
		Data: metricdata.Sum[int64]{
			Temporality: metricdata.CumulativeTemporality,
			IsMonotonic: true,
			DataPoints: []metricdata.DataPoint[int64]{{
				Attributes: attribute.NewSet(attribute.String("http.route", "/oauth/authorize"), attribute.String("http.request.method", "GET")),
				Value:      3,
			}},
		},
	}, rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	spans := h.spans.Ended()
	require.Len(t, spans, 3)
	assert.Equal(t, []event{{Name: "authredirect.loopguard.uncounted"}}, events(spans[0]))
	assert.Equal(t, otelcodes.Unset, spans[0].Status().Code, "an uncounted arrival is no failure")
}
