package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example's tests run two instances over real HTTP on a real Redis
// (AUTHREDIRECT_REDIS_ADDR) and a real Redis Cluster
// (AUTHREDIRECT_REDIS_CLUSTER_ADDRS); they fail without them.
func TestMain(m *testing.M) {
	for _, env := range []string{"AUTHREDIRECT_REDIS_ADDR", "AUTHREDIRECT_REDIS_CLUSTER_ADDRS"} {
		if os.Getenv(env) == "" {
			fmt.Fprintf(os.Stderr, "FAIL: %s is not set; see loopguard/redisguard/README.md, Tests\n", env)
			os.Exit(1)
		}
	}
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var fleetKey = []byte("the fleet's key, 32 bytes or more")

// instance is one instance of the example on a real listener.
type instance struct{ base string }

// startFleet starts two instances sharing fleetKey and the Redis at addrs
// under a fresh prefix, whose keys are deleted after.
func startFleet(t *testing.T, addrs string) (fleet [2]instance, rdb redis.UniversalClient, prefix string) {
	rdb = newRedis(addrs)
	t.Cleanup(func() { _ = rdb.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix = "authredirect:example-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		for _, k := range keys(t, rdb, prefix) {
			rdb.Del(context.Background(), k)
		}
	})
	for i := range fleet {
		srv := httptest.NewUnstartedServer(nil)
		base := "http://" + srv.Listener.Addr().String()
		h, err := newApp(config{Base: base, Key: fleetKey, Redis: rdb, Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		srv.Config = newServer(h)
		srv.Start()
		t.Cleanup(srv.Close)
		fleet[i] = instance{base: base}
	}
	return fleet, rdb, prefix
}

// keys lists the keys under prefix, on every master of a cluster.
func keys(t *testing.T, rdb redis.UniversalClient, prefix string) []string {
	ctx := context.Background()
	var out []string
	scan := func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, prefix+"*").Result()
		out = append(out, ks...)
		return err
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var mu = make(chan struct{}, 1)
		require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu <- struct{}{}
			defer func() { <-mu }()
			return scan(ctx, c)
		}))
		return out
	}
	require.NoError(t, scan(ctx, rdb.(*redis.Client)))
	return out
}

