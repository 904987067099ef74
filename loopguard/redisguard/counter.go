package redisguard

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authredirect/authredirect/render"
)

// Defaults and bounds of [Config].
const (
	// DefaultPrefix is the key prefix when Config.Prefix is empty.
	DefaultPrefix = "authredirect:loop:"
	// DefaultTimeout is how long Arrive waits for Redis when
	// Config.Timeout is zero.
	DefaultTimeout = 50 * time.Millisecond
	// MaxTimeout is the longest Config.Timeout accepted: a guard that can
	// hold a request for seconds is worse than no guard.
	MaxTimeout = time.Second
	// MaxRawKey is the longest key stored as given; longer keys, and keys
	// that are not printable ASCII or start with '#', are stored hashed.
	MaxRawKey = 128
	// maxPrefix bounds Config.Prefix, so that every Redis key is at most
	// maxPrefix + MaxRawKey bytes.
	maxPrefix = 64
)

// ErrUnavailable is wrapped by every error Arrive reports: Redis did not
// count the arrival (down, slow past the timeout, or answering an error)
// and the request went on uncounted. The Redis or context error is wrapped
// too, so errors.Is(err, context.DeadlineExceeded) tells a timeout.
var ErrUnavailable = errors.New("redisguard: Redis did not count the arrival; the request went on uncounted")

// Config configures [New].
type Config struct {
	// Client runs the counting script; required. A *redis.Client,
	// *redis.ClusterClient, *redis.Ring or any redis.UniversalClient will
	// do (each key is one slot, so a cluster is fine); a pipeline is
	// refused, since it would answer nothing until Exec.
	//
	// Arrive returns within Timeout whatever the client's options, but a
	// client made for it does better with:
	//   - ContextTimeoutEnabled: true: Arrive calls it directly instead of
	//     on a goroutine it can stop waiting for (about half the time per
	//     arrival), and an abandoned command frees its connection at once
	//     instead of after the client's ReadTimeout;
	//   - MaxRetries: -1: an arrival whose reply was lost is never counted
	//     twice;
	//   - DialerRetries: 1: while Redis is down a request fails at the
	//     refused dial instead of waiting out the Timeout in retries.
	Client redis.Scripter

	// Prefix starts every key; default [DefaultPrefix]. At most 64 bytes
	// of printable ASCII without spaces, ending in ':'. Instances that
	// must agree on the counts share it; deployments that must not, use
	// different ones (keys are stored so that no two prefixes share one,
	// even when one prefix starts the other).
	Prefix string

	// Timeout bounds the time Arrive waits for Redis, on top of the
	// request's own context; default [DefaultTimeout], at most
	// [MaxTimeout].
	Timeout time.Duration

	// OnError, when set, is called with every failure Arrive lets
	// through, on the request's goroutine; it must be quick and safe for
	// concurrent use. The error wraps [ErrUnavailable] and never holds the
	// key. A request whose own context ended (the client went away) is not
	// a failure of Redis and is not reported.
	OnError func(error)

	// Logger receives the failures when OnError is nil, at Warn level and
	// at most one record a second (with the number of failures since the
	// last one), so an outage cannot flood the log; default
	// slog.Default() at the time of the failure. Set OnError or Logger,
	// not both.
	Logger *slog.Logger
}

// Counter counts arrivals in Redis, so every instance that uses the same
// Redis and Prefix shares one count per key: the loop guard's per client
// and account limit holds across a whole fleet. It has the method set of
// the loop guard's Counter interface. It is immutable and safe for
// concurrent use.
//
// A key is stored as Prefix + key when it is at most [MaxRawKey] bytes of
// printable ASCII without ':' and does not start with '#'; any other key as
// Prefix + "#" + base64url(SHA-256(key)). So every Redis key is bounded,
// the two forms cannot collide, no two prefixes share a key (the prefix
// ends at the last ':'), and short keys (client ids, accounts) can be read
// in Redis as they are: hash them in the guard's key function if that
// Redis must not see them.
type Counter struct {
	client  redis.Scripter
	direct  bool // the client ends its commands when their context ends
	prefix  string
	timeout time.Duration
	report  func(error)
}

// countScript adds one arrival and returns the count. The first arrival
// sets the window's expiry; a key found without one (written by hand, or
// PERSISTed) gets it too, so every key expires.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// New validates cfg and builds a Counter. An invalid cfg returns an error
// wrapping render.ErrConfig. New sends nothing to Redis: the script is
// loaded by the first arrival (EVALSHA, falling back to EVAL).
func New(cfg Config) (*Counter, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.Client == nil:
		return nil, fmt.Errorf("%w: redisguard Client is nil", render.ErrConfig)
	case isPipeline(cfg.Client):
		return nil, fmt.Errorf("%w: redisguard Client is a pipeline, which answers nothing until Exec", render.ErrConfig)
	case len(cfg.Prefix) > maxPrefix || !printable(cfg.Prefix):
		return nil, fmt.Errorf("%w: redisguard Prefix must be 1..%d bytes of printable ASCII without spaces", render.ErrConfig, maxPrefix)
	case !strings.HasSuffix(cfg.Prefix, ":"):
		return nil, fmt.Errorf("%w: redisguard Prefix %q must end with ':', so that no other prefix can share its keys", render.ErrConfig, cfg.Prefix)
	case cfg.Timeout <= 0 || cfg.Timeout > MaxTimeout:
		return nil, fmt.Errorf("%w: redisguard Timeout %v is not within (0, %v]", render.ErrConfig, cfg.Timeout, MaxTimeout)
	case cfg.OnError != nil && cfg.Logger != nil:
		return nil, fmt.Errorf("%w: redisguard OnError and Logger are both set; set one", render.ErrConfig)
	}
	report := cfg.OnError
	if report == nil {
		report = (&throttledLog{logger: cfg.Logger, prefix: cfg.Prefix}).report
	}
	return &Counter{client: cfg.Client, direct: honoursContext(cfg.Client), prefix: cfg.Prefix, timeout: cfg.Timeout, report: report}, nil
}

