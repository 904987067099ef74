package redisguard

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The Logger writes the first line at once and then at most one record per
// interval, which says how many lines it dropped since the last.
func TestLogger_OneRecordPerInterval(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})), time.Second)
	now := time.Unix(0, 0)
	l.now = func() time.Time { return now }
	ctx := context.Background()

	for i := range 100 {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 1, "refused")
		now = now.Add(time.Duration(i%3) * time.Millisecond) // 100 lines in about 100 ms
	}
	now = now.Add(time.Second)
	l.Printf(ctx, "redis: something else")
	assert.Equal(t, []string{
		`level=WARN msg="go-redis: connection pool: failed to dial after 1 attempts: refused" dropped=0`,
		`level=WARN msg="go-redis: something else" dropped=99`,
	}, strings.Split(strings.TrimSpace(buf.String()), "\n"))
}

func TestNewLogger_Defaults(t *testing.T) {
	l := NewLogger(nil, 0)
	assert.Same(t, slog.Default(), l.logger)
	assert.Equal(t, time.Second, l.limit.Interval)
}