// browser keeps cookies (one jar for every instance: they all listen on
// 127.0.0.1, as one host behind a load balancer) and follows no redirect.
type browser struct {
	t  *testing.T
	cl *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, cl: &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type reply struct {
	status   int
	location string
}

func (b *browser) do(method, url string, form url.Values) (reply, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, url, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.cl.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return reply{status: resp.StatusCode, location: resp.Header.Get("Location")}, string(text)
}

func (b *browser) get(url string) reply {
	b.t.Helper()
	r, _ := b.do(http.MethodGet, url, nil)
	return r
}

// signIn signs the demo user in on inst.
func (b *browser) signIn(inst instance) {
	b.t.Helper()
	r, _ := b.do(http.MethodPost, inst.base+"/login", url.Values{"email": {demoEmail}, "password": {demoPassword}, "next": {"/"}})
	require.Equal(b.t, reply{status: http.StatusSeeOther, location: "/"}, r)
}

const loopy = "/oauth/authorize?response_type=code&client_id=loopy&state=again"

// A session made on one instance is accepted by the other; the signed-in
// account's looping client is stopped on its 4th arrival wherever it
// lands and from whichever browser (the count is in Redis); a signed-out
// browser is sent to sign in and counted in its cookie, never in Redis; a
// bad password gets the contract's answer; invented client ids make no
// key.
func TestFleet(t *testing.T) {
	for _, tc := range []struct{ name, addrs string }{
		{"one Redis", os.Getenv("AUTHREDIRECT_REDIS_ADDR")},
		{"Redis Cluster", os.Getenv("AUTHREDIRECT_REDIS_CLUSTER_ADDRS")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Redis Cluster" {
				lockCluster(t)
			}
			fleet, rdb, prefix := startFleet(t, tc.addrs)
			if tc.name == "Redis Cluster" {
				require.IsType(t, &redis.ClusterClient{}, rdb, "a comma-separated -redis is a cluster")
			}
			a, b := fleet[0], fleet[1]

			// Signed out: every arrival is sent to sign in, counted per
			// browser; the 4th is the loop.
			out := newBrowser(t)
			signIn := "/?next=" + url.QueryEscape(loopy)
			for n, inst := range []instance{a, b, a} {
				assert.Equal(t, reply{status: http.StatusSeeOther, location: signIn}, out.get(inst.base+loopy), "signed-out arrival %d", n+1)
			}
			assert.Equal(t, reply{status: http.StatusSeeOther, location: b.base + "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"},
				out.get(b.base+loopy), "signed-out arrival 4")
			assert.Empty(t, keys(t, rdb, prefix), "a signed-out browser is not counted in Redis")

			// A bad password: the contract's answer on the login page.
			bad := newBrowser(t)
			r, _ := bad.do(http.MethodPost, a.base+"/login", url.Values{"email": {demoEmail}, "password": {"nope"}})
			assert.Equal(t, reply{status: http.StatusSeeOther, location: a.base + "/?identity_exception=unauthorized&entity_id=u-jane"}, r)
			_, page := bad.do(http.MethodGet, r.location, nil)
			assert.Contains(t, page, "Sign-in error <code>unauthorized</code>")

			// Signed in on A, the session holds on B; the looping client
			// is stopped on the 4th arrival across instances and browsers.
			one, two := newBrowser(t), newBrowser(t)
			one.signIn(a)
			_, page = one.do(http.MethodGet, b.base+"/", nil)
			assert.Contains(t, page, `<p id="who">Signed in as u-jane.</p>`, "B accepts A's session")
			assert.Equal(t, reply{status: http.StatusFound, location: b.base + "/demo/loop?code="}, trimCode(one.get(b.base+loopy)), "arrival 1")
			assert.Equal(t, reply{status: http.StatusFound, location: a.base + "/demo/loop?code="}, trimCode(one.get(a.base+loopy)), "arrival 2")
			two.signIn(b)
			assert.Equal(t, reply{status: http.StatusFound, location: a.base + "/demo/loop?code="}, trimCode(two.get(a.base+loopy)), "arrival 3, another browser")
			assert.Equal(t, reply{status: http.StatusSeeOther, location: b.base + "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"},
				two.get(b.base+loopy), "arrival 4")
			assert.Equal(t, reply{status: http.StatusSeeOther, location: a.base + "/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"},
				one.get(a.base+loopy), "arrival 5, the first browser")
			_, page = one.do(http.MethodGet, a.base+"/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects", nil)
			assert.Contains(t, page, "to_many_redirects", "the error page renders the error")

			// Invented client ids are refused by the handler and never
			// counted; the demo client of the same account has its own
			// count.
			for i := range 50 {
				r := one.get(a.base + fmt.Sprintf("/oauth/authorize?response_type=code&client_id=invented-%d", i))
				require.Equal(t, reply{status: http.StatusSeeOther, location: a.base + "/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found"}, r)
			}
			assert.Equal(t, http.StatusFound, one.get(b.base+"/oauth/authorize?response_type=code&client_id=demo").status)
			assert.Len(t, keys(t, rdb, prefix), 2, "loopy and demo for u-jane, nothing for invented ids")

			// A forged session is no session.
			forged := newBrowser(t)
			u, _ := url.Parse(a.base)
			forged.cl.Jar.SetCookies(u, []*http.Cookie{{Name: sessionName, Value: "u-jane|9999999999|AAAA"}})
			assert.Equal(t, reply{status: http.StatusSeeOther, location: signIn}, forged.get(a.base+loopy))
		})
	}
}

// trimCode drops the random code from a redirect to the client.
func trimCode(r reply) reply {
	if i := strings.Index(r.location, "?code="); i >= 0 {
		r.location = r.location[:i+len("?code=")]
	}
	return r
}

// The instance refuses a key that is not hex of at least 32 bytes, and
// serves with examples/accounts' timeouts.
func TestRunAndServer(t *testing.T) {
	err := run("127.0.0.1:0", os.Getenv("AUTHREDIRECT_REDIS_ADDR"), "abcd", "")
	assert.ErrorContains(t, err, "at least 32 bytes in hex")
	_, err = newApp(config{Base: "http://127.0.0.1:1", Key: []byte("short")})
	assert.ErrorContains(t, err, "at least 32 are needed")

	srv := newServer(http.NotFoundHandler())
	assert.Equal(t, 5*time.Second, srv.ReadHeaderTimeout)
	assert.Equal(t, 15*time.Second, srv.ReadTimeout)
	assert.Equal(t, 30*time.Second, srv.WriteTimeout)
	assert.Equal(t, 2*time.Minute, srv.IdleTimeout)
	assert.Equal(t, 64<<10, srv.MaxHeaderBytes)
}

// lockCluster shares the cluster with other tests, but not with the
// redisguard package's failover test, which holds the same lock
// exclusively while a master is down. It is released when the test ends.
func lockCluster(t *testing.T) {
	sum := sha256.Sum256([]byte(os.Getenv("AUTHREDIRECT_REDIS_CLUSTER_ADDRS")))
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "authredirect-cluster-"+hex.EncodeToString(sum[:8])+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_SH))
	t.Cleanup(func() { _ = f.Close() }) // closing releases the lock
}
