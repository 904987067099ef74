package redisguard_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// A fleet's loop guard: signed-out browsers counted in a cookie signed
// with the fleet's key, signed-in accounts counted in Redis, shared by
// every instance and browser. Here one account's fourth arrival within 30
// seconds trips the guard's default limit of 3.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("AUTHREDIRECT_REDIS_ADDR"),
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
	})
	defer rdb.Close()
	accounts, err := redisguard.New(redisguard.Config{
		Client: rdb,
		// One prefix per run, so that runs count apart.
		Prefix: "authredirect:example:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	browsers, err := loopguard.NewCookieCounter(loopguard.CookieConfig{
		Keys: [][]byte{[]byte("the fleet's key, 32 bytes or more")}, // from the fleet's secret store
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	guard, err := loopguard.New(loopguard.Config{
		Counter:        browsers,
		AccountCounter: accounts,
		AccountOf:      func(r *http.Request) string { return r.Header.Get("X-Demo-Account") }, // the signed-in session's account
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 4 {
		r := httptest.NewRequest("GET", "/oauth/authorize?client_id=demo", nil)
		r.Header.Set("X-Demo-Account", "jane")
		fmt.Println(guard.Count(httptest.NewRecorder(), r, "demo"))
	}
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// authorization error invalid_request (to_many_redirects)
}

// When Redis cannot count, Arrive says why and the guard lets the request
// through and tells its Observer.
func ExampleCounter_Arrive_unavailable() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1}) // nothing listens there
	defer rdb.Close()
	accounts, err := redisguard.New(redisguard.Config{Client: rdb})
	if err != nil {
		fmt.Println(err)
		return
	}
	browsers, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("the fleet's key, 32 bytes or more")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	guard, err := loopguard.New(loopguard.Config{
		Counter:        browsers,
		AccountCounter: accounts,
		AccountOf:      func(*http.Request) string { return "jane" },
		Uncounted: func(_ *http.Request, err error) {
			fmt.Println("uncounted", errors.Is(err, redisguard.ErrUnavailable))
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/oauth/authorize?client_id=demo", nil)
	fmt.Println(guard.Count(httptest.NewRecorder(), r, "demo"))
	// Output:
	// uncounted true
	// <nil>
}

// go-redis logs each failed dial on its own; NewLogger, installed once per
// process with redis.SetLogger, keeps those lines to one record per
// interval with the number dropped since the last. (Printf is called here
// as go-redis would.)
func ExampleNewLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a stable output for the example
			}
			return a
		},
	}))
	l := redisguard.NewLogger(logger, time.Minute) // redis.SetLogger(l) at start-up
	for range 3 {
		l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 1, "connection refused")
	}
	// Output:
	// level=WARN msg="go-redis: connection pool: failed to dial after 1 attempts: connection refused" dropped=0
}
