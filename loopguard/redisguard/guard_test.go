package redisguard_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// twoInstances starts two instances of the application, each with its own
// guard and its own Counter on rdb under prefix (one fleet), and returns
// their URLs.
func twoInstances(t testing.TB, rdb redis.Scripter, prefix string, obs *observed, known func(string) bool) [2]string {
	t.Helper()
	var urls [2]string
	for i := range urls {
		urls[i] = startInstance(t, guardedApp(t, fleetGuard(t, newCounter(t, rdb, prefix, time.Second), obs, known)))
	}
	return urls
}

// No count is shared between strangers. Two instances
// share a Redis and a cookie key. 100 signed-out browsers arriving once
// each are none of them refused (before, they were counted under the bare
// client_id in Redis and the 4th stranger was refused); one signed-out
// browser looping through both instances is refused on its 4th arrival
// (its cookie carries the count); one account looping from two browsers
// through both instances is refused on its 4th (Redis carries it).
func TestFleet_NoCountIsSharedByStrangers(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	obs := &observed{}
	urls := twoInstances(t, rdb, prefix, obs, nil)
	const target = "/oauth/authorize?response_type=code&client_id=demo"

	t.Run("100 signed-out browsers, once each", func(t *testing.T) {
		for i := range 100 {
			assert.Equal(t, passed, get(t, browser(t), urls[i%2]+target, ""), "browser %d", i+1)
		}
		assert.Empty(t, keysUnder(t, rdb, prefix), "signed-out browsers are never counted in Redis")
	})
	t.Run("one signed-out browser looping through both instances", func(t *testing.T) {
		b := browser(t)
		for n := 1; n <= 5; n++ {
			want := passed
			if n >= 4 {
				want = tripped
			}
			assert.Equal(t, want, get(t, b, urls[n%2]+target, ""), "arrival %d, on instance %d", n, n%2)
		}
	})
	t.Run("one account looping from two browsers through both instances", func(t *testing.T) {
		browsers := [2]*http.Client{browser(t), browser(t)}
		for n := 1; n <= 5; n++ {
			want := passed
			if n >= 4 {
				want = tripped
			}
			// Browsers and instances alternate out of step: arrivals 1..4
			// are (A,0) (B,1) (A,1) (B,0).
			assert.Equal(t, want, get(t, browsers[n%2], urls[(n/2)%2]+target, "alice"), "arrival %d", n)
		}
		assert.Equal(t, passed, get(t, browser(t), urls[0]+target, "bob"), "another account has its own count")
		assert.Equal(t, passed, get(t, browsers[0], urls[1]+target, ""), "the same browser signed out has its own count")
		assert.Len(t, keysUnder(t, rdb, prefix), 2, "one key per client and account: alice's and bob's")
	})
	assert.Empty(t, obs.all(t), "nothing failed")
}

// The fleet's count is per client and account: a signed-out visitor who
// sends client_id=demo%00alice does not spend alice's count (the guard
// does not count a client id holding a NUL), and two clients of one
// account count apart.
func TestFleet_AClientIDCannotSpendAnAccountsCount(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	obs := &observed{}
	urls := twoInstances(t, rdb, prefix, obs, nil)
	b := browser(t)
	for i := 1; i <= 4; i++ {
		assert.Equal(t, passed, get(t, b, urls[i%2]+"/oauth/authorize?client_id=demo%00alice", "mallory"), "arrival %d", i)
	}
	for i := 1; i <= 3; i++ {
		assert.Equal(t, passed, get(t, b, urls[i%2]+"/oauth/authorize?client_id=demo", "alice"), "alice's arrival %d", i)
	}
	assert.Equal(t, passed, get(t, b, urls[0]+"/oauth/authorize?client_id=other", "alice"), "another client of alice's")
	assert.Equal(t, tripped, get(t, b, urls[1]+"/oauth/authorize?client_id=demo", "alice"), "alice's 4th")
	assert.Len(t, keysUnder(t, rdb, prefix), 2, "alice's two clients, nothing for the NUL client id")
	assert.Empty(t, obs.all(t))
}

