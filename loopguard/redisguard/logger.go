package redisguard

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Logger carries go-redis' own log lines (redis.SetLogger takes it) to a
// slog.Logger at Warn, at most one record per interval with the number of
// lines dropped since the last. go-redis logs a line for every failed dial
// ("connection pool: failed to dial after 1 attempts: ... connection
// refused"), so without it an outage writes one line per request; with
// it, an outage of any number of requests writes at most one record per
// interval. It is safe for concurrent use.
type Logger struct {
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time // time.Now; tests inject their own

	mu      sync.Mutex
	last    time.Time // time.Now's reading, which carries the monotonic clock
	dropped int
}

// NewLogger returns a Logger writing to logger (slog.Default() when nil)
// at most one record per interval (a second when interval is not
// positive). Install it once per process with redis.SetLogger.
func NewLogger(logger *slog.Logger, interval time.Duration) *Logger {
	if logger == nil {
		logger = slog.Default()
	}
	if interval <= 0 {
		interval = time.Second
	}
	return &Logger{logger: logger, interval: interval, now: time.Now}
}

// Printf is go-redis' logging interface. The line is written as the
// record's message when the interval since the last record has passed;
// otherwise it is counted and the next record says how many were dropped.
func (l *Logger) Printf(ctx context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	l.logger.LogAttrs(ctx, slog.LevelWarn, "go-redis: "+strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "),
		slog.Int("dropped", dropped))
}
