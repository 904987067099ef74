package redisguard_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
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
	"github.com/authredirect/authredirect/render"
)

var epoch = time.Unix(1_700_000_000, 0)

func arrive(c *redisguard.Counter, key string, window time.Duration) int {
	return c.Arrive(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), key, epoch, window)
}

// Counts go 1, 2, 3, ...; the key gets the window as its expiry on the
// first arrival and keeps it (later arrivals do not extend the window);
// when the key expires the next arrival starts a new window at 1.
func TestArrive_CountsExactlyAndExpiresWithTheWindow(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c, rep := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()
	const window = 30 * time.Second
	key := prefix + "demo"

	for want := 1; want <= 5; want++ {
		assert.Equal(t, want, arrive(c, "demo", window), "arrival %d", want)
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
	assert.Equal(t, 6, arrive(c, "demo", window))
	ttl, err = rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	assert.LessOrEqual(t, ttl, 20*time.Second, "a later arrival kept the window's end")

	// End the window now and wait (without sleeping a window) for Redis to
	// drop the key.
	require.NoError(t, rdb.PExpire(ctx, key, time.Millisecond).Err())
	require.Eventually(t, func() bool { return rdb.Exists(ctx, key).Val() == 0 },
		10*time.Second, time.Millisecond, "the key never expired")
	assert.Equal(t, 1, arrive(c, "demo", window), "a new window starts at 1")
	assert.Empty(t, rep.all(), "nothing failed")
}

// Every key gets an expiry in milliseconds from the window, even one that
// existed without an expiry, and even for windows below a millisecond.
func TestArrive_EveryKeyExpires(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c, rep := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()

	for _, tc := range []struct {
		name     string
		key      string
		preset   string // a value set without expiry before the arrival
		window   time.Duration
		want     int
		maxTTL   time.Duration
		minTTL   time.Duration
		deadline bool // the key may already be gone when PTTL looks
	}{
		{name: "window in milliseconds", key: "ms", window: 1500 * time.Millisecond, want: 1, minTTL: time.Millisecond, maxTTL: 1500 * time.Millisecond},
		{name: "key without expiry gets one", key: "persisted", preset: "7", window: 30 * time.Second, want: 8, minTTL: time.Millisecond, maxTTL: 30 * time.Second},
		{name: "window below a millisecond is one", key: "tiny", window: time.Microsecond, want: 1, deadline: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := prefix + tc.key
			if tc.preset != "" {
				require.NoError(t, rdb.Set(ctx, key, tc.preset, 0).Err())
				require.Equal(t, time.Duration(-1), rdb.PTTL(ctx, key).Val(), "precondition: no expiry")
			}
			assert.Equal(t, tc.want, arrive(c, tc.key, tc.window))
			ttl := rdb.PTTL(ctx, key).Val()
			if tc.deadline {
				require.Eventually(t, func() bool { return rdb.Exists(ctx, key).Val() == 0 },
					10*time.Second, time.Millisecond, "the key never expired")
				return
			}
			assert.GreaterOrEqual(t, ttl, tc.minTTL)
			assert.LessOrEqual(t, ttl, tc.maxTTL)
		})
	}
	assert.Empty(t, rep.all())
}

// Keys are Prefix + key when short printable ASCII not starting with '#';
// anything else is stored hashed, so Redis keys are bounded and the two
// forms cannot collide.
func TestArrive_KeyNamesAreBounded(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c, rep := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()
	hashed := func(key string) string {
		sum := sha256.Sum256([]byte(key))
		return prefix + "#" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	long := strings.Repeat("x", redisguard.MaxRawKey+1)
	for _, tc := range []struct {
		name, key, stored string
	}{
		{"client id", "0123456789abcdef0123456789abcdef", prefix + "0123456789abcdef0123456789abcdef"},
		{"client id and account", "demo\x1faccount-1", hashed("demo\x1faccount-1")},
		{"client id and account, printable separator", "demo|account-1", prefix + "demo|account-1"},
		{"longest raw key", long[1:], prefix + long[1:]},
		{"too long", long, hashed(long)},
		{"space", "a b", hashed("a b")},
		{"non-ASCII", "klient-ż", hashed("klient-ż")},
		{"starts like a hashed key", "#" + hashed("x")[len(prefix)+1:], hashed("#" + hashed("x")[len(prefix)+1:])},
		// A ':' could make Prefix + key another prefix's key.
		{"colon", "x:foo", hashed("x:foo")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, 1, arrive(c, tc.key, time.Minute))
			assert.Equal(t, int64(1), rdb.Exists(ctx, tc.stored).Val(), "stored under %q", tc.stored)
			assert.LessOrEqual(t, len(tc.stored), len(prefix)+redisguard.MaxRawKey)
		})
	}
	assert.Empty(t, rep.all())
}

