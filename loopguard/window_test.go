package loopguard_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// Claim (Config.Window doc, design §4, guide): "Guards with different
// windows never share a count, even on one counter."
//
// The key starts with the window in whole milliseconds, and New accepts
// any Duration from a second to a day: windows that differ by less than a
// millisecond (30 s and 30.0005 s) get one tag and share one count. Two
// arrivals on each guard make the fourth arrival of one count, and the
// second guard trips although it saw two.
func TestLoopGuard_WindowsApartByLessThanAMillisecondCountApart(t *testing.T) {
	clk := newClock()
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	a := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Now: clk.Now, Window: 30 * time.Second}))
	b := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Now: clk.Now, Window: 30*time.Second + 500*time.Microsecond}))
	br := &browser{}
	for i := 1; i <= 2; i++ {
		require.Equal(t, http.StatusNoContent, br.arrive(t, a, "/a?client_id=loopy").Code, "guard a, arrival %d", i)
		if i < 2 {
			require.Equal(t, http.StatusNoContent, br.arrive(t, b, "/b?client_id=loopy").Code, "guard b, arrival %d", i)
		}
	}
	assert.Equal(t, http.StatusNoContent, br.arrive(t, b, "/b?client_id=loopy").Code,
		"guard b's second arrival trips it: it shares guard a's count")
}
