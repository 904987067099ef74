// Command example is a fleet of the loop guard on Redis: run two (or more)
// instances on one Redis and the same key, sign in on one, and a looping
// client is stopped on its 4th arrival whichever instances it reaches.
//
//	export AUTHREDIRECT_FLEET_KEY=$(openssl rand -hex 32)
//	go run ./example -addr 127.0.0.1:8080 -redis 127.0.0.1:6379 &
//	go run ./example -addr 127.0.0.1:8081 -redis 127.0.0.1:6379 &
//
// -redis takes a server's address, or a Redis Cluster's nodes,
// comma-separated.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// keyEnv holds the fleet's key, hex-encoded, when -key is not given.
const keyEnv = "AUTHREDIRECT_FLEET_KEY"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis server address, or a Redis Cluster's node addresses, comma-separated")
	key := flag.String("key", "", "the fleet's key, hex, at least 32 bytes, the same on every instance (default $"+keyEnv+")")
	prefix := flag.String("prefix", redisguard.DefaultPrefix, "Redis key prefix, the same on every instance")
	flag.Parse()
	if *key == "" {
		*key = os.Getenv(keyEnv)
	}
	if err := run(*addr, *redisAddr, *key, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// newRedis is a client with the options README recommends: a server's, or
// a cluster's when addrs lists several nodes.
func newRedis(addrs string) redis.UniversalClient {
	if list := strings.Split(addrs, ","); len(list) > 1 {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: list, ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
	}
	return redis.NewClient(&redis.Options{Addr: addrs, ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
}

// limits are the server's timeouts, as examples/accounts: a client that
// stalls is cut off (headers within 5s, the whole request within 15s, an
// idle keep-alive connection after 2 minutes); 64 KiB of headers.
var limits = struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}{5 * time.Second, 15 * time.Second, 30 * time.Second, 2 * time.Minute, 64 << 10}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.readHeader,
		ReadTimeout:       limits.read,
		WriteTimeout:      limits.write,
		IdleTimeout:       limits.idle,
		MaxHeaderBytes:    limits.maxHeaderBytes,
	}
}

func run(addr, redisAddr, hexKey, prefix string) error {
	key, err := hex.DecodeString(hexKey)
	if err != nil || len(key) < 32 {
		return fmt.Errorf("-key or $%s must be at least 32 bytes in hex, the same on every instance (e.g. openssl rand -hex 32)", keyEnv)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// go-redis logs a line per failed dial; while Redis is down that is at
	// most one record a second.
	redis.SetLogger(redisguard.NewLogger(logger, time.Second))
	rdb := newRedis(redisAddr)
	defer rdb.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	h, err := newApp(config{Base: base, Key: key, Redis: rdb, Prefix: prefix, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		logger.Warn("Redis does not answer yet; signed-in arrivals go uncounted until it does", "redis", redisAddr, "err", err)
	}
	srv := newServer(h)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("fleet example serving on %s, counting on Redis %s (Ctrl-C stops it)\n", base, redisAddr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
