package loopguard

import (
	"net/http"
	"time"
)

// Counter counts a browser's arrivals per key. The guard calls it once for
// each arrival it counts. The default, [CookieCounter], keeps the count in a
// signed cookie; [MemoryCounter] keeps it in this process. A shared store
// can be plugged in by implementing Counter.
type Counter interface {
	// Arrive records an arrival of the browser behind r for key at now and
	// returns how many of its arrivals for key, this one included, fall in
	// the window that started with the first of them. It may set headers
	// on w (a cookie) but must not write the response.
	Arrive(w http.ResponseWriter, r *http.Request, key string, now time.Time, window time.Duration) int
}