// With KnownClient, 2000 invented client_ids from a
// signed-in account make no Redis key; without it they make 2000, the
// worst case README states (one key per counted signed-in request).
func TestFleet_InventedClientIDsMakeNoKeys(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	for _, tc := range []struct {
		name  string
		known func(string) bool
		keys  int
	}{
		{"with KnownClient", func(id string) bool { return id == "demo" }, 1},
		{"without KnownClient", nil, 2001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := testPrefix(t, rdb)
			obs := &observed{}
			app := guardedApp(t, fleetGuard(t, newCounter(t, rdb, prefix, time.Second), obs, tc.known))
			serve := func(client string) int {
				r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id="+client, nil)
				r.Header.Set("X-Account", "alice")
				w := httptest.NewRecorder()
				app.ServeHTTP(w, r)
				return w.Code
			}
			for i := range 2000 {
				require.Equal(t, http.StatusOK, serve("invented-"+strconv.Itoa(i)))
			}
			if tc.known != nil {
				assert.Empty(t, keysUnder(t, rdb, prefix), "no key for an invented client id")
			}
			require.Equal(t, http.StatusOK, serve("demo"))
			assert.Len(t, keysUnder(t, rdb, prefix), tc.keys)
			assert.Empty(t, obs.all(t))
		})
	}
}

// goRedisLines counts every line go-redis logs and hands it on.
type goRedisLines struct {
	n    atomic.Int64
	next interface {
		Printf(context.Context, string, ...any)
	}
}

func (g *goRedisLines) Printf(ctx context.Context, format string, v ...any) {
	g.n.Add(1)
	g.next.Printf(ctx, format, v...)
}

// Redis is killed; every request of a
// signed-in account goes through (200), the guard's Observer hears of each
// one as Uncounted with an error wrapping ErrUnavailable, and go-redis'
// own log lines reach the log through redisguard.Logger as one record per
// interval: one record for the whole outage here, whose interval is an
// hour. go-redis v9 logs "failed to dial" for each failed dial of a pool
// until PoolSize dials in a row have failed; then it answers with the last
// dial error without dialling (or logging) while a goroutine of its own
// redials once a second. So a plain go-redis logger gets PoolSize lines
// per outage per pool (per node of a cluster), and again after every
// flap. The guard's own log is at most
// one record a second, so it is checked with the observer's count.
//
// Not parallel: redis.SetLogger is global to the process.
func TestFleet_OutageIsReportedAndTheLogDoesNotFlood(t *testing.T) {
	own := startOwnRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr, ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	obs := &observed{}
	urls := twoInstances(t, rdb, "authredirect:test:outage:", obs, nil)
	b := browser(t)
	const target = "/oauth/authorize?client_id=demo"
	for n := 1; n <= 4; n++ {
		want := passed
		if n == 4 {
			want = tripped
		}
		require.Equal(t, want, get(t, b, urls[n%2]+target, "alice"), "arrival %d while Redis is up", n)
	}

	var log lines
	raw := &goRedisLines{next: redisguard.NewLogger(slog.New(slog.NewTextHandler(&log, nil)), time.Hour)}
	redis.SetLogger(raw)
	t.Cleanup(func() { redis.SetLogger(quiet{}) })
	own.Kill()

	const requests = 200
	for n := range requests {
		require.Equal(t, passed, get(t, b, urls[n%2]+target, "alice"), "request %d during the outage", n+1)
	}
	causes := obs.all(t)
	require.Len(t, causes, requests, "every uncounted request is observed")
	for _, err := range causes {
		require.ErrorIs(t, err, redisguard.ErrUnavailable)
	}
	t.Logf("%d requests during the outage: %d Uncounted events, %d go-redis log lines, %d log records:\n%s",
		requests, len(causes), raw.n.Load(), log.Count(), log.String())
	assert.Equal(t, int64(rdb.Options().PoolSize), raw.n.Load(), "go-redis logs a line per failed dial, up to PoolSize")
	assert.Equal(t, 1, log.Count(), "one record for the outage")
	assert.Contains(t, log.String(), `level=WARN msg="go-redis: connection pool: failed to dial after 1 attempts: dial tcp `+own.Addr)
}

