package loopguard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/internal/query"
	"github.com/authredirect/authredirect/internal/ratelog"
	"github.com/authredirect/authredirect/middleware"
)

// Config configures [New]. The zero value is valid: 3 arrivals per client in
// 30 seconds, keyed by the client_id query parameter, counted per browser in
// a cookie signed with a random per-process key shared by every such guard.
type Config struct {
	// Limit is how many arrivals per key the window allows; the next one
	// trips the guard. Default 3, at most 250.
	Limit int
	// Window is how long arrivals are counted from the first one. Default
	// 30 seconds; at least a second, at most a day. Guards with different
	// windows never share a count, even on one counter.
	Window time.Duration
	// Key returns the client a request counts for; "" means the request is
	// not counted. Default: r.URL.Query().Get("client_id").
	Key func(*http.Request) string
	// KnownClient, when set, reports whether a client id is registered;
	// arrivals for any other are not counted (the handler refuses them
	// anyway), so invented client ids make no counts in a shared store.
	KnownClient func(client string) bool
	// AccountOf, when set, returns the signed-in account of a request (""
	// when none is known); the counted key is then the client and the
	// account, as the service counts "per client per user account".
	// Count's key is extended the same way.
	AccountOf func(*http.Request) string
	// Code is the error a tripped guard yields, with the detail
	// to_many_redirects. Default codes.InvalidRequest.
	Code codes.Code
	// Counter counts per browser: every arrival when AccountCounter is nil, else
	// those without an account. Default: a [CookieCounter] signed with a
	// random key made once per process and shared by every guard without
	// a Counter (so guards on several routes count one browser's loop
	// together); the first such guard warns through Logger, once per
	// process. Instances that must agree set a CookieCounter built with
	// their shared keys. A counter shared by the fleet (it has a method
	// SharedByBrowsers) is refused here.
	Counter Counter
	// AccountCounter, when set, counts the arrivals of signed-in requests (those
	// for which AccountOf returns an account) per client and account, across
	// browsers and instances: a store shared by the fleet, such as the
	// Redis counter. It is never given a key without an account, so no
	// count belongs to a whole client and strangers cannot spend each
	// other's. It requires AccountOf.
	AccountCounter Counter
	// Uncounted, when set, hears of every arrival a counter failed to
	// count, with the counter's error, such as otelauthredirect.Uncounted
	// counting them. The request goes on; a client that went away is not
	// reported.
	Uncounted func(r *http.Request, err error)
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
	// Logger receives the warning about the default counter's random key
	// and the counters' failures, at most one record a second with the
	// number of failures since the last; default slog.Default().
	Logger *slog.Logger
}

// process holds the default counter: one per process, so that every guard
// without a counter signs with the same random key and guards on different
// routes count one browser's loop together.
var process struct {
	once    sync.Once
	counter *CookieCounter
}

// processCounter returns the default counter, making it on the first call,
// which warns through logger: once per process.
func processCounter(logger *slog.Logger) Counter {
	process.once.Do(func() {
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand documents it)
		process.counter = newCookieCounter([][]byte{key}, false, defaultMaxClients, cookieName)
		logger.Warn("authredirect: the loop guard signs its cookie with a random per-process key; instances that must agree need a CookieCounter with shared keys")
	})
	return process.counter
}

// Guard breaks redirect loops: it counts each browser's (or signed-in
// account's) arrivals at an endpoint per client and, past the limit, fails
// the request with code + to_many_redirects. It is immutable and safe for
// concurrent use.
type Guard struct {
	limit       int
	window      time.Duration
	tag         string // the window, which starts every counted key
	key         func(*http.Request) string
	knownClient func(string) bool
	account     func(*http.Request) string
	code        codes.Code // sent with codes.TooManyRedirects, a new error each trip
	counter     Counter
	accounts    Counter
	onUncounted func(*http.Request, error)
	failures    *failureLog
	now         func() time.Time
}

