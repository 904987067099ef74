package redisguard

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/authredirect/authredirect/internal/ratelog"
)

// Logger carries go-redis' own log lines (redis.SetLogger takes it) to a
// slog.Logger at Warn, at most one record per interval with the number of
// lines dropped since the last. go-redis logs a line for every failed dial
// ("connection pool: failed to dial after 1 attempts: ... connection
// refused"), so without it an outage writes one line per request; with
// it, an outage of any number of requests writes at most one record per
// interval. It is safe for concurrent use.
type Logger struct {
	logger *slog.Logger
	now    func() time.Time // time.Now; tests inject their own
	limit  ratelog.Limiter
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
	return &Logger{logger: logger, now: time.Now, limit: ratelog.Limiter{Interval: interval}}
}

// Printf is go-redis' logging interface. The line is written as the
// record's message when the interval since the last record has passed;
// otherwise it is counted and the next record says how many were dropped.
func (l *Logger) Printf(ctx context.Context, format string, v ...any) {
	dropped, ok := l.limit.Allow(l.now())
	if !ok {
		return
	}
	l.logger.LogAttrs(ctx, slog.LevelWarn, "go-redis: "+strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "),
		slog.Int("dropped", dropped))
}
