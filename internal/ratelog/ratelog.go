// Package ratelog decides when a record may be logged: at most one per
// interval, counting those it holds back, so that a burst of failures (a
// store down, a buggy handler on every request) cannot flood the log. The
// loop guard, its Redis counter and the default observer share it.
package ratelog

import (
	"sync"
	"time"
)

// Limiter allows one record per Interval. The zero Interval is a second.
// It is safe for concurrent use.
type Limiter struct {
	Interval time.Duration

	mu      sync.Mutex
	last    time.Time // time.Now's reading, which carries the monotonic clock
	dropped int
}

// Allow reports whether a record may be written at now and, when it may,
// how many were held back since the last one written.
func (l *Limiter) Allow(now time.Time) (dropped int, ok bool) {
	interval := l.Interval
	if interval <= 0 {
		interval = time.Second
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < interval {
		l.dropped++
		return 0, false
	}
	dropped, l.last, l.dropped = l.dropped, now, 0
	return dropped, true
}
