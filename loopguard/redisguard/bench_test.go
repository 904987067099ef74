package redisguard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// BenchmarkArrive measures one counted arrival on the Redis counter beside
// the cookie counter (a fresh cookie) in the same run, and a bare PING as
// the round trip's floor. Compare the ns/op of "redis" and "cookie".
// "redis" uses a client with ContextTimeoutEnabled, which Arrive calls
// directly.
func BenchmarkArrive(b *testing.B) {
	rdb := sharedRedis(b)
	prefix := testPrefix(b, rdb)
	c := newCounter(b, rdb, prefix, time.Second)
	cookie, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	require.NoError(b, err)
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil)
	now := time.Now()
	const window = 30 * time.Second

	b.Run("cookie", func(b *testing.B) {
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			clear(w.Header())
			if _, err := cookie.Arrive(w, req, "demo", now, window); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis", func(b *testing.B) {
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			if n, err := c.Arrive(w, req, "demo", now, window); err != nil || n < 1 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("redis-client-ignoring-contexts", func(b *testing.B) {
		// go-redis without ContextTimeoutEnabled: Arrive waits for the
		// script on a goroutine of its own, to return at its Timeout.
		plain := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
		defer plain.Close()
		c := newCounter(b, plain, prefix, time.Second)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			if n, err := c.Arrive(w, req, "demo-plain", now, window); err != nil || n < 1 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("redis-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := httptest.NewRecorder()
			for pb.Next() {
				if n, err := c.Arrive(w, req, "demo-parallel", now, window); err != nil || n < 1 {
					b.Error(n, err)
					return
				}
			}
		})
	})
	b.Run("redis-ping-floor", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := rdb.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
