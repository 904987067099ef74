package otelauthredirect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// ScopeName is the instrumentation scope of the observer's meter: the
// import path of this package, as OpenTelemetry's conventions ask.
const ScopeName = "github.com/authredirect/authredirect/otelauthredirect"

// The names this package records under. The attributes other than the
// semantic-convention ones (error.type, http.route, http.request.method,
// exception.*) live under "authredirect.".
const (
	// MetricName is the counter of failed requests, unit "{request}".
	MetricName = "authredirect.failures"
	// EventName is the span event added for each failure.
	EventName = "authredirect.failure"
	// UncountedMetricName is the counter of arrivals a loop guard's
	// counter failed to count (its store down or slow), unit "{request}".
	// Alert on its rate: while it grows, loops on those routes go unbroken.
	UncountedMetricName = "authredirect.loopguard.uncounted"
	// UncountedEventName is the span event added for each of them.
	UncountedEventName = "authredirect.loopguard.uncounted"

	familyKey   = attribute.Key("authredirect.family")
	detailKey   = attribute.Key("authredirect.detail")
	outcomeKey  = attribute.Key("authredirect.outcome")
	panickedKey = attribute.Key("authredirect.panicked")
)

// Option configures [New].
type Option interface{ apply(*config) }

type config struct {
	meterProvider metric.MeterProvider
	recordCauses  bool
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithMeterProvider makes the observer count on a meter of mp; nil, or no
// such option, means otel.GetMeterProvider() at the time New is called
// (the global provider delegates to one set later with otel.SetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meterProvider = mp })
}

// WithRecordCauses makes the observer put each failure's cause on the span
// as an "exception" event with its exception.message (the cause's text, or
// the panic value formatted with %v) and, for a panic, exception.stacktrace.
//
// Warning: a cause's text and a panic's stack can hold tokens, codes,
// passwords or query strings. Without this option none of them is
// recorded: a panic's span event carries only the type of the panic value,
// and other causes are not recorded at all. Request queries are never
// recorded, with or without it.
func WithRecordCauses() Option {
	return optionFunc(func(c *config) { c.recordCauses = true })
}

// ErrConfig is wrapped by the error [New] returns when the meter provider
// refuses an instrument.
var ErrConfig = errors.New("otelauthredirect: invalid configuration")

// New returns a [middleware.Observer] that records every failed request a
// Recoverer reports: the counter [MetricName] by family, code (error.type),
// detail, outcome, panicked, route pattern and method, and, on the
// request's recording span, status Error and an [EventName] event (a panic
// adds an "exception" event naming the value's type only). Neither the path
// nor the query is ever recorded, so the series stay bounded; causes only
// with [WithRecordCauses]. It returns an error wrapping [ErrConfig] only when the meter provider refuses
// a counter. The attributes, one by one, are in README.md.
func New(opts ...Option) (middleware.Observer, error) {
	cfg, meter := configure(opts)
	counter, err := meter.Int64Counter(MetricName,
		metric.WithUnit("{request}"),
		metric.WithDescription("Failed requests answered by authredirect's Recoverer routes, by error family, code, detail and outcome."))
	if err != nil {
		return nil, fmt.Errorf("%w: the MeterProvider refused the counter %s: %w", ErrConfig, MetricName, err)
	}
	o := &observer{counter: counter, recordCauses: cfg.recordCauses}
	return o.observe, nil
}

// Uncounted returns a loopguard.Config.Uncounted that counts each arrival a
// loop guard's counter failed to count (its store down or slow) on
// [UncountedMetricName], by http.route and http.request.method, and adds an
// [UncountedEventName] event to the request's recording span without
// touching its status: the request went on, unguarded. It returns an error
// wrapping [ErrConfig] only when the meter provider refuses the counter.
func Uncounted(opts ...Option) (func(*http.Request, error), error) {
	_, meter := configure(opts)
	counter, err := meter.Int64Counter(UncountedMetricName,
		metric.WithUnit("{request}"),
		metric.WithDescription("Arrivals a loop guard's counter failed to count; the requests went on unguarded."))
	if err != nil {
		return nil, fmt.Errorf("%w: the MeterProvider refused the counter %s: %w", ErrConfig, UncountedMetricName, err)
	}
	var sets sync.Map // [2]string{route, method} → []metric.AddOption, built once
	return func(r *http.Request, _ error) {
		key := [2]string{route(r.Pattern), method(r.Method)}
		add, ok := sets.Load(key)
		if !ok {
			add, _ = sets.LoadOrStore(key, []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
				semconv.HTTPRoute(key[0]), semconv.HTTPRequestMethodKey.String(key[1])))})
		}
		ctx := r.Context()
		counter.Add(ctx, 1, add.([]metric.AddOption)...)
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.AddEvent(UncountedEventName)
		}
	}, nil
}

