package redisguard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Claim (README "Keys", countScript's comment): "a key holding anything
// but a count (a string that is no integer, 9223372036854775807, another
// type) is replaced by a fresh count with an expiry. So every key expires
// and every arrival counts."
//
// A negative integer is no count, but INCR accepts it: the script returns
// -999, -998, ... and Arrive fails every arrival ("script returned -999")
// until the value climbs back to 1 or the key expires. 1000 arrivals of
// the account go uncounted.
func TestArrive_NegativeIntegerIsReplaced(t *testing.T) {
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()
	const key = "30s\x00loopy\x00u-jane"
	require.NoError(t, rdb.Set(ctx, stored(prefix, key), "-1000", 0).Err())

	var failed []error
	for range 10 {
		if _, err := arriveErr(c, key, 30*time.Second); err != nil {
			failed = append(failed, err)
		}
	}
	assert.Empty(t, failed, "arrivals on a key holding -1000 that were not counted")
}

// Claim as above: "every arrival counts" for a key holding a value near
// the maximum.
//
// 9223372036854775806 is accepted by INCR (9223372036854775807, no
// overflow), but Redis hands the reply to Lua as a double, 2^63, which
// converts back to the integer reply -9223372036854775808: Arrive fails
// that arrival ("script returned -9223372036854775808").
func TestArrive_CountNextToTheMaximumIsCounted(t *testing.T) {
	rdb := sharedRedis(t)
	prefix := testPrefix(t, rdb)
	c := newCounter(t, rdb, prefix, time.Second)
	ctx := context.Background()
	const key = "30s\x00loopy\x00u-max"
	require.NoError(t, rdb.Set(ctx, stored(prefix, key), "9223372036854775806", 0).Err())

	n, err := arriveErr(c, key, 30*time.Second)
	assert.NoError(t, err, "the arrival was not counted")
	assert.GreaterOrEqual(t, n, 1)
}
