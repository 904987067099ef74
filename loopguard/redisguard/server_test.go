package redisguard_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/loopguard/redisguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// addrEnv names the variable that holds the address of the Redis the tests
// use. The tests need a real redis-server and fail without one.
const addrEnv = "AUTHREDIRECT_REDIS_ADDR"

const startHint = `these tests need a real Redis; start one and say where it is, e.g.
	redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --daemonize no &
	export ` + addrEnv + `=127.0.0.1:6390
(Debian: apt-get install redis-server; .ci/run does all of this by itself)`

// sharedRedis returns a client of the Redis named by AUTHREDIRECT_REDIS_ADDR
// and fails the test when it is unset or does not answer.
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
func testPrefix(t testing.TB, rdb *redis.Client) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "authredirect:test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// reports collects what a Counter reports through OnError.
type reports struct {
	mu   sync.Mutex
	errs []error
}

func (r *reports) add(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *reports) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// newCounter builds a Counter on rdb under a fresh prefix, reporting into
// the returned reports.
func newCounter(t testing.TB, rdb redis.Scripter, prefix string, timeout time.Duration) (*redisguard.Counter, *reports) {
	t.Helper()
	rep := &reports{}
	c, err := redisguard.New(redisguard.Config{Client: rdb, Prefix: prefix, Timeout: timeout, OnError: rep.add})
	require.NoError(t, err)
	return c, rep
}

// The application the guard tests serve: a handler that answers 200 "ok",
// behind the loop guard and a Recoverer route.
const (
	errorPage    = "https://accounts.example.com/ooops"
	loopLocation = errorPage + "?oauth_exception=invalid_request&exception_details=to_many_redirects"
)

// guardedApp is a loop guard (limit 3 in 30 s) counting on c below a
// Recoverer route, above a handler that answers "ok"; account, when not
// nil, names the signed-in account of a request.
func guardedApp(t testing.TB, c loopguard.Counter, account func(*http.Request) string) http.Handler {
	t.Helper()
	guard, err := loopguard.New(loopguard.Config{Counter: c, Account: account, Limit: 3, Window: 30 * time.Second})
	require.NoError(t, err)
	rc, err := middleware.New(middleware.Config{
		Pages:    render.Config{ErrorPage: errorPage, LoginPage: "https://accounts.example.com/"},
		Observer: middleware.Quiet,
	})
	require.NoError(t, err)
	return rc.Authorization(guard.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})))
}

// TestMain fails the whole run at once when AUTHREDIRECT_REDIS_ADDR is
// unset (rather than let go-redis fall back to localhost:6379, which may be
// someone's real Redis), and silences go-redis's own logger: the tests kill
// and pause servers on purpose, and what the counter reports is asserted
// instead.
func TestMain(m *testing.M) {
	if os.Getenv(addrEnv) == "" {
		fmt.Fprintf(os.Stderr, "FAIL: %s is not set: %s\n", addrEnv, startHint)
		os.Exit(1)
	}
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// startServer starts an httptest server for h and returns a client that
// does not follow redirects.
func startServer(t testing.TB, h http.Handler) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cl := srv.Client()
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return srv, cl
}

// ownRedis is a redis-server a test starts for itself, to kill or pause it.
type ownRedis struct {
	Addr string
	cmd  *exec.Cmd
}

// startOwnRedis starts redis-server (from PATH) on a free loopback port
// and waits until it answers PING. It is killed when the test ends.
func startOwnRedis(t testing.TB) *ownRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	require.NoError(t, err, "redis-server is not on PATH: %s", startHint)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	require.NoError(t, cmd.Start())
	s := &ownRedis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd}
	t.Cleanup(s.Kill)

	probe := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer probe.Close()
	require.Eventually(t, func() bool { return probe.Ping(context.Background()).Err() == nil },
		10*time.Second, 10*time.Millisecond, "redis-server on %s never answered PING", s.Addr)
	return s
}

// Kill sends SIGKILL and waits for the process to end; it may be called
// more than once.
func (s *ownRedis) Kill() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

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

// syncBuffer is a bytes.Buffer safe for concurrent writes, for loggers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
