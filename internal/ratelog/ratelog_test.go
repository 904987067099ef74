package ratelog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// One record per interval; the next one says how many were held back.
func TestLimiter_OnePerIntervalCountingTheRest(t *testing.T) {
	var l Limiter // a second
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	dropped, ok := l.Allow(start)
	assert.True(t, ok)
	assert.Zero(t, dropped)
	for i := range 5 {
		_, ok := l.Allow(start.Add(time.Duration(i) * 100 * time.Millisecond))
		assert.False(t, ok)
	}
	dropped, ok = l.Allow(start.Add(time.Second))
	assert.True(t, ok)
	assert.Equal(t, 5, dropped)
	_, ok = (&Limiter{Interval: time.Hour}).Allow(start)
	assert.True(t, ok, "the first record is always written")
}
