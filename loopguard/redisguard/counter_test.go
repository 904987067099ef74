package redisguard_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

var epoch = time.Unix(1_700_000_000, 0)

// arrive counts one arrival for key and fails t if Arrive fails.
func arrive(t testing.TB, c *redisguard.Counter, key string, window time.Duration) int {
	t.Helper()
	n, err := c.Arrive(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), key, epoch, window)
	require.NoError(t, err)
	return n
}

// arriveErr counts one arrival for key and returns what Arrive returned.
func arriveErr(c *redisguard.Counter, key string, window time.Duration) (int, error) {
	return c.Arrive(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), key, epoch, window)
}

// stored is the Redis key a Counter under prefix keeps key's count in.
func stored(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// Counts go 1, 2, 3, ...; the key gets the window as its expiry on the
// first arrival and keeps it (later arrivals do not extend the window);
// when the key expires the next arrival starts a new window at 1.
func TestArrive_CountsExactlyAndExpiresWithTheWindow(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()
	const window = 30 * time.Second
	key := stored(prefix, "demo")

	for want := 1; want <= 5; want++ {
		assert.Equal(t, want, arrive(t, c, "demo", window), "arrival %d", want)
	}
	n, err := rdb.Get(ctx, key).Int()
	require.NoError(t, err)
	assert.Equal(t, 5, n, "the count as stored")
	ttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Duration(0), "the key has an expiry")
	assert.LessOrEqual(t, ttl, window, "the expiry is the window")

	// A later arrival does not extend the window: shorten the expiry by
	// hand and see it stay that short after another arrival.
	require.NoError(t, rdb.PExpire(ctx, key, 20*time.Second).Err())
	assert.Equal(t, 6, arrive(t, c, "demo", window))
	ttl, err = rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	assert.LessOrEqual(t, ttl, 20*time.Second, "a later arrival kept the window's end")

	// End the window now and wait (on Redis, not on a sleep of a window)
	// for the key to go.
	require.NoError(t, rdb.PExpire(ctx, key, time.Millisecond).Err())
	require.Eventually(t, func() bool { return rdb.Exists(ctx, key).Val() == 0 },
		10*time.Second, time.Millisecond, "the key never expired")
	assert.Equal(t, 1, arrive(t, c, "demo", window), "a new window starts at 1")
}

// Every key expires and every arrival counts. A key
// found without an expiry, holding a count, a string that is no integer,
// the largest integer (which INCR refuses) or another type, is counted
// (a count goes on; anything else starts again at 1) and ends with an
// expiry. Before, INCR failed on the last three before PEXPIRE ran, so the
// key kept no TTL and the client was never counted again.
func TestArrive_EveryKeyExpires(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()

	for _, tc := range []struct {
		name   string
		preset func(key string) error // sets the key without an expiry
		window time.Duration
		want   int
	}{
		{name: "new key, window in milliseconds", window: 1500 * time.Millisecond, want: 1},
		{name: "count without expiry", preset: func(k string) error { return rdb.Set(ctx, k, "7", 0).Err() }, window: 30 * time.Second, want: 8},
		{name: "non-integer", preset: func(k string) error { return rdb.Set(ctx, k, "garbage", 0).Err() }, window: 30 * time.Second, want: 1},
		{name: "MaxInt64", preset: func(k string) error { return rdb.Set(ctx, k, "9223372036854775807", 0).Err() }, window: 30 * time.Second, want: 1},
		{name: "hash", preset: func(k string) error { return rdb.HSet(ctx, k, "f", "v").Err() }, window: 30 * time.Second, want: 1},
		{name: "list", preset: func(k string) error { return rdb.RPush(ctx, k, "a").Err() }, window: 30 * time.Second, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := stored(prefix, tc.name)
			if tc.preset != nil {
				require.NoError(t, tc.preset(key))
				require.Equal(t, time.Duration(-1), rdb.PTTL(ctx, key).Val(), "precondition: no expiry")
			}
			assert.Equal(t, tc.want, arrive(t, c, tc.name, tc.window))
			ttl := rdb.PTTL(ctx, key).Val()
			assert.Greater(t, ttl, time.Duration(0), "the key expires")
			assert.LessOrEqual(t, ttl, tc.window, "within the window")
			assert.Equal(t, tc.want+1, arrive(t, c, tc.name, tc.window), "and counts on")
		})
	}

	t.Run("window below a millisecond is one", func(t *testing.T) {
		assert.Equal(t, 1, arrive(t, c, "tiny", time.Microsecond))
		require.Eventually(t, func() bool { return rdb.Exists(ctx, stored(prefix, "tiny")).Val() == 0 },
			10*time.Second, time.Millisecond, "the key never expired")
	})
}

