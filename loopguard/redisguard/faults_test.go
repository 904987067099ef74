package redisguard_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// TestFaults puts a guarded application, counting signed-in accounts on a
// redis-server of its own with the README's client options and the
// default Timeout (50 ms), through each fault and prints README's fault
// table (go test -run TestFaults -v). Each fault gets the same requests,
// one after another, each from an account of its own. It asserts what
// must hold whatever the machine: no request is lost (every one is
// answered 200 or, past the limit, 303 to the error page), and every
// request that went through uncounted was reported to the Observer, once.
// The slowest answer is measured, not asserted.
func TestFaults(t *testing.T) {
	t.Parallel()
	const requests = 100
	ctx := context.Background()
	type row struct {
		fault                               string
		counted, letThrough, reported, lost int
		slowest                             time.Duration
		kinds                               map[string]int
	}
	var rows []row
	for _, fault := range []struct {
		name  string
		apply func(t *testing.T, own *ownRedis, admin *redis.Client, prefix string)
	}{
		{"none", func(*testing.T, *ownRedis, *redis.Client, string) {}},
		{"SIGSTOP (hung server)", func(t *testing.T, own *ownRedis, _ *redis.Client, _ string) { own.Stop(t) }},
		{"SIGKILL (server gone)", func(t *testing.T, own *ownRedis, _ *redis.Client, _ string) { own.Kill() }},
		{"maxmemory 1mb, noeviction, full", func(t *testing.T, _ *ownRedis, admin *redis.Client, _ string) {
			require.NoError(t, admin.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err())
			require.NoError(t, admin.ConfigSet(ctx, "maxmemory", "1mb").Err())
			filler := strings.Repeat("x", 10<<10)
			for i := 0; ; i++ {
				err := admin.Set(ctx, "filler:"+strconv.Itoa(i), filler, 0).Err()
				if err != nil {
					require.ErrorContains(t, err, "OOM")
					break
				}
				require.Less(t, i, 10000, "maxmemory never refused a write")
			}
		}},
		{"wrong key type (every key a hash, no TTL)", func(t *testing.T, _ *ownRedis, admin *redis.Client, prefix string) {
			for i := range requests {
				require.NoError(t, admin.HSet(ctx, stored(prefix, "30s\x00demo\x00user-"+strconv.Itoa(i)), "f", "v").Err())
			}
		}},
	} {
		t.Run(fault.name, func(t *testing.T) {
			own := startOwnRedis(t)
			admin := node(t, own.Addr)
			rdb := redis.NewClient(&redis.Options{Addr: own.Addr, ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
			t.Cleanup(func() { _ = rdb.Close() })
			const prefix = "authredirect:faults:"
			c, err := redisguard.New(redisguard.Config{Client: rdb, Prefix: prefix}) // the default Timeout
			require.NoError(t, err)
			obs := &observed{}
			url := startInstance(t, guardedApp(t, fleetGuard(t, c, obs, nil)))
			b := browser(t)
			// Connect and load the script while the server is well.
			require.Equal(t, passed, get(t, b, url+"/oauth/authorize?client_id=warm", "warm"))
			require.Empty(t, obs.all(t))

			fault.apply(t, own, admin, prefix)
			r := row{fault: fault.name}
			for i := range requests {
				before := len(obs.all(t))
				start := time.Now()
				a, err := tryGet(b, url+"/oauth/authorize?client_id=demo", "user-"+strconv.Itoa(i))
				r.slowest = max(r.slowest, time.Since(start))
				reported := len(obs.all(t)) - before
				r.reported += reported
				switch {
				case err != nil || (a != passed && a != tripped):
					r.lost++
				case reported == 1:
					r.letThrough++
				default:
					r.counted++
				}
			}
			r.kinds = failureKinds(obs.all(t))
			if strings.HasPrefix(fault.name, "SIGSTOP") {
				for _, err := range obs.all(t) {
					require.ErrorIs(t, err, context.DeadlineExceeded, "a hung server is a timeout")
				}
			}
			assert.Zero(t, r.lost, "every request answered 200 or 303")
			assert.Equal(t, r.letThrough, r.reported, "every request let through uncounted was reported, once")
			assert.Equal(t, requests, r.counted+r.letThrough+r.lost)
			rows = append(rows, r)
		})
	}

	var table strings.Builder
	fmt.Fprintf(&table, "| fault (%d requests each) | counted | let through uncounted | reported to the Observer | lost (not 200/303) | slowest answer | why |\n", requests)
	table.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		why := "-"
		if len(r.kinds) > 0 {
			var parts []string
			for k, n := range r.kinds {
				parts = append(parts, fmt.Sprintf("%s: %d", k, n))
			}
			slices.Sort(parts)
			why = strings.Join(parts, ", ")
		}
		fmt.Fprintf(&table, "| %s | %d | %d | %d | %d | %v | %s |\n", r.fault, r.counted, r.letThrough, r.reported, r.lost, r.slowest.Round(100*time.Microsecond), why)
	}
	t.Logf("fault table:\n%s", table.String())
}
