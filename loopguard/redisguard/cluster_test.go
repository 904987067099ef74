package redisguard_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// clusterAddrs are the cluster's nodes from AUTHREDIRECT_REDIS_CLUSTER_ADDRS.
func clusterAddrs() []string { return strings.Split(os.Getenv(clusterEnv), ",") }

// clusterRedis returns a ClusterClient of the cluster with the options the
// README recommends, and fails the test when the cluster is not ok.
func clusterRedis(t testing.TB) *redis.ClusterClient {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs(),
		ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = cc.Close() })
	info, err := cc.ClusterInfo(context.Background()).Result()
	require.NoError(t, err, "Redis Cluster at %s=%s does not answer: %s", clusterEnv, os.Getenv(clusterEnv), startHint)
	require.Contains(t, info, "cluster_state:ok", "Redis Cluster at %s: %s", os.Getenv(clusterEnv), startHint)
	return cc
}

// node is a client of one cluster node, closed when the test ends.
func node(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// slotMaster returns the address of the master serving slot, as the
// cluster (CLUSTER SHARDS) says now.
func slotMaster(t testing.TB, cc *redis.ClusterClient, slot int64) string {
	t.Helper()
	shards, err := cc.ClusterShards(context.Background()).Result()
	require.NoError(t, err)
	for _, s := range shards {
		for _, r := range s.Slots {
			if r.Start <= slot && slot <= r.End {
				for _, n := range s.Nodes {
					if n.Role == "master" {
						return net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10))
					}
				}
			}
		}
	}
	t.Fatalf("no master serves slot %d", slot)
	return ""
}

// infoField reads one field of INFO section from a node.
func infoField(t testing.TB, c *redis.Client, section, field string) string {
	t.Helper()
	info, err := c.Info(context.Background(), section).Result()
	require.NoError(t, err)
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

// role is a node's ROLE ("master" or "slave"), or "" when it does not
// answer.
func role(c *redis.Client) string {
	v, err := c.Do(context.Background(), "ROLE").Slice()
	if err != nil || len(v) == 0 {
		return ""
	}
	s, _ := v[0].(string)
	return s
}

// clusterOK reports whether the node at addr answers and says
// cluster_state:ok.
func clusterOK(c *redis.Client) bool {
	info, err := c.ClusterInfo(context.Background()).Result()
	return err == nil && strings.Contains(info, "cluster_state:ok")
}

// evalshaStats is the evalsha line of a node's INFO commandstats: calls,
// rejected calls (MOVED, ASK, CLUSTERDOWN) and failed calls.
func evalshaStats(t testing.TB, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
			var out []string
			for _, f := range strings.Split(v, ",") {
				if k, _, _ := strings.Cut(f, "="); k == "calls" || k == "rejected_calls" || k == "failed_calls" {
					out = append(out, f)
				}
			}
			return strings.Join(out, ",")
		}
	}
	return "calls=0,rejected_calls=0,failed_calls=0"
}

// On a Redis Cluster, two instances with a ClusterClient each share one
// account's count, while signed-out browsers count apart, as on a single
// server.
func TestCluster_TwoInstancesShareTheCount(t *testing.T) {
	t.Parallel()
	lockCluster(t, false)
	cc := clusterRedis(t)
	prefix := testPrefix(t, cc)
	obs := &observed{}
	var urls [2]string
	for i := range urls {
		urls[i] = startInstance(t, guardedApp(t, fleetGuard(t, newCounter(t, clusterRedis(t), prefix, time.Second), obs, nil)))
	}
	const target = "/oauth/authorize?client_id=demo"
	for i := range 20 {
		assert.Equal(t, passed, get(t, browser(t), urls[i%2]+target, ""), "signed-out browser %d", i+1)
	}
	for _, account := range []string{"alice", "bob", "carol"} {
		browsers := [2]*http.Client{browser(t), browser(t)}
		for n := 1; n <= 5; n++ {
			want := passed
			if n >= 4 {
				want = tripped
			}
			assert.Equal(t, want, get(t, browsers[n%2], urls[(n/2)%2]+target, account), "%s's arrival %d", account, n)
		}
	}
	assert.Len(t, keysUnder(t, cc, prefix), 3, "one key per account")
	assert.Empty(t, obs.all(t))
}