// Keys are Prefix + base64url(SHA-256(key)) whatever the key holds: 43
// bytes after the prefix, no client id or account in the clear, and no
// key of one prefix can be another's.
func TestArrive_KeysAreHashed(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c := newCounter(t, rdb, prefix, time.Second)
	for _, key := range []string{
		"30s\x00demo\x00alice",
		"30s\x00" + strings.Repeat("x", 10000) + "\x00alice",
		"30s\x00klient-ż\x00bob",
		"",
	} {
		assert.Equal(t, 1, arrive(t, c, key, time.Minute))
	}
	keys := keysUnder(t, rdb, prefix)
	assert.Len(t, keys, 4)
	for _, k := range keys {
		assert.Len(t, k, len(prefix)+43, "%q", k)
		assert.NotContains(t, k, "demo")
	}
	assert.Contains(t, keys, stored(prefix, "30s\x00demo\x00alice"))
}

// A Redis that accepts and never answers, or a redis-server stopped with
// SIGSTOP after the counter connected, makes Arrive give up at its
// Timeout with an error wrapping ErrUnavailable and the deadline. The
// deadline error proves the Timeout ended the wait: go-redis itself would
// wait its ReadTimeout (a minute here) and then fail with an i/o timeout.
// Nothing here waits on a clock: the server answers nothing until SIGCONT.
func TestArrive_FailsOpenWhenRedisIsSlow(t *testing.T) {
	t.Parallel()
	hole, _ := blackHole(t)
	for i, tc := range []struct {
		name    string
		stopped bool // an own redis-server, stopped; else the black hole
		ctxTO   bool // the client's ContextTimeoutEnabled
	}{
		{name: "never answers, client ignores contexts"},
		{name: "never answers, client honours contexts", ctxTO: true},
		{name: "stopped, client ignores contexts", stopped: true},
		{name: "stopped, client honours contexts", stopped: true, ctxTO: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := hole
			var own *ownRedis
			if tc.stopped {
				own = startOwnRedis(t)
				addr = own.Addr
			}
			rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: tc.ctxTO,
				ReadTimeout: time.Minute, WriteTimeout: time.Minute, DialTimeout: time.Minute})
			t.Cleanup(func() { _ = rdb.Close() })
			c := newCounter(t, rdb, "authredirect:test:slow:"+strconv.Itoa(i)+":", 100*time.Millisecond)
			if tc.stopped {
				// Connect and load the script first, so that the stop
				// holds the counting itself.
				require.Equal(t, 1, arrive(t, c, "warm", time.Minute))
				own.Stop(t)
			}

			n, err := arriveErr(c, "demo", time.Minute)
			assert.Zero(t, n, "not counted")
			require.ErrorIs(t, err, redisguard.ErrUnavailable)
			assert.ErrorIs(t, err, context.DeadlineExceeded, "ended by the Timeout")
			if tc.stopped {
				own.Cont(t)
				// The server now answers: a fresh connection counts
				// (the stopped one may still hold the abandoned script).
				require.Eventually(t, func() bool {
					n, err := arriveErr(c, "after", time.Minute)
					return err == nil && n >= 1
				}, 30*time.Second, time.Millisecond, "counting never resumed after SIGCONT")
			}
		})
	}
}

// A request whose client went away (its context cancelled before or while
// Arrive waits) is not counted and Arrive's error wraps context.Canceled,
// which the guard does not report: it is no Redis outage.
func TestArrive_ClientGoneIsNotReported(t *testing.T) {
	t.Parallel()
	hole, accepted := blackHole(t)
	rdb := redis.NewClient(&redis.Options{Addr: hole, ReadTimeout: time.Minute, DialTimeout: time.Minute})
	t.Cleanup(func() { _ = rdb.Close() })
	c := newCounter(t, rdb, "authredirect:test:gone:", time.Second)
	obs := &observed{}
	guard := fleetGuard(t, c, obs, nil)

	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		n, err := c.Arrive(httptest.NewRecorder(), r, "demo", epoch, time.Minute)
		assert.Zero(t, n)
		assert.ErrorIs(t, err, context.Canceled)
		r.Header.Set("X-Account", "alice")
		assert.NoError(t, guard.Count(httptest.NewRecorder(), r, "demo"), "the guard lets it through")
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		r.Header.Set("X-Account", "alice")
		got := make(chan error, 1)
		go func() { got <- guard.Count(httptest.NewRecorder(), r, "demo") }()
		<-accepted // the counter is now waiting on the silent server
		cancel()
		assert.NoError(t, <-got)
	})
	assert.Empty(t, obs.all(t), "a client that went away is not a Redis failure")
}

// When Redis answers an error (here: out of memory under noeviction, so
// the script can write nothing), the arrival is not counted and the error
// wraps ErrUnavailable and Redis's error; it never holds the key.
func TestArrive_RedisErrorIsReturned(t *testing.T) {
	t.Parallel()
	own := startOwnRedis(t, "--maxmemory", "1", "--maxmemory-policy", "noeviction")
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	c := newCounter(t, rdb, "authredirect:test:oom:", time.Second)

	n, err := arriveErr(c, "secret-client", time.Minute)
	assert.Zero(t, n)
	require.ErrorIs(t, err, redisguard.ErrUnavailable)
	var rerr redis.Error
	require.ErrorAs(t, err, &rerr, "the Redis error is kept")
	assert.Contains(t, rerr.Error(), "OOM")
	assert.NotContains(t, err.Error(), "secret-client")
}