// New validates cfg and builds a Guard. Invalid configuration is an error
// wrapping [ErrConfig].
func New(cfg Config) (*Guard, error) {
	if cfg.Limit == 0 {
		cfg.Limit = 3
	}
	if cfg.Window == 0 {
		cfg.Window = 30 * time.Second
	}
	switch {
	case cfg.Limit < 1 || cfg.Limit > 250:
		return nil, fmt.Errorf("%w: Limit %d is not within 1..250", ErrConfig, cfg.Limit)
	case cfg.Window < time.Second || cfg.Window > 24*time.Hour:
		return nil, fmt.Errorf("%w: Window %v is not within a second and a day", ErrConfig, cfg.Window)
	case cfg.Code != (codes.Code{}) && !cfg.Code.Valid():
		return nil, fmt.Errorf("%w: Code is not a contract code", ErrConfig)
	case isShared(cfg.Counter):
		return nil, fmt.Errorf("%w: Counter counts per key alone (a store the fleet shares): it would count signed-out visitors per client for everyone; set it as AccountCounter", ErrConfig)
	case cfg.AccountCounter != nil && cfg.AccountOf == nil:
		return nil, fmt.Errorf("%w: AccountCounter counts signed-in accounts, so it needs AccountOf to name them", ErrConfig)
	}
	if cfg.Key == nil {
		cfg.Key = clientID
	}
	if !cfg.Code.Valid() {
		cfg.Code = codes.InvalidRequest
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Counter == nil {
		cfg.Counter = processCounter(cfg.Logger)
	}
	return &Guard{
		limit:       cfg.Limit,
		window:      cfg.Window,
		tag:         cfg.Window.String() + "\x00", // exact: no two windows share it
		key:         cfg.Key,
		knownClient: cfg.KnownClient,
		account:     cfg.AccountOf,
		code:        cfg.Code,
		counter:     cfg.Counter,
		accounts:    cfg.AccountCounter,
		onUncounted: cfg.Uncounted,
		failures:    &failureLog{logger: cfg.Logger},
		now:         cfg.Now,
	}, nil
}

// Count records an arrival of r's browser (or of its signed-in account,
// when Config.AccountCounter counts accounts) for client and returns the guard's
// error (code + to_many_redirects) when it is over the limit, nil
// otherwise. An empty client, one that KnownClient refuses, or one holding
// a NUL byte (which could pose as another account's) is not counted. A
// counter's failure lets the request through and is reported. A handler
// calls Count before sending the user back to a client; it may set the
// counter's cookie on w, so call it before writing.
func (g *Guard) Count(w http.ResponseWriter, r *http.Request, client string) error {
	if client == "" || strings.IndexByte(client, 0) >= 0 {
		return nil
	}
	if g.knownClient != nil && !g.knownClient(client) {
		return nil
	}
	counter, key := g.counter, g.tag+client
	if g.account != nil {
		if a := g.account(r); a != "" {
			key += "\x00" + a
			if g.accounts != nil {
				counter = g.accounts
			}
		}
	}
	n, err := counter.Arrive(w, r, key, g.now(), g.window)
	if err != nil {
		g.uncounted(r, err)
		return nil
	}
	if n > g.limit {
		return g.code.With(codes.TooManyRedirects) // never one shared value an observer could overwrite
	}
	return nil
}

func isShared(c Counter) bool {
	_, ok := c.(interface{ SharedByBrowsers() })
	return ok
}

// uncounted reports an arrival a counter failed to count, unless the
// request's client went away, which is no failure of the counter.
func (g *Guard) uncounted(r *http.Request, err error) {
	if r.Context().Err() != nil && isContextErr(err, new(int)) {
		return
	}
	if g.onUncounted != nil {
		g.onUncounted(r, err)
	}
	g.failures.add(err)
}

// isContextErr reports whether err's tree holds context.Canceled or
// context.DeadlineExceeded, as errors.Is finds them, looking at
// codes.MaxUnwrap errors at most (*seen counts them): a counter's error is
// foreign, and its Unwrap may loop.
func isContextErr(err error, seen *int) bool {
	for ; err != nil && *seen < codes.MaxUnwrap; err = errors.Unwrap(err) {
		*seen++
		if err == context.Canceled || err == context.DeadlineExceeded {
			return true
		}
		if x, ok := err.(interface{ Is(error) bool }); ok && (x.Is(context.Canceled) || x.Is(context.DeadlineExceeded)) {
			return true
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				if isContextErr(inner, seen) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// Middleware is shaped like alice.Constructor: it counts each request that
// has a client and, over the limit, hands the guard's error to the
// Recoverer route above, which renders it like any other. Other requests
// pass untouched.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return middleware.Guard(func(w http.ResponseWriter, r *http.Request) error {
		return g.Count(w, r, g.key(r))
	})(next)
}

// clientID is the default key: the client_id query parameter as the
// handler will read it. A query that holds neither "client_id" nor a '%'
// (which could spell it) has none: it is not parsed, so a request that is
// not counted costs no allocation.
func clientID(r *http.Request) string {
	if q := r.URL.RawQuery; !strings.Contains(q, "client_id") && !strings.Contains(q, "%") {
		return ""
	}
	return query.Get(r.URL.RawQuery, "client_id") // as r.URL.Query() reads it, without a map
}

// failureLog logs counters' failures at Warn, at most one record a second
// with the number of failures since the last, so that an outage of a
// shared store cannot flood the log.
type failureLog struct {
	logger *slog.Logger
	limit  ratelog.Limiter
}

func (f *failureLog) add(err error) {
	missed, ok := f.limit.Allow(time.Now())
	if !ok {
		return
	}
	failures := missed + 1
	f.logger.Warn("authredirect: loop guard counter failed; requests go on uncounted",
		slog.Int("failures", failures), slog.Any("err", err))
}