// configure applies opts and returns the meter the counters are made on.
func configure(opts []Option) (config, metric.Meter) {
	var cfg config
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.meterProvider == nil {
		cfg.meterProvider = otel.GetMeterProvider()
	}
	return cfg, cfg.meterProvider.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
}

type observer struct {
	counter      metric.Int64Counter
	recordCauses bool
	sets         sync.Map // combination → *recording
}

// combination is everything an attribute set depends on: small and
// comparable, so that looking it up allocates nothing.
type combination struct {
	kind     codes.Kind
	code     codes.Code
	detail   codes.Detail
	outcome  middleware.Outcome
	panicked bool
	method   string // one of the constants of method()
	route    string
}

// recording is what one combination records, built once.
type recording struct {
	add       []metric.AddOption
	event     []trace.EventOption
	errorType string
}

func (o *observer) observe(ev middleware.Event) {
	ctx := context.Background()
	c := combination{outcome: ev.Outcome, panicked: ev.Panicked}
	if ev.Err != nil {
		c.kind, c.code, c.detail = ev.Err.Code().Kind(), ev.Err.Code(), ev.Err.Detail()
	}
	if r := ev.Request; r != nil {
		ctx = r.Context()
		c.method, c.route = method(r.Method), route(r.Pattern)
	} else {
		c.method = otherMethod
	}
	rec := o.recording(c)
	span := trace.SpanFromContext(ctx)
	o.counter.Add(ctx, 1, rec.add...)
	if !span.IsRecording() {
		return
	}
	span.SetStatus(otelcodes.Error, rec.errorType)
	span.AddEvent(EventName, rec.event...)
	switch {
	case ev.Panicked:
		value, stack := any(ev.Cause), []byte(nil)
		if p, ok := ev.Cause.(*middleware.PanicError); ok {
			value, stack = p.Value, p.Stack
		}
		attrs := []attribute.KeyValue{semconv.ExceptionType(typeName(value))}
		if o.recordCauses {
			attrs = append(attrs, semconv.ExceptionMessage(fmt.Sprint(value)))
			if stack != nil {
				attrs = append(attrs, semconv.ExceptionStacktrace(string(stack)))
			}
		}
		span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(attrs...))
	case o.recordCauses && ev.Cause != nil:
		span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
			semconv.ExceptionType(typeName(ev.Cause)), semconv.ExceptionMessage(ev.Cause.Error())))
	}
}

// recording returns the recording of c, building it the first time.
func (o *observer) recording(c combination) *recording {
	if v, ok := o.sets.Load(c); ok {
		return v.(*recording)
	}
	errorType := c.code.Name()
	if !c.code.Valid() {
		errorType = semconv.ErrorTypeOther.Value.AsString()
	}
	common := []attribute.KeyValue{
		familyKey.String(c.kind.String()),
		semconv.ErrorTypeKey.String(errorType),
		detailKey.String(c.detail.String()),
		outcomeKey.String(c.outcome.String()),
		panickedKey.Bool(c.panicked),
	}
	metricAttrs := append(common[:len(common):len(common)],
		semconv.HTTPRoute(c.route), semconv.HTTPRequestMethodKey.String(c.method))
	rec := &recording{
		add:       []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(metricAttrs...))},
		event:     []trace.EventOption{trace.WithAttributes(common...)},
		errorType: errorType,
	}
	v, _ := o.sets.LoadOrStore(c, rec)
	return v.(*recording)
}

// method is m when it is a method of RFC 9110 or PATCH, else "_OTHER", as
// the semantic conventions ask so that made-up methods cannot multiply the
// series. Methods are case-sensitive (RFC 9110 §9.1): "get" is "_OTHER".
// It returns the constants, not m, so that the cached attribute sets never
// keep a request's bytes alive.
func method(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodTrace:
		return http.MethodTrace
	}
	return otherMethod
}

const otherMethod = "_OTHER" // semconv.HTTPRequestMethodOther

// route is the path part of a ServeMux pattern ("GET example.com/a/{id}"
// is "/a/{id}"), "" when there is none.
func route(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// typeName names v's type as the semantic conventions' error.type does:
// "pkg/path.Name" for a named type, Go's spelling otherwise ("string",
// "*errors.errorString").
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "<nil>"
	}
	if t.PkgPath() != "" && t.Name() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}
