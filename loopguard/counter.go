package loopguard

import (
	"errors"
	"net/http"
	"time"
)

// ErrConfig is wrapped by every configuration error of this package's
// constructors.
var ErrConfig = errors.New("loopguard: invalid configuration")

// Counter counts arrivals per key. The guard calls it once for each arrival
// it counts. [CookieCounter] (the default) counts per browser: its counts
// are never shared by two browsers whatever the key. A store
// shared by a fleet counts per key alone and is plugged in as
// [Config.AccountCounter], which only ever sees keys that name an account;
// such a counter has a method SharedByBrowsers(), which marks it, and
// [New] refuses it as Config.Counter, where a signed-out visitor's key is
// the client alone and strangers would spend each other's count.
type Counter interface {
	// Arrive records an arrival for key at now and returns how many
	// arrivals for key, this one included, fall in the window that started
	// with the first of them. It may set headers on w (a cookie) but must
	// not write the response.
	//
	// An error means the arrival was not counted: the guard lets the
	// request through, tells Config.Uncounted and logs it. A counter that
	// cannot tell a client that went away from a failure of its own
	// returns the context's error, which the guard does not report.
	Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) (int, error)
}