// A Redis that accepts and never answers, or a server paused with CLIENT
// PAUSE, makes Arrive give up at its Timeout: it returns 0 (not counted)
// and reports an error wrapping ErrUnavailable and the deadline. The
// deadline error proves the Timeout ended the wait: go-redis itself would
// wait its ReadTimeout (a minute here) and then fail with an i/o timeout.
func TestArrive_FailsOpenWhenRedisIsSlow(t *testing.T) {
	t.Parallel()
	hole, _ := blackHole(t)
	paused := startOwnRedis(t)
	admin := redis.NewClient(&redis.Options{Addr: paused.Addr})
	t.Cleanup(func() { _ = admin.Close() })

	for i, tc := range []struct {
		name  string
		addr  string
		ctxTO bool // the client's ContextTimeoutEnabled
		pause bool
	}{
		{name: "never answers, client ignores contexts", addr: hole},
		{name: "never answers, client honours contexts", addr: hole, ctxTO: true},
		{name: "paused, client ignores contexts", addr: paused.Addr, pause: true},
		{name: "paused, client honours contexts", addr: paused.Addr, ctxTO: true, pause: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: tc.addr, ContextTimeoutEnabled: tc.ctxTO,
				ReadTimeout: time.Minute, WriteTimeout: time.Minute, DialTimeout: time.Minute})
			t.Cleanup(func() { _ = rdb.Close() })
			// A Timeout well below the 2 s pause, yet long enough that
			// the counts before and after it are taken on a busy machine.
			c, rep := newCounter(t, rdb, "authredirect:test:slow:"+strconv.Itoa(i)+":", 500*time.Millisecond)
			if tc.pause {
				// Connect and load the script first, so that the pause holds
				// the counting itself.
				require.Equal(t, 1, arrive(c, "warm", time.Minute))
				require.NoError(t, admin.Do(context.Background(), "CLIENT", "PAUSE", "2000", "ALL").Err())
			}

			start := time.Now()
			got := arrive(c, "demo", time.Minute)
			t.Logf("Arrive returned %d after %v", got, time.Since(start).Round(time.Millisecond))

			assert.Equal(t, 0, got, "not counted")
			errs := rep.all()
			require.Len(t, errs, 1, "one report")
			assert.ErrorIs(t, errs[0], redisguard.ErrUnavailable)
			assert.ErrorIs(t, errs[0], context.DeadlineExceeded, "ended by the Timeout")
			if tc.pause {
				// Redis 7.0 holds UNPAUSE itself until the pause ends, so this
				// returns once the server answers again.
				require.NoError(t, admin.Do(context.Background(), "CLIENT", "UNPAUSE").Err())
				assert.Equal(t, 1, arrive(c, "after-pause", time.Minute), "counting resumes")
			}
		})
	}
}

// A request whose client went away (its context cancelled before or while
// Arrive waits) returns 0 and is not reported: it is no Redis outage.
func TestArrive_ClientGoneIsNotReported(t *testing.T) {
	t.Parallel()
	hole, accepted := blackHole(t)
	rdb := redis.NewClient(&redis.Options{Addr: hole, ReadTimeout: time.Minute, DialTimeout: time.Minute})
	t.Cleanup(func() { _ = rdb.Close() })
	c, rep := newCounter(t, rdb, "authredirect:test:gone:", time.Second)

	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		assert.Equal(t, 0, c.Arrive(httptest.NewRecorder(), r, "demo", epoch, time.Minute))
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		got := make(chan int, 1)
		go func() { got <- c.Arrive(httptest.NewRecorder(), r, "demo", epoch, time.Minute) }()
		<-accepted // the counter is now waiting on the silent server
		cancel()
		assert.Equal(t, 0, <-got)
	})
	assert.Empty(t, rep.all(), "a client that went away is not a Redis failure")
}

