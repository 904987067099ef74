package redisguard_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/loopguard/redisguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// The tests need a real redis-server and a real Redis Cluster, and fail
// without them. addrEnv holds the server's address, clusterEnv the
// cluster's nodes, comma-separated.
const (
	addrEnv    = "AUTHREDIRECT_REDIS_ADDR"
	clusterEnv = "AUTHREDIRECT_REDIS_CLUSTER_ADDRS"
)

const startHint = `these tests need a real Redis and a real Redis Cluster; .ci/run starts both
by itself. By hand (Debian: apt-get install redis-server):
	redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --daemonize no &
	export ` + addrEnv + `=127.0.0.1:6390
and for the cluster, see the Redis block of .ci/run, then
	export ` + clusterEnv + `=127.0.0.1:7001,127.0.0.1:7002,...`

// sharedRedis returns a client of the Redis named by AUTHREDIRECT_REDIS_ADDR
// and fails the test when it does not answer.
func sharedRedis(t testing.TB) *redis.Client {
	t.Helper()
	addr := os.Getenv(addrEnv) // TestMain made sure it is set
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	require.NoError(t, rdb.Ping(context.Background()).Err(), "Redis at %s=%s does not answer PING: %s", addrEnv, addr, startHint)
	return rdb
}

// testPrefix is a key prefix no other test (nor a parallel copy of this
// one) uses; the keys under it are deleted when the test ends.
func testPrefix(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "authredirect:test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		for _, k := range keysUnder(t, rdb, prefix) {
			rdb.Del(context.Background(), k)
		}
	})
	return prefix
}

// keysUnder lists the keys under prefix with SCAN, on every master of a
// cluster.
func keysUnder(t testing.TB, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		require.NoError(t, c.ForEachMaster(ctx, scan))
	case *redis.Client:
		require.NoError(t, scan(ctx, c))
	default:
		t.Fatalf("keysUnder: %T", rdb)
	}
	return keys
}

// newCounter builds a Counter on rdb under prefix.
func newCounter(t testing.TB, rdb redis.Scripter, prefix string, timeout time.Duration) *redisguard.Counter {
	t.Helper()
	c, err := redisguard.New(redisguard.Config{Client: rdb, Prefix: prefix, Timeout: timeout})
	require.NoError(t, err)
	return c
}

// observed collects the errors of the arrivals the loop guard reported
// uncounted.
type observed struct {
	mu     sync.Mutex
	causes []error
}

func (o *observed) uncounted(_ *http.Request, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.causes = append(o.causes, err)
}

// all returns the errors of the uncounted arrivals.
func (o *observed) all(testing.TB) []error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]error(nil), o.causes...)
}

// The application the guard tests serve: a handler that answers 200 "ok",
// behind the loop guard and a Recoverer route.
const (
	errorPage    = "https://accounts.example.com/ooops"
	loopLocation = errorPage + "?oauth_exception=invalid_request&exception_details=to_many_redirects"
)

// fleetKey signs every test instance's browser cookie, as a fleet shares
// one key.
var fleetKey = []byte("the fleet's key, 32 bytes or more") // as in the examples

// headerAccount is the tests' signed-in account: the X-Account header.
func headerAccount(r *http.Request) string { return r.Header.Get("X-Account") }

// fleetGuard is the guard as a fleet runs it: limit 3 in 30 s, browsers
// counted in a cookie signed with fleetKey, signed-in accounts (the
// X-Account header) counted on accounts, failures told to obs.
func fleetGuard(t testing.TB, accounts loopguard.Counter, obs *observed, known func(string) bool) *loopguard.Guard {
	t.Helper()
	cookie, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{fleetKey}})
	require.NoError(t, err)
	guard, err := loopguard.New(loopguard.Config{
		Limit: 3, Window: 30 * time.Second,
		Counter: cookie, AccountCounter: accounts, AccountOf: headerAccount, KnownClient: known,
		Uncounted: obs.uncounted, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	return guard
}

// guardedApp is guard below a Recoverer route, above a handler that
// answers "ok".
func guardedApp(t testing.TB, guard *loopguard.Guard) http.Handler {
	t.Helper()
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: errorPage, LoginPage: "https://accounts.example.com/"},
		Observer: middleware.Quiet,
	})
	require.NoError(t, err)
	return rc.Authorization(guard.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})))
}

