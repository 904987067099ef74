package redisguard

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
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
	// maxPrefix bounds Config.Prefix, so that every Redis key is bounded.
	maxPrefix = 64
)

// ErrConfig is wrapped by every configuration error of [New].
var ErrConfig = errors.New("redisguard: invalid configuration")

// ErrUnavailable is wrapped by every error Arrive returns: Redis did not
// count the arrival (down, slow past the timeout, or answering an error).
// The Redis or context error is wrapped too, so errors.Is(err,
// context.DeadlineExceeded) tells a timeout.
var ErrUnavailable = errors.New("redisguard: Redis did not count the arrival")

// Config configures [New].
type Config struct {
	// Client runs the counting script; required. A *redis.Client,
	// *redis.ClusterClient, *redis.Ring or any redis.UniversalClient will
	// do (each arrival touches one key, so a cluster is fine); a pipeline
	// is refused, since it would answer nothing until Exec.
	//
	// Arrive returns within Timeout whatever the client's options, but a
	// client made for it does better with:
	//   - ContextTimeoutEnabled: true: Arrive calls it directly instead of
	//     on a goroutine it can stop waiting for, and an abandoned command
	//     frees its connection at once instead of after the client's
	//     ReadTimeout;
	//   - MaxRetries: -1: an arrival whose reply was lost is never counted
	//     twice;
	//   - DialerRetries: 1: while Redis is down a request fails at the
	//     refused dial instead of waiting out the Timeout in retries.
	Client redis.Scripter

	// Prefix starts every key; default [DefaultPrefix]. At most 64 bytes
	// of printable ASCII without spaces, ending in ':'. Instances that
	// must agree on the counts share it; deployments that must not, use
	// different ones.
	Prefix string

	// Timeout bounds the time Arrive waits for Redis, on top of the
	// request's own context; default [DefaultTimeout], at most
	// [MaxTimeout].
	Timeout time.Duration
}

// Counter counts arrivals per key in Redis, so every instance that uses the
// same Redis and Prefix shares one count per key. It counts per key alone,
// not per browser: plug it into the loop guard as Config.AccountCounter, which
// hands it only keys that name a signed-in account ("per client per user
// account"), never a client alone that strangers would share. It is
// immutable and safe for concurrent use.
//
// A key is stored as Prefix + base64url(SHA-256(key)): bounded, with no
// client id or account in the clear, and no two prefixes share one.
type Counter struct {
	client  redis.Scripter
	direct  bool                 // the client ends its commands when their context ends
	cluster *redis.ClusterClient // the client, when it is a cluster's
	prefix  string
	timeout time.Duration
}