// When Redis answers an error (here: the key holds something else), the
// request is let through and the error reported; the report never holds
// the key.
func TestArrive_RedisErrorIsReported(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c, rep := newCounter(t, rdb, prefix, time.Second)
	require.NoError(t, rdb.HSet(context.Background(), prefix+"secret-client", "f", "v").Err())

	assert.Equal(t, 0, arrive(c, "secret-client", time.Minute))
	errs := rep.all()
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], redisguard.ErrUnavailable)
	var rerr redis.Error
	assert.ErrorAs(t, errs[0], &rerr, "the Redis error is kept")
	assert.NotContains(t, errs[0].Error(), "secret-client")
}

// Without OnError, failures are logged at Warn through Logger, at most one
// record a second, with the prefix and never the key.
func TestArrive_DefaultReportLogsOncePerSecond(t *testing.T) {
	t.Parallel()
	dead := startOwnRedis(t)
	dead.Kill()
	rdb := redis.NewClient(&redis.Options{Addr: dead.Addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	var buf syncBuffer
	c, err := redisguard.New(redisguard.Config{Client: rdb, Prefix: "authredirect:test:log:",
		Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	require.NoError(t, err)

	for range 5 {
		assert.Equal(t, 0, arrive(c, "secret-client", time.Minute))
	}
	out := buf.String()
	assert.Equal(t, 1, strings.Count(out, "\n"), "one record for five failures within a second:\n%s", out)
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, `msg="authredirect: loop guard counter unavailable; requests go on uncounted"`)
	assert.Contains(t, out, "prefix=authredirect:test:log:")
	assert.Contains(t, out, "failures=1")
	assert.NotContains(t, out, "secret-client")
}

// A Scripter that panics cannot crash the request: Arrive reports and lets
// it through.
func TestArrive_PanickingClientFailsOpen(t *testing.T) {
	t.Parallel()
	c, rep := newCounter(t, panicky{}, "", time.Second)
	assert.Equal(t, 0, arrive(c, "demo", time.Minute))
	errs := rep.all()
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], redisguard.ErrUnavailable)
	assert.ErrorContains(t, errs[0], "panicked")
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
		{"OnError and Logger", redisguard.Config{Client: rdb, OnError: func(error) {}, Logger: slog.Default()}, "set one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := redisguard.New(tc.cfg)
			assert.Nil(t, c)
			require.ErrorIs(t, err, render.ErrConfig)
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
	c, rep := newCounter(t, rdb, "authredirect:test:trips:", time.Second)
	ctx := context.Background()
	stats := func() map[string]string {
		info, err := admin.Info(ctx, "commandstats").Result()
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

	require.Equal(t, 1, arrive(c, "demo", time.Minute), "first arrival, connecting and loading the script")
	require.NoError(t, admin.ConfigResetStat(ctx).Err())
	for want := 2; want <= 101; want++ {
		require.Equal(t, want, arrive(c, "demo", time.Minute))
	}
	assert.Equal(t, map[string]string{
		"evalsha":          "calls=100,failed_calls=0", // one command per arrival
		"incr":             "calls=100,failed_calls=0", // run by the script
		"pttl":             "calls=100,failed_calls=0", // the script's expiry check
		"config|resetstat": "calls=1,failed_calls=0",
	}, stats())

	require.NoError(t, admin.ScriptFlush(ctx).Err())
	require.NoError(t, admin.ConfigResetStat(ctx).Err())
	assert.Equal(t, 102, arrive(c, "demo", time.Minute), "the count survives a script flush")
	got := stats()
	assert.Equal(t, "calls=1,failed_calls=1", got["evalsha"], "NOSCRIPT")
	assert.Equal(t, "calls=1,failed_calls=0", got["eval"], "then EVAL, once")
	assert.Empty(t, rep.all())
}

// TestArrive_DifferentPrefixesNeverShareACount: deployments that must not
// agree use different prefixes, even when one prefix starts the other.
func TestArrive_DifferentPrefixesNeverShareACount(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	a, rep := newCounter(t, rdb, prefix, time.Second)
	b, repB := newCounter(t, rdb, prefix+"x:", time.Second)
	assert.Equal(t, 1, arrive(a, "x:foo", time.Minute))
	assert.Equal(t, 1, arrive(b, "foo", time.Minute), "another deployment's first arrival")
	assert.Equal(t, 2, arrive(a, "x:foo", time.Minute))
	assert.Empty(t, rep.all())
	assert.Empty(t, repB.all())
}