// startInstance serves h on a real listener and returns its URL.
func startInstance(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// browser is an HTTP client with a cookie jar of its own that does not
// follow redirects. Every test instance listens on 127.0.0.1, so one jar
// sends its cookies to all of them, as a browser does to one host behind
// a load balancer.
func browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// answer is what a test client saw. A 303's body is not kept: status and
// Location are the contract.
type answer struct {
	status   int
	location string
	body     string
}

var (
	passed  = answer{status: http.StatusOK, body: "ok"}
	tripped = answer{status: http.StatusSeeOther, location: loopLocation}
)

func get(t testing.TB, cl *http.Client, url string, account string) answer {
	t.Helper()
	a, err := tryGet(cl, url, account)
	require.NoError(t, err)
	return a
}

func tryGet(cl *http.Client, url string, account string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return answer{}, err
	}
	if account != "" {
		req.Header.Set("X-Account", account)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
	if a.status == http.StatusSeeOther {
		a.body = ""
	}
	return a, nil
}

// TestMain fails the whole run at once when either variable is unset
// (rather than let go-redis fall back to localhost:6379, which may be
// someone's real Redis), and silences go-redis's own logger: the tests
// kill and pause servers on purpose, and what the guard reports is
// asserted instead. The test of the Logger installs its own.
func TestMain(m *testing.M) {
	for _, env := range []string{addrEnv, clusterEnv} {
		if os.Getenv(env) == "" {
			fmt.Fprintf(os.Stderr, "FAIL: %s is not set: %s\n", env, startHint)
			os.Exit(1)
		}
	}
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// ownRedis is a redis-server a test starts for itself, to kill, stop or
// fill it.
type ownRedis struct {
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has ended
}

// startOwnRedis starts redis-server (from PATH) on a free loopback port
// with the extra arguments and waits until it answers PING. It is killed
// when the test ends.
func startOwnRedis(t testing.TB, args ...string) *ownRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	require.NoError(t, err, "redis-server is not on PATH: %s", startHint)
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		require.NoError(t, l.Close())
		cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, args...)...)
		require.NoError(t, cmd.Start())
		s := &ownRedis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		probe := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		up, deadline := false, time.Now().Add(30*time.Second)
	wait:
		for !up && time.Now().Before(deadline) {
			select {
			case <-exited:
				break wait // the port was taken meanwhile: try another
			default:
			}
			if up = probe.Ping(context.Background()).Err() == nil; !up {
				time.Sleep(10 * time.Millisecond) // polling a process that is starting
			}
		}
		_ = probe.Close()
		s.exited = exited
		if up {
			t.Cleanup(s.Kill)
			return s
		}
		s.Kill()
		require.Less(t, attempt, 5, "redis-server never answered PING")
	}
}

// Kill sends SIGKILL (after SIGCONT, in case it is stopped) and waits for
// the process to end; it may be called more than once.
func (s *ownRedis) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Stop sends SIGSTOP: the server holds its connections and answers
// nothing. Cont resumes it.
func (s *ownRedis) Stop(t testing.TB) {
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGSTOP))
	t.Cleanup(func() { _ = s.cmd.Process.Signal(syscall.SIGCONT) })
}

func (s *ownRedis) Cont(t testing.TB) { require.NoError(t, s.cmd.Process.Signal(syscall.SIGCONT)) }

// blackHole is a TCP listener that accepts connections and never answers:
// a Redis that hangs. accepted receives each connection it takes.
func blackHole(t testing.TB) (addr string, accepted <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan struct{}, 64)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String(), ch
}

// lines is an io.Writer that counts what a logger wrote, safe for
// concurrent use.
type lines struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lines) Count() int { return strings.Count(l.String(), "\n") }

// failureKind names what made an arrival go uncounted, for logs and the
// fault table.
func failureKind(err error) string {
	var rerr redis.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection lost"
	case errors.As(err, &rerr):
		msg := rerr.Error()
		if i := strings.IndexAny(msg, " "); i > 0 {
			msg = msg[:i]
		}
		return "redis " + msg
	}
	return strings.TrimPrefix(err.Error(), redisguard.ErrUnavailable.Error()+": ")
}