// countScript adds one arrival and returns the count, in one atomic step.
// The first arrival sets the window's expiry; a key found without one gets
// it too; a key holding anything but a count (a string that is no integer,
// another type, a number below 1 or above a billion, which no window's
// arrivals reach and which Lua's numbers could not hold exactly) is
// replaced by a fresh count with an expiry. So every key expires and every
// arrival counts.
var countScript = redis.NewScript(`
local n = redis.pcall('INCR', KEYS[1])
if type(n) ~= 'number' or n < 1 or n > 1000000000 then
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[1])
  return 1
end
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// New validates cfg and builds a Counter. An invalid cfg returns an error
// wrapping [ErrConfig]. New sends nothing to Redis: the script is loaded
// by the first arrival (EVALSHA, falling back to EVAL).
func New(cfg Config) (*Counter, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.Client == nil:
		return nil, fmt.Errorf("%w: Client is nil", ErrConfig)
	case isPipeline(cfg.Client):
		return nil, fmt.Errorf("%w: Client is a pipeline, which answers nothing until Exec", ErrConfig)
	case len(cfg.Prefix) > maxPrefix || !printable(cfg.Prefix):
		return nil, fmt.Errorf("%w: Prefix must be 1..%d bytes of printable ASCII without spaces", ErrConfig, maxPrefix)
	case !strings.HasSuffix(cfg.Prefix, ":"):
		return nil, fmt.Errorf("%w: Prefix %q must end with ':', so that no other prefix can share its keys", ErrConfig, cfg.Prefix)
	case cfg.Timeout <= 0 || cfg.Timeout > MaxTimeout:
		return nil, fmt.Errorf("%w: Timeout %v is not within (0, %v]", ErrConfig, cfg.Timeout, MaxTimeout)
	}
	cluster, _ := cfg.Client.(*redis.ClusterClient)
	return &Counter{client: cfg.Client, direct: honoursContext(cfg.Client), cluster: cluster, prefix: cfg.Prefix, timeout: cfg.Timeout}, nil
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
// key in the window that started with the first of them, this one included,
// in one round trip (EVALSHA of a script that increments the key and sets
// its expiry on the first arrival; EVAL once when Redis lacks the script).
// The window runs on Redis's clock, so skewed instances agree; w is never
// touched. When Redis does not answer within the Timeout, or answers an
// error, the error wraps [ErrUnavailable] (and context.DeadlineExceeded for
// a timeout, the request context's error when the client left), never
// holds the key, and the loop guard lets the request through. After a
// failure on a *redis.ClusterClient, Arrive asks it to reload the slots, so
// that a slot a replica took over counts again at once.
func (c *Counter) Arrive(_ http.ResponseWriter, r *http.Request, key string, _ time.Time, window time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
	defer cancel()
	ms := max(window.Milliseconds(), 1)
	var res result
	if c.direct {
		res = c.run(ctx, c.redisKey(key), ms)
	} else {
		// The script runs on its own goroutine so that Arrive returns when
		// ctx ends even though the client ignores contexts (go-redis does,
		// for socket I/O, without ContextTimeoutEnabled). The goroutine ends
		// when the client gives up; the channel is buffered so it never
		// blocks.
		done := make(chan result, 1)
		go func(key string) { done <- c.run(ctx, key, ms) }(c.redisKey(key))
		select {
		case res = <-done:
		case <-ctx.Done():
			res.err = ctx.Err()
		}
	}
	switch {
	case res.err == nil && res.n >= 1:
		return int(res.n), nil
	case res.err == nil:
		res.err = fmt.Errorf("script returned %d", res.n)
	case ctx.Err() != nil && !errors.Is(res.err, ctx.Err()):
		res.err = fmt.Errorf("%w: %w", ctx.Err(), res.err)
	case ctx.Err() == nil && pastDeadline(ctx) && !errors.Is(res.err, context.DeadlineExceeded):
		// A client with ContextTimeoutEnabled sets ctx's deadline on the
		// socket, whose "i/o timeout" can come a moment before ctx's own
		// timer ends it: a timeout all the same.
		res.err = fmt.Errorf("%w: %w", context.DeadlineExceeded, res.err)
	}
	if c.cluster != nil && r.Context().Err() == nil {
		// go-redis routes a slot to the master it last learned until a
		// MOVED or its periodic reload (a minute by default): after a
		// failover, a dead master's slot would fail for that long. A
		// failed arrival asks for the slots again, in the background; go-
		// redis runs one such reload at a time, at most one per 200 ms.
		c.cluster.ReloadState(context.Background())
	}
	return 0, fmt.Errorf("%w: %w", ErrUnavailable, res.err)
}

// pastDeadline reports whether ctx's deadline has come.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// SharedByBrowsers marks the counter as counting per key alone, so that
// the loop guard refuses it as Config.Counter (it belongs in
// Config.AccountCounter).
func (c *Counter) SharedByBrowsers() {}

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

// redisKey is Prefix + base64url(SHA-256(key)): 43 bytes after the prefix,
// whatever the key holds.
func (c *Counter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return c.prefix + base64.RawURLEncoding.EncodeToString(sum[:])
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