// A Scripter that panics cannot crash the request: Arrive returns an
// error and the request goes on.
func TestArrive_PanickingClientFailsOpen(t *testing.T) {
	t.Parallel()
	c := newCounter(t, panicky{}, "", time.Second)
	n, err := arriveErr(c, "demo", time.Minute)
	assert.Zero(t, n)
	require.ErrorIs(t, err, redisguard.ErrUnavailable)
	assert.ErrorContains(t, err, "panicked")
}

type panicky struct{ redis.Scripter }

func (panicky) EvalSha(context.Context, string, []string, ...any) *redis.Cmd { panic("boom") }

func TestNew_RejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	for _, tc := range []struct {
		name string
		cfg  redisguard.Config
		want string
	}{
		{"no client", redisguard.Config{}, "Client is nil"},
		{"pipeline", redisguard.Config{Client: rdb.Pipeline()}, "pipeline"},
		{"negative timeout", redisguard.Config{Client: rdb, Timeout: -time.Millisecond}, "Timeout -1ms"},
		{"timeout of seconds", redisguard.Config{Client: rdb, Timeout: 2 * time.Second}, "Timeout 2s"},
		{"prefix with space", redisguard.Config{Client: rdb, Prefix: "auth redirect:"}, "Prefix"},
		{"prefix too long", redisguard.Config{Client: rdb, Prefix: strings.Repeat("p", 64) + ":"}, "Prefix"},
		{"prefix without its closing colon", redisguard.Config{Client: rdb, Prefix: "authredirect:loop"}, "end with ':'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := redisguard.New(tc.cfg)
			assert.Nil(t, c)
			require.ErrorIs(t, err, redisguard.ErrConfig)
			assert.ErrorContains(t, err, tc.want)
		})
	}

	t.Run("defaults", func(t *testing.T) {
		c, err := redisguard.New(redisguard.Config{Client: rdb})
		require.NoError(t, err)
		assert.NotNil(t, c)
		_, err = redisguard.New(redisguard.Config{Client: rdb, Timeout: redisguard.MaxTimeout, Prefix: strings.Repeat("p", 63) + ":"})
		assert.NoError(t, err, "the bounds themselves are accepted")
	})
}

// commandStats reads calls and failed calls per command from a server's
// INFO commandstats.
func commandStats(t testing.TB, admin *redis.Client) map[string]string {
	t.Helper()
	info, err := admin.Info(context.Background(), "commandstats").Result()
	require.NoError(t, err)
	calls := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		name, fields, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if ok && !strings.HasPrefix(line, "#") {
			calls[name] = fields[:strings.Index(fields, ",usec=")] + "," + fields[strings.Index(fields, "failed_calls="):]
		}
	}
	return calls
}

// Each arrival is one command on the wire, EVALSHA of the counting script;
// a Redis that does not have the script (new, restarted or flushed) gets
// it once by EVAL, and the count goes on. Read from the server's own
// command statistics.
func TestArrive_OneRoundTripPerArrival(t *testing.T) {
	t.Parallel()
	own := startOwnRedis(t)
	admin := redis.NewClient(&redis.Options{Addr: own.Addr})
	t.Cleanup(func() { _ = admin.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	c := newCounter(t, rdb, "authredirect:test:trips:", time.Second)
	ctx := context.Background()

	require.Equal(t, 1, arrive(t, c, "demo", time.Minute), "first arrival, connecting and loading the script")
	require.NoError(t, admin.ConfigResetStat(ctx).Err())
	for want := 2; want <= 101; want++ {
		require.Equal(t, want, arrive(t, c, "demo", time.Minute))
	}
	assert.Equal(t, map[string]string{
		"evalsha":          "calls=100,failed_calls=0", // one command per arrival
		"incr":             "calls=100,failed_calls=0", // run by the script
		"pttl":             "calls=100,failed_calls=0", // the script's expiry check
		"config|resetstat": "calls=1,failed_calls=0",
	}, commandStats(t, admin))

	require.NoError(t, admin.ScriptFlush(ctx).Err())
	require.NoError(t, admin.ConfigResetStat(ctx).Err())
	assert.Equal(t, 102, arrive(t, c, "demo", time.Minute), "the count survives a script flush")
	got := commandStats(t, admin)
	assert.Equal(t, "calls=1,failed_calls=1", got["evalsha"], "NOSCRIPT")
	assert.Equal(t, "calls=1,failed_calls=0", got["eval"], "then EVAL, once")
}

// Deployments that must not agree use different prefixes, even when one
// prefix starts the other.
func TestArrive_DifferentPrefixesNeverShareACount(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	a := newCounter(t, rdb, prefix, time.Second)
	b := newCounter(t, rdb, prefix+"x:", time.Second)
	assert.Equal(t, 1, arrive(t, a, "x:foo", time.Minute))
	assert.Equal(t, 1, arrive(t, b, "foo", time.Minute), "another deployment's first arrival")
	assert.Equal(t, 2, arrive(t, a, "x:foo", time.Minute))
}