// Each arrival touches one key, so it is one EVALSHA on the master of the
// key's slot: the key is stored there (CLUSTER KEYSLOT of the stored key),
// the master's command statistics count every EVALSHA with none rejected
// (no MOVED, no ASK) or failed, and no other master runs one.
//
// Not parallel, and alone on the cluster: it resets and reads the
// cluster's command statistics.
func TestCluster_EachArrivalIsOneCommandOnTheKeysMaster(t *testing.T) {
	lockCluster(t, true)
	cc := clusterRedis(t)
	prefix := testPrefix(t, cc)
	c := newCounter(t, cc, prefix, time.Second)
	ctx := context.Background()
	for i := range 8 {
		key := "30s\x00demo\x00user-" + strconv.Itoa(i)
		require.Equal(t, 1, arrive(t, c, key, time.Minute), "first arrival: the client learns the slots and the master the script")
		slot, err := cc.ClusterKeySlot(ctx, stored(prefix, key)).Result()
		require.NoError(t, err)
		owner := slotMaster(t, cc, slot)
		masters := map[string]*redis.Client{}
		var mu sync.Mutex // ForEachMaster calls on a goroutine per master
		require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			mu.Lock()
			masters[m.Options().Addr] = node(t, m.Options().Addr)
			mu.Unlock()
			return m.ConfigResetStat(ctx).Err()
		}))
		require.Contains(t, masters, owner)

		for want := 2; want <= 11; want++ {
			require.Equal(t, want, arrive(t, c, key, time.Minute))
		}
		assert.Equal(t, int64(1), masters[owner].Exists(ctx, stored(prefix, key)).Val(), "the key lives on its slot's master %s", owner)
		assert.Equal(t, int64(slot), masters[owner].ClusterKeySlot(ctx, stored(prefix, key)).Val())
		for addr, m := range masters {
			want := "calls=0,rejected_calls=0,failed_calls=0"
			if addr == owner {
				want = "calls=10,rejected_calls=0,failed_calls=0"
			}
			assert.Equal(t, want, evalshaStats(t, m), "evalsha on %s (the key's master is %s)", addr, owner)
		}
	}
}

