package loopguard

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// Config configures [New]. The zero value is valid: 3 arrivals per client in
// 30 seconds, keyed by the client_id query parameter, counted in a cookie
// signed with a random per-process key shared by every such guard.
type Config struct {
	// Limit is how many arrivals per key the window allows; the next one
	// trips the guard. Default 3, at most 250.
	Limit int
	// Window is how long arrivals are counted from the first one. Default
	// 30 seconds; at least a second.
	Window time.Duration
	// Key returns the client a request counts for; "" means the request is
	// not counted. Default: the client_id query parameter exactly as
	// r.URL.Query().Get("client_id") reads it, without allocating when the
	// query has no '%'.
	Key func(*http.Request) string
	// Account, when set, returns the signed-in account of a request (""
	// when none is known); the counted key is then the client and the
	// account, as the service counts "per client per user account". Count's
	// key is extended the same way.
	Account func(*http.Request) string
	// Code is the error a tripped guard yields, with the detail
	// to_many_redirects. Default codes.InvalidRequest.
	Code codes.Code
	// Counter counts. Default: a [CookieCounter] signed with a random key
	// made once per process and shared by every guard without a Counter
	// (so guards on several routes count one loop together); the first
	// such guard warns through Logger, once per process. Instances that
	// must agree set a CookieCounter built with their shared keys.
	Counter Counter
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
	// Logger receives the warning about the default counter's random key;
	// default slog.Default().
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

// Guard breaks redirect loops: it counts each browser's arrivals at an
// endpoint per client and, past the limit, fails the request with
// code + to_many_redirects. It is immutable and safe for concurrent use.
type Guard struct {
	limit   int
	window  time.Duration
	key     func(*http.Request) string
	account func(*http.Request) string
	err     *codes.Error
	counter Counter
	now     func() time.Time
	mw      func(http.Handler) http.Handler
}

// New validates cfg and builds a Guard. Invalid configuration is an error
// wrapping [render.ErrConfig].
func New(cfg Config) (*Guard, error) {
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
	if cfg.Counter == nil {
		logger := cfg.Logger
		if logger == nil {
			logger = slog.Default()
		}
		cfg.Counter = processCounter(logger)
	}
	g := &Guard{
		limit:   cfg.Limit,
		window:  cfg.Window,
		key:     cfg.Key,
		account: cfg.Account,
		err:     cfg.Code.With(codes.TooManyRedirects),
		counter: cfg.Counter,
		now:     cfg.Now,
	}
	g.mw = middleware.Guard(g.check)
	return g, nil
}

// Count records an arrival of r's browser for key (with the account, when
// Config.Account names one) and returns the guard's error (code +
// to_many_redirects) when it is over the limit, nil otherwise. An empty key,
// or one holding a NUL byte (which could pose as another account's), is not
// counted. A handler calls it before sending the user back to a client; it
// sets the counter's cookie on w, so call it before writing.
func (g *Guard) Count(w http.ResponseWriter, r *http.Request, key string) error {
	if key == "" || strings.IndexByte(key, 0) >= 0 {
		// A NUL would let a client id pose as another account's key
		// (client + NUL + account); no real client id holds one.
		return nil
	}
	if g.account != nil {
		if a := g.account(r); a != "" {
			key += "\x00" + a
		}
	}
	if g.counter.Arrive(w, r, key, g.now(), g.window) > g.limit {
		return g.err
	}
	return nil
}

func (g *Guard) check(w http.ResponseWriter, r *http.Request) error {
	return g.Count(w, r, g.key(r))
}

// Middleware is shaped like alice.Constructor and built with
// [middleware.Guard]: it counts each request that has a key and, over the
// limit, hands the guard's error to the Recoverer route above, which
// renders it like any other. Requests without a key pass untouched and
// without allocation.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return g.mw(next)
}

// clientID is the default key: the client_id query parameter exactly as
// r.URL.Query().Get("client_id") reads it (the first value that parses;
// pairs with a semicolon or a bad escape are dropped), or "" when there is
// none. A query without '%' is scanned in place, without allocation unless
// the value holds a '+'; any other is parsed in full.
func clientID(r *http.Request) string {
	raw := r.URL.RawQuery
	if strings.IndexByte(raw, '%') >= 0 || strings.Count(raw, "&") >= maxScannedParams {
		return r.URL.Query().Get("client_id")
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			continue // url.ParseQuery drops the pair
		}
		// Without '%', unescaping only turns '+' into ' ': a name with a
		// '+' is not client_id, and a value without one is unchanged.
		k, v, _ := strings.Cut(pair, "=")
		if k != "client_id" {
			continue
		}
		if strings.IndexByte(v, '+') >= 0 {
			v = strings.ReplaceAll(v, "+", " ")
		}
		return v
	}
	return ""
}

// maxScannedParams keeps the in-place scan well below url.ParseQuery's
// limit on the number of parameters (10000 by default; GODEBUG
// urlmaxqueryparams), past which Query() yields nothing: longer queries
// take the full parse.
const maxScannedParams = 1000
