package authredirect_test

import (
	"io"
	"log"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// observed collects what an observer hears: the events by method and path
// ("GET /ok"), and how many of each outcome.
type observed struct {
	mu        sync.Mutex
	byRequest map[string][]middleware.Event
	outcomes  map[middleware.Outcome]int
}

func newObserved() *observed {
	return &observed{byRequest: map[string][]middleware.Event{}, outcomes: map[middleware.Outcome]int{}}
}

func (o *observed) observe(ev middleware.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := ev.Request.Method + " " + ev.Request.URL.Path
	o.byRequest[key] = append(o.byRequest[key], ev)
	o.outcomes[ev.Outcome]++
}

// get returns the events of one method and path.
func (o *observed) get(key string) []middleware.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byRequest[key]
}

// count returns how many events had outcome k.
func (o *observed) count(k middleware.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outcomes[k]
}

// newRecoverer sends errors to the suite's pages.
func newRecoverer(t *testing.T, obs middleware.Observer) *middleware.Recoverer {
	t.Helper()
	rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: errorPage, LoginPage: loginPage}, Observer: obs})
	require.NoError(t, err)
	return rc
}

// quietLog is a server's error log for tests whose connections are cut on
// purpose.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