// The master that holds an account's key is killed (SIGKILL, by the pid
// it reports). While its slot is served by no one, every request goes
// through uncounted (200) and is observed; its replica takes the slot over
// (the cluster's node timeout is a second), and the guard counts again:
// the account's next arrivals go on from the count the new master holds
// and trip past the limit. The killed node is started again from its own
// config file, and rejoins as the new master's replica, so the cluster is
// whole for the next run.
//
// Not parallel: the whole cluster serves no slot while a master is down.
func TestCluster_FailoverOfTheKeysMaster(t *testing.T) {
	lockCluster(t, true)
	cc := clusterRedis(t)
	// The instances' client never reloads the slots on its own within the
	// test: the Counter must ask for them when an arrival fails.
	counting := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs(),
		ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1, ClusterStateReloadInterval: time.Hour})
	t.Cleanup(func() { _ = counting.Close() })
	prefix := testPrefix(t, cc)
	obs := &observed{}
	urls := twoInstances(t, counting, prefix, obs, nil)
	ctx := context.Background()
	b := browser(t)
	const target = "/oauth/authorize?client_id=demo"
	key := stored(prefix, "30s\x00demo\x00alice")
	for n := 1; n <= 2; n++ {
		require.Equal(t, passed, get(t, b, urls[n%2]+target, "alice"), "arrival %d before the kill", n)
	}
	require.Equal(t, "2", cc.Get(ctx, key).Val())

	// The key's master, its replica, and how to start it again.
	slot, err := cc.ClusterKeySlot(ctx, key).Result()
	require.NoError(t, err)
	ownerAddr := slotMaster(t, cc, slot)
	owner := node(t, ownerAddr)
	ownerID, err := owner.Do(ctx, "CLUSTER", "MYID").Text()
	require.NoError(t, err)
	var replicaAddr string
	nodes, err := owner.ClusterNodes(ctx).Result()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && strings.Contains(f[2], "slave") && f[3] == ownerID {
			replicaAddr, _, _ = strings.Cut(f[1], "@")
		}
	}
	require.NotEmpty(t, replicaAddr, "the key's master %s has no replica:\n%s", ownerAddr, nodes)
	replica := node(t, replicaAddr)
	// A replica that has not synced with its master cannot take over.
	require.Eventually(t, func() bool {
		info, err := replica.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	}, time.Minute, 10*time.Millisecond, "the replica %s never synced with its master %s", replicaAddr, ownerAddr)
	pid, err := strconv.Atoi(infoField(t, owner, "server", "process_id"))
	require.NoError(t, err)
	exe, conf := infoField(t, owner, "server", "executable"), infoField(t, owner, "server", "config_file")
	require.NotEmpty(t, conf, "the cluster's nodes must run from config files (as .ci/run starts them), so that the test can start the killed one again")

	killed := time.Now()
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	t.Cleanup(func() { restartNode(t, exe, conf, ownerAddr) })
	require.Eventually(t, func() bool { return owner.Ping(ctx).Err() != nil }, time.Minute, 5*time.Millisecond, "the master never went away")

	// Until the replica has taken over, nothing can count: every request
	// that ends before the replica says it is a master was let through
	// and observed.
	outage := 0
	for range 20 {
		before := len(obs.all(t))
		a := get(t, b, urls[outage%2]+target, "alice")
		if role(replica) != "slave" {
			break
		}
		outage++
		require.Equal(t, passed, a, "request %d of the outage", outage)
		require.Len(t, obs.all(t), before+1, "request %d of the outage was observed", outage)
	}
	require.Positive(t, outage, "no request ran while the slot was unserved")
	for _, err := range obs.all(t) {
		assert.ErrorIs(t, err, redisguard.ErrUnavailable)
	}
	t.Logf("%d requests let through while the slot was unserved: %v", outage, failureKinds(obs.all(t)))

	// Wait on the cluster, not on a clock: the replica is master and the
	// cluster is ok again.
	require.Eventually(t, func() bool { return role(replica) == "master" && clusterOK(replica) },
		time.Minute, 10*time.Millisecond, "the replica %s never took over", replicaAddr)
	t.Logf("the replica took over %v after the kill", time.Since(killed).Round(time.Millisecond))
	// The instances' client learns the new master after its next failure;
	// once one arrival is counted, counting goes on exactly.
	require.Eventually(t, func() bool {
		before := len(obs.all(t))
		_, err := tryGet(b, urls[0]+target, "alice")
		return err == nil && len(obs.all(t)) == before
	}, time.Minute, 10*time.Millisecond, "the guard never counted again")
	t.Logf("the guard counted again %v after the kill", time.Since(killed).Round(time.Millisecond))
	observedBefore := len(obs.all(t))
	trips := 0
	for n := range 4 {
		count, err := counting.Get(ctx, key).Int()
		require.NoError(t, err, "the key lives on the new master")
		want := passed
		if count+1 > 3 {
			want, trips = tripped, trips+1
		}
		require.Equal(t, want, get(t, b, urls[n%2]+target, "alice"), "arrival after the failover at count %d", count)
		require.Equal(t, strconv.Itoa(count+1), counting.Get(ctx, key).Val())
	}
	assert.Positive(t, trips, "the account trips again")
	assert.Len(t, obs.all(t), observedBefore, "nothing failed once the slot was served again")
}

// restartNode starts a killed cluster node again from its config file and
// waits until it has rejoined (as a replica) and sees the cluster ok.
func restartNode(t testing.TB, exe, conf, addr string) {
	t.Helper()
	if _, err := os.Stat(exe); err != nil {
		// A node started by a relative name reports it under its working
		// directory.
		exe, err = exec.LookPath("redis-server")
		require.NoError(t, err)
	}
	cmd := exec.Command(exe, conf)
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait() }() // it outlives the test; .ci/run stops it by its port
	c := node(t, addr)
	require.Eventually(t, func() bool { return role(c) == "slave" && clusterOK(c) },
		time.Minute, 10*time.Millisecond, "the restarted node %s never rejoined", addr)
	require.Eventually(t, func() bool {
		for _, a := range clusterAddrs() {
			if !clusterOK(node(t, a)) {
				return false
			}
		}
		return true
	}, time.Minute, 10*time.Millisecond, "the cluster is not whole again")
}

// failureKinds counts errs by failureKind.
func failureKinds(errs []error) map[string]int {
	kinds := map[string]int{}
	for _, err := range errs {
		kinds[failureKind(err)]++
	}
	return kinds
}

// lockCluster serializes the tests of this and other packages (the fleet
// example's) on the one cluster: the failover test holds the lock
// exclusively, as its whole cluster serves no slot while a master is down,
// and so does the test that reads the command statistics; every other
// test shares it. It is released when the test ends.
func lockCluster(t testing.TB, exclusive bool) {
	t.Helper()
	sum := sha256.Sum256([]byte(os.Getenv(clusterEnv)))
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "authredirect-cluster-"+hex.EncodeToString(sum[:8])+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	require.NoError(t, syscall.Flock(int(f.Fd()), how))
	t.Cleanup(func() { _ = f.Close() }) // closing releases the lock
}
