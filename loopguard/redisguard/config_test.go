package redisguard_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/loopguard"
)

// The Redis counter counts per key alone; as the
// per-browser Config.Counter it would count every signed-out visitor of a
// client together (strangers 4 to 10 of 10 were refused), so New refuses it.
func TestGuard_RedisCounterIsRefusedAsTheBrowserCounter(t *testing.T) {
	rdb := sharedRedis(t)
	_, err := loopguard.New(loopguard.Config{
		Counter: newCounter(t, rdb, testPrefix(t, rdb), time.Second),
		Logger:  slog.New(slog.DiscardHandler),
	})
	assert.ErrorIs(t, err, loopguard.ErrConfig)
	assert.ErrorContains(t, err, "set it as AccountCounter")
}
