package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// testNow and window are what tests that call a Counter directly count at.
var (
	testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	window  = 30 * time.Second
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("another key of thirty-two bytes!")
)

// clock is an injectable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: testNow} }

// Elapsed is the time since the clock started, for a counter's monotonic clock.
func (c *clock) Elapsed() time.Duration { return c.Now().Sub(testNow) }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func cookieCounter(t testing.TB, cfg loopguard.CookieConfig) *loopguard.CookieCounter {
	t.Helper()
	c, err := loopguard.NewCookieCounter(cfg)
	require.NoError(t, err)
	return c
}

// keyed is a Config counting in a cookie signed with keys.
func keyed(t testing.TB, cfg loopguard.Config, keys ...[]byte) loopguard.Config {
	t.Helper()
	if len(keys) == 0 {
		keys = [][]byte{testKey}
	}
	cfg.Counter = cookieCounter(t, loopguard.CookieConfig{Keys: keys})
	return cfg
}

func newGuard(t testing.TB, cfg loopguard.Config) *loopguard.Guard {
	t.Helper()
	g, err := loopguard.New(cfg)
	require.NoError(t, err)
	return g
}

// newRecover is the Recoverer route of family kind (Authorization when 0),
// sending errors to local pages.
func newRecover(t testing.TB, kind codes.Kind) func(http.Handler) http.Handler {
	t.Helper()
	if kind == 0 {
		kind = codes.Authorization
	}
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"},
		Observer: middleware.Quiet,
	})
	require.NoError(t, err)
	return rc.Route(kind, middleware.ModeRedirect)
}

// guarded is g below a Recoverer route, above a handler that answers 204.
func guarded(t testing.TB, g *loopguard.Guard) http.Handler {
	return alice.New(newRecover(t, 0), g.Middleware).ThenFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
}

// browser replays the guard's cookie like a browser would.
type browser struct{ cookies []*http.Cookie }

func (b *browser) arrive(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if set := rec.Result().Cookies(); len(set) > 0 {
		b.cookies = set
	}
	return rec
}

// plainWriter is a ResponseWriter that reuses its header map, so that
// allocation counts measure the guard and not a recorder.
type plainWriter struct {
	h    http.Header
	code int
}

func newPlainWriter() *plainWriter { return &plainWriter{h: http.Header{}} }

func (w *plainWriter) Header() http.Header         { return w.h }
func (w *plainWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *plainWriter) WriteHeader(code int)        { w.code = code }
func (w *plainWriter) reset()                      { clear(w.h); w.code = 0 }

// counted is the count of an arrival that a counter that never fails counted.
func counted(n int, err error) int {
	if err != nil {
		panic(err)
	}
	return n
}