// honoursContext reports whether c is a go-redis client made with
// ContextTimeoutEnabled, whose commands (dial, pool wait, retries and
// socket I/O alike) end when their context ends. Any other Scripter is
// run on a goroutine that Arrive stops waiting for.
func honoursContext(c redis.Scripter) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

func isPipeline(c redis.Scripter) bool {
	_, ok := c.(redis.Pipeliner)
	return ok
}

// Arrive records an arrival for key and returns the number of arrivals for
// key in the window that started with the first of them, this one
// included. It takes one round trip, EVALSHA of a script that increments
// the key and, on the first arrival, sets its expiry to window (in
// milliseconds, at least 1); a Redis that does not hold the script yet
// (new, restarted, flushed) gets it once by EVAL. Every instance using the
// same Redis and Prefix shares the count. The window runs on Redis's
// clock, so now is not used and instances with skewed clocks still agree.
// It never touches w.
//
// Arrive fails open: when Redis does not answer within the Timeout, or
// answers an error, it reports the failure and returns 0, meaning "not
// counted", which no limit trips (a limit is at least 1); 0 rather than 1
// so that a caller can tell an uncounted request from a first arrival. It
// returns as soon as r's context ends too, without reporting, since a
// client that went away is not a Redis failure. It never panics, even if
// the Client does.
func (c *Counter) Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int {
	parent := r.Context()
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()

	ms := window.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	var res result
	if c.direct {
		res = c.run(ctx, c.redisKey(key), ms)
		if res.err != nil && ctx.Err() != nil {
			res.err = fmt.Errorf("%w: %w", ctx.Err(), res.err)
		}
	} else {
		// The script runs on its own goroutine so that Arrive returns when
		// ctx ends even though the client ignores contexts (go-redis does,
		// for socket I/O, without ContextTimeoutEnabled). The goroutine ends
		// when the client gives up; the channel is buffered so it never
		// blocks. The hop costs about as much as the round trip itself.
		done := make(chan result, 1)
		go func(key string) { done <- c.run(ctx, key, ms) }(c.redisKey(key))
		select {
		case res = <-done:
		case <-ctx.Done():
			res.err = ctx.Err()
		}
	}
	if res.err == nil {
		if res.n < 1 {
			res.err = fmt.Errorf("script returned %d", res.n)
		} else {
			return int(res.n)
		}
	}
	if parent.Err() != nil {
		return 0 // the client went away, or the server gave up on it
	}
	c.report(fmt.Errorf("%w: %w", ErrUnavailable, res.err))
	return 0
}

type result struct {
	n   int64
	err error
}

// run runs the script once; a panic of the client is returned as an error.
func (c *Counter) run(ctx context.Context, key string, windowMS int64) (res result) {
	defer func() {
		if v := recover(); v != nil {
			res = result{err: fmt.Errorf("redis client panicked: %v", v)}
		}
	}()
	res.n, res.err = countScript.Run(ctx, c.client, []string{key}, windowMS).Int64()
	return res
}

// redisKey is Prefix + key for a key of at most MaxRawKey bytes of
// printable ASCII without ':' that does not start with '#'; any other key
// is stored as Prefix + "#" + base64url(SHA-256(key)), 44 bytes. The two
// forms cannot collide, a stored key's prefix is everything up to its last
// ':', and every Redis key is bounded in length.
func (c *Counter) redisKey(key string) string {
	if len(key) <= MaxRawKey && (key == "" || key[0] != '#') && printable(key) && strings.IndexByte(key, ':') < 0 {
		return c.prefix + key
	}
	sum := sha256.Sum256([]byte(key))
	return c.prefix + "#" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// printable reports whether s is ASCII from '!' to '~'.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// throttledLog is the default report: at most one log record a second.
type throttledLog struct {
	logger *slog.Logger
	prefix string

	mu     sync.Mutex
	last   time.Time
	missed int
}

func (t *throttledLog) report(err error) {
	now := time.Now()
	t.mu.Lock()
	if !t.last.IsZero() && now.Sub(t.last) < time.Second {
		t.missed++
		t.mu.Unlock()
		return
	}
	failures := t.missed + 1
	t.last, t.missed = now, 0
	t.mu.Unlock()

	l := t.logger
	if l == nil {
		l = slog.Default()
	}
	l.Warn("authredirect: loop guard counter unavailable; requests go on uncounted",
		slog.String("prefix", t.prefix),
		slog.Int("failures", failures),
		slog.Any("err", err))
}
