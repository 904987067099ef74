package redisguard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// A counter shared by every instance that uses the same Redis: the fourth
// arrival of one client for one account within 30 seconds is over the
// guard's default limit of 3.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("AUTHREDIRECT_REDIS_ADDR"),
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
	})
	defer rdb.Close()
	counter, err := redisguard.New(redisguard.Config{
		Client: rdb,
		// One prefix per process, so that parallel test runs count apart.
		Prefix: "authredirect:example:" + strconv.Itoa(os.Getpid()) + ":",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rdb.Del(context.Background(), "authredirect:example:"+strconv.Itoa(os.Getpid())+":demo|alice") // start from a clean count

	r := httptest.NewRequest("GET", "/oauth/authorize?client_id=demo", nil)
	for range 4 {
		fmt.Print(counter.Arrive(nil, r, "demo|alice", time.Now(), 30*time.Second), " ")
	}
	fmt.Println()
	// Output: 1 2 3 4
}

// When Redis cannot count, Arrive lets the request through (0: not
// counted) and reports why.
func ExampleConfig_onError() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1}) // nothing listens there
	defer rdb.Close()
	counter, err := redisguard.New(redisguard.Config{
		Client:  rdb,
		OnError: func(err error) { fmt.Println("reported:", errors.Is(err, redisguard.ErrUnavailable)) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/oauth/authorize?client_id=demo", nil)
	fmt.Println(counter.Arrive(nil, r, "demo", time.Now(), 30*time.Second))
	// Output:
	// reported: true
	// 0
}
