package redisguard_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// answer is what a test client saw.
type answer struct {
	status   int
	location string
	body     string
}

func get(t testing.TB, cl *http.Client, url string, account string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if account != "" {
		req.Header.Set("X-Account", account)
	}
	resp, err := cl.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

var (
	passed  = answer{status: http.StatusOK, body: "ok"}
	tripped = answer{status: http.StatusSeeOther, location: loopLocation}
)

// tripped answers carry a body written by http.Redirect-like rendering; the
// tests compare status and Location for those.
func (a answer) contract() answer {
	if a.status == http.StatusSeeOther {
		a.body = ""
	}
	return a
}

// Two instances of an application, each with its own guard and Recoverer route,
// share one Redis: whichever instance takes the 4th arrival of a client
// within the window trips (303 to the error page with to_many_redirects).
func TestGuard_TwoInstancesShareTheCount(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	var urls [2]string
	var clients [2]*http.Client
	for i := range urls {
		c, rep := newCounter(t, rdb, prefix, time.Second)
		t.Cleanup(func() { assert.Empty(t, rep.all(), "instance %d reported failures", i) })
		srv, cl := startServer(t, guardedApp(t, c, nil))
		urls[i], clients[i] = srv.URL, cl
	}

	for _, order := range []string{"ABAB", "BABA", "AABB", "BBBA", "AAAB", "ABBA"} {
		t.Run(order, func(t *testing.T) {
			target := "/oauth/authorize?response_type=code&client_id=loopy-" + order
			for n, inst := range order {
				i := int(inst - 'A')
				got := get(t, clients[i], urls[i]+target, "").contract()
				want := passed
				if n+1 > 3 {
					want = tripped
				}
				assert.Equal(t, want, got, "arrival %d, on instance %c", n+1, inst)
			}
			// And the 5th, on the other instance of the 4th, trips too.
			last := int(order[3] - 'A')
			assert.Equal(t, tripped, get(t, clients[1-last], urls[1-last]+target, "").contract(), "arrival 5")
		})
	}
}

// Keyed by client and signed-in account, as the service's own rule says:
// the same client counts separately for two accounts, and a client with
// no account known counts by itself.
func TestGuard_CountsPerClientAndAccount(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c, rep := newCounter(t, rdb, prefix, time.Second)
	account := func(r *http.Request) string { return r.Header.Get("X-Account") } // the application's signed-in account
	srv, cl := startServer(t, guardedApp(t, c, account))
	url := srv.URL + "/oauth/authorize?client_id=shared-client"

	steps := []struct {
		account string
		want    answer
	}{
		{"alice", passed}, {"alice", passed}, {"alice", passed},
		{"bob", passed}, {"bob", passed}, {"bob", passed},
		{"alice", tripped}, {"bob", tripped},
		{"", passed}, {"", passed}, {"", passed}, {"", tripped},
		{"carol", passed},
	}
	for i, s := range steps {
		assert.Equal(t, s.want, get(t, cl, url, s.account).contract(), "step %d, account %q", i+1, s.account)
	}
	assert.Equal(t, passed, get(t, cl, srv.URL+"/oauth/authorize?client_id=other-client", "alice").contract(),
		"another client of the same account has its own count")
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 5, "one key per client and account: shared-client for alice, bob, carol and no account; other-client for alice")
	assert.Empty(t, rep.all())
}

// TestGuard_AClientIDCannotSpendAnAccountsCount: the fleet-wide count is
// per client and account; someone signed in as nobody who sends
// client_id=shared-client%00alice must not spend alice's count.
func TestGuard_AClientIDCannotSpendAnAccountsCount(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c, rep := newCounter(t, rdb, prefix, time.Second)
	account := func(r *http.Request) string { return r.Header.Get("X-Account") }
	srv, cl := startServer(t, guardedApp(t, c, account))
	for i := 1; i <= 4; i++ {
		assert.Equal(t, passed, get(t, cl, srv.URL+"/oauth/authorize?client_id=shared-client%00alice", "").contract(), "arrival %d", i)
	}
	assert.Equal(t, passed, get(t, cl, srv.URL+"/oauth/authorize?client_id=shared-client", "alice").contract(),
		"alice's first arrival")
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 1, "only alice's arrival was counted")
	assert.Empty(t, rep.all())
}