// Redis is killed (SIGKILL) in the middle of a load run of signed-in
// requests: every request is answered, none with a 5xx, every answer is
// the contract's (200 from the handler, or 303 to the error page with
// to_many_redirects), every request that started after the kill went
// through uncounted (200) and was observed, and no observed failure is a
// client that went away.
//
// With the options the README recommends (ContextTimeoutEnabled, no
// command retries, one dial attempt) the requests after the kill fail at
// once (connection refused); with go-redis's defaults its retries wait out
// the Timeout on nearly every request. Both fail open.
func TestFleet_RedisKilledUnderLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  redis.Options
	}{
		{"recommended client options", redis.Options{ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1}},
		{"go-redis defaults", redis.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opt := tc.opt
			redisKilledUnderLoad(t, &opt)
		})
	}
}

func redisKilledUnderLoad(t *testing.T, opt *redis.Options) {
	own := startOwnRedis(t)
	opt.Addr = own.Addr
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	obs := &observed{}
	// A Timeout of a second: the count before the kill must not fail on a
	// machine shared by several test runs.
	url := startInstance(t, guardedApp(t, fleetGuard(t, newCounter(t, rdb, "authredirect:test:fault:", time.Second), obs, nil)))
	cl := browser(t)
	cl.Jar = nil
	cl.Transport = &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(cl.CloseIdleConnections)
	loopy := url + "/oauth/authorize?client_id=loopy"
	for n := 1; n <= 4; n++ {
		want := passed
		if n == 4 {
			want = tripped
		}
		require.Equal(t, want, get(t, cl, loopy, "alice"), "arrival %d before the load", n)
	}

	const total, workers = 1000, 8
	const killAfter = total / 3
	var (
		next, done atomic.Int64
		killed     atomic.Bool
		killNow    = make(chan struct{})
		killOnce   sync.Once
		mu         sync.Mutex
		byStatus   = map[int]int{}
		afterKill  = map[int]int{}
		wrong      []string
		wg         sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > total {
					return
				}
				account := "alice" // one request in four is alice's loop
				if i%4 != 0 {
					account = "user-" + strconv.FormatInt(i%50, 10)
				}
				startedAfterKill := killed.Load()
				a, err := tryGet(cl, loopy, account)
				mu.Lock()
				switch {
				case err != nil:
					wrong = append(wrong, "request "+strconv.FormatInt(i, 10)+": "+err.Error())
				case a != passed && a != tripped:
					wrong = append(wrong, "request "+strconv.FormatInt(i, 10)+": not the contract's answer: "+strconv.Itoa(a.status)+" "+a.location)
				case startedAfterKill && a != passed:
					wrong = append(wrong, "request "+strconv.FormatInt(i, 10)+": counted after the kill: "+strconv.Itoa(a.status))
				}
				if err == nil {
					byStatus[a.status]++
					if startedAfterKill {
						afterKill[a.status]++
					}
				}
				mu.Unlock()
				if done.Add(1) == killAfter {
					killOnce.Do(func() { close(killNow) })
				}
			}
		})
	}
	<-killNow
	own.Kill() // SIGKILL, and wait until the process is gone
	killed.Store(true)
	wg.Wait()

	causes := obs.all(t)
	kinds := map[string]int{}
	for _, err := range causes {
		kinds[failureKind(err)]++
	}
	postKill := 0
	for _, n := range afterKill {
		postKill += n
	}
	t.Logf("%d requests: answers by status %v; %d started after the kill, answers by status %v; %d failures observed %v",
		total, byStatus, postKill, afterKill, len(causes), kinds)

	assert.Empty(t, wrong)
	assert.Equal(t, total, byStatus[http.StatusOK]+byStatus[http.StatusSeeOther], "every request answered 200 or 303")
	assert.Positive(t, byStatus[http.StatusSeeOther], "the guard tripped while Redis was up")
	assert.Positive(t, postKill, "requests ran after the kill")
	assert.GreaterOrEqual(t, len(causes), postKill, "every request after the kill was observed")
	assert.LessOrEqual(t, len(causes), total, "at most one event per request")
	for _, err := range causes {
		assert.ErrorIs(t, err, redisguard.ErrUnavailable)
		assert.False(t, errors.Is(err, context.Canceled), "no event is a client that went away: %v", err)
	}
	assert.Equal(t, passed, get(t, cl, loopy, "alice"), "fail open once Redis is gone")
	if len(wrong) > 0 {
		t.Logf("first wrong answers: %s", strings.Join(wrong[:min(5, len(wrong))], "; "))
	}
}
