package middleware

import (
	"github.com/authredirect/authredirect/render"

	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authredirect/authredirect/codes"
)

// Counter counts a browser's arrivals per client. The guard calls it once
// for each arrival it counts. The default, [CookieCounter], keeps the count
// in a signed cookie; [MemoryCounter] keeps it on the server. A shared store
// can be plugged in by implementing Counter.
type Counter interface {
	// Arrive records an arrival of the browser behind r for key at now and
	// returns how many of its arrivals for key, this one included, fall in
	// the window that started with the first of them. It may set headers
	// on w (a cookie) but must not write the response.
	Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int
}

// LoopGuardConfig configures [NewLoopGuard]. The zero value is valid: 3
// arrivals per client in 30 seconds, keyed by the client_id query
// parameter, counted in a cookie signed with a random per-process key.
type LoopGuardConfig struct {
	// Limit is how many arrivals per client the window allows; the next
	// one trips the guard. Default 3.
	Limit int
	// Window is how long arrivals are counted from the first one. Default
	// 30 seconds; at least a second.
	Window time.Duration
	// Key returns the client a request counts for; "" means the request is
	// not counted. Default: the client_id query parameter.
	Key func(*http.Request) string
	// Code is the error a tripped guard yields, with the detail
	// to_many_redirects. Default codes.InvalidRequest.
	Code codes.Code
	// Counter counts; default a CookieCounter built from CookieKey and
	// BehindTLSProxy.
	Counter Counter
	// CookieKey signs the default counter's cookie (HMAC-SHA256), at least
	// 32 bytes. Every instance of a fleet must share it. Without one, a
	// random per-process key is made and Logger warns once.
	CookieKey []byte
	// BehindTLSProxy marks the cookie Secure with the __Host- prefix on
	// every request, for servers that a TLS proxy speaks plain http to.
	BehindTLSProxy bool
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
	// Logger receives the warning about a missing CookieKey; default
	// slog.Default().
	Logger *slog.Logger
}

// LoopGuard breaks redirect loops: it counts each browser's arrivals at an
// endpoint per client and, past the limit, fails the request with
// code + to_many_redirects. It is immutable and safe for concurrent use.
type LoopGuard struct {
	limit   int
	window  time.Duration
	key     func(*http.Request) string
	err     *codes.Error
	counter Counter
	now     func() time.Time
}

// NewLoopGuard validates cfg and builds a LoopGuard.
func NewLoopGuard(cfg LoopGuardConfig) (*LoopGuard, error) {
	if cfg.Limit == 0 {
		cfg.Limit = 3
	}
	if cfg.Window == 0 {
		cfg.Window = 30 * time.Second
	}
	switch {
	case cfg.Limit < 1 || cfg.Limit > 250:
		return nil, fmt.Errorf("%w: loop guard Limit %d is not within 1..250", render.ErrConfig, cfg.Limit)
	case cfg.Window < time.Second:
		return nil, fmt.Errorf("%w: loop guard Window %v is less than a second", render.ErrConfig, cfg.Window)
	case cfg.Code != (codes.Code{}) && !cfg.Code.Valid():
		return nil, fmt.Errorf("%w: loop guard Code is not a contract code", render.ErrConfig)
	case cfg.Counter != nil && (cfg.CookieKey != nil || cfg.BehindTLSProxy):
		return nil, fmt.Errorf("%w: CookieKey and BehindTLSProxy configure the default counter; set them on the Counter instead", render.ErrConfig)
	}
	if cfg.Key == nil {
		cfg.Key = ClientIDKey
	}
	if !cfg.Code.Valid() {
		cfg.Code = codes.InvalidRequest
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Counter == nil {
		key := cfg.CookieKey
		if key == nil {
			key = make([]byte, 32)
			_, _ = rand.Read(key) // never fails (crypto/rand documents it)
			logger := cfg.Logger
			if logger == nil {
				logger = slog.Default()
			}
			logger.Warn("authredirect: the loop guard signs its cookie with a random per-process key; several instances need a shared LoopGuardConfig.CookieKey to agree")
		}
		c, err := NewCookieCounter(CookieCounterConfig{Key: key, BehindTLSProxy: cfg.BehindTLSProxy})
		if err != nil {
			return nil, err
		}
		cfg.Counter = c
	}
	return &LoopGuard{
		limit:   cfg.Limit,
		window:  cfg.Window,
		key:     cfg.Key,
		err:     cfg.Code.With(codes.TooManyRedirects),
		counter: cfg.Counter,
		now:     cfg.Now,
	}, nil
}

// Count records an arrival of r's browser for key and returns the guard's
// error (code + to_many_redirects) when it is over the limit, nil
// otherwise. A handler calls it before sending the user back to a client;
// it sets the counter's cookie on w, so call it before writing.
func (g *LoopGuard) Count(w http.ResponseWriter, r *http.Request, key string) error {
	if key == "" {
		return nil
	}
	if g.counter.Arrive(w, r, key, g.now(), g.window) > g.limit {
		return g.err
	}
	return nil
}

// Middleware is shaped like alice.Constructor: it counts each request that
// has a key and, over the limit, fails it with the guard's error, which the
// Recover above renders like any other. Requests without a key pass
// untouched and without allocation.
func (g *LoopGuard) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.Count(w, r, g.key(r)); err != nil {
			handUp(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientIDKey is the default key: the client_id query parameter, or "" when
// it is absent, empty or given more than once. It allocates only when the
// value is escaped.
func ClientIDKey(r *http.Request) string {
	v, _ := queryValue(r.URL.RawQuery, "client_id")
	return v
}

// queryValue returns the single value of name in a raw query without
// parsing the whole query; ok is false when name is absent, repeated or
// badly escaped.
func queryValue(raw, name string) (value string, ok bool) {
	found := false
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			continue
		}
		if found {
			return "", false
		}
		found, value = true, v
	}
	if !found {
		return "", false
	}
	if strings.ContainsAny(value, "%+") {
		u, err := url.QueryUnescape(value)
		if err != nil {
			return "", false
		}
		value = u
	}
	return value, true
}
