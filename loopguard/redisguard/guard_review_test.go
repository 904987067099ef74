package redisguard_test

// Adversarial review of the loop guard after issue 19: wiring.

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/loopguard"
)

// Claim (design §4, README "Which counter counts what", issue 19 item 1):
// "no count ever belongs to a whole client and strangers cannot spend each
// other's"; the brief's rule: "invalid configuration is an error at
// construction".
//
// redisguard.Counter counts per key alone, yet it satisfies
// loopguard.Counter and New takes it as Config.Counter without a word: the
// wiring every README showed before issue 19 (Counter: the Redis counter)
// still compiles and builds, and it brings back issue 19's hole exactly:
// signed-out visitors are counted under the bare client_id for the whole
// fleet, and the 4th stranger is refused on their first visit.
func TestReview_RedisCounterAsConfigCounterIsNotRefused(t *testing.T) {
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	guard, err := loopguard.New(loopguard.Config{
		Counter: newCounter(t, rdb, prefix, time.Second), // per key alone, as Counter
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return // refused at construction: the claim holds
	}
	url := startInstance(t, guardedApp(t, guard)) + "/oauth/authorize?response_type=code&client_id=demo"
	var refused []int
	for i := 1; i <= 10; i++ { // ten strangers, one arrival each
		if get(t, browser(t), url, "") != passed {
			refused = append(refused, i)
		}
	}
	assert.Empty(t, refused, "strangers refused on their first arrival: New took a per-key counter as the per-browser Counter")
}