// Redis is killed (SIGKILL) in the middle of a load run: every request is
// answered, none with a 5xx, every answer is the contract's (200 from the
// handler, or 303 to the error page with to_many_redirects), every request
// that started after the kill went through uncounted (200) and was
// reported, and no report is a client that went away.
//
// With the options the README recommends (ContextTimeoutEnabled, no
// command retries, one dial attempt) the requests after the kill fail at
// once (connection refused); with go-redis's defaults its retries wait out
// the Timeout on nearly every request. Both fail open.
func TestGuard_RedisKilledUnderLoad(t *testing.T) {
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
	c, rep := newCounter(t, rdb, "authredirect:test:fault:", 50*time.Millisecond)
	srv, cl := startServer(t, guardedApp(t, c, nil))
	cl.Transport.(*http.Transport).MaxIdleConnsPerHost = 16

	// The guard works while Redis is up: the looping client trips. (On a
	// starved machine an arrival may time out and go uncounted, which is
	// this very feature; so allow a few more than four arrivals.)
	loopy := srv.URL + "/oauth/authorize?client_id=loopy"
	trippedBefore := false
	for n := 1; n <= 20 && !trippedBefore; n++ {
		a := get(t, cl, loopy, "").contract()
		require.Contains(t, []answer{passed, tripped}, a, "arrival %d before the load", n)
		trippedBefore = a == tripped
	}
	require.True(t, trippedBefore, "the looping client never tripped while Redis was up")

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
				url := loopy // one request in four is the looping client
				if i%4 != 0 {
					url = srv.URL + "/oauth/authorize?client_id=c-" + strconv.FormatInt(i%50, 10)
				}
				startedAfterKill := killed.Load()
				resp, err := cl.Get(url)
				var a answer
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					a = answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
				}
				mu.Lock()
				switch {
				case err != nil:
					wrong = append(wrong, "request "+strconv.FormatInt(i, 10)+": "+err.Error())
				case a.contract() != passed && a.contract() != tripped:
					wrong = append(wrong, "request "+strconv.FormatInt(i, 10)+": not the contract's answer: "+strconv.Itoa(a.status)+" "+a.location)
				case startedAfterKill && a.status != http.StatusOK:
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

	errs := rep.all()
	kinds := map[string]int{}
	for _, err := range errs {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			kinds["timeout"]++
		case errors.Is(err, syscall.ECONNREFUSED):
			kinds["refused"]++
		case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
			kinds["connection lost"]++
		default:
			kinds[strings.TrimPrefix(err.Error(), redisguard.ErrUnavailable.Error()+": ")]++
		}
	}
	postKill := 0
	for _, n := range afterKill {
		postKill += n
	}
	t.Logf("%d requests: answers by status %v; %d started after the kill, answers by status %v; %d failures reported %v",
		total, byStatus, postKill, afterKill, len(errs), kinds)

	assert.Empty(t, wrong)
	assert.Equal(t, total, byStatus[http.StatusOK]+byStatus[http.StatusSeeOther], "every request answered 200 or 303")
	assert.Positive(t, byStatus[http.StatusSeeOther], "the guard tripped while Redis was up")
	assert.Positive(t, postKill, "requests ran after the kill")
	assert.GreaterOrEqual(t, len(errs), postKill, "every request after the kill was reported")
	assert.LessOrEqual(t, len(errs), total, "at most one report per request")
	for _, err := range errs {
		assert.ErrorIs(t, err, redisguard.ErrUnavailable)
		assert.False(t, errors.Is(err, context.Canceled), "no report is a client that went away: %v", err)
	}

	// After the kill the looping client goes through: the guard is open.
	assert.Equal(t, passed, get(t, cl, loopy, "").contract(), "fail open once Redis is gone")
	if len(wrong) > 0 {
		t.Logf("first wrong answers: %s", strings.Join(wrong[:min(5, len(wrong))], "; "))
	}
}
