package loopguard_test

// Adversarial review of the loop guard after issue 19: the cookie counter.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
)

// Issue 19, item 5 lists "a planted signed count trips the victim at once"
// as a defect to fix; CookieCounter's doc answers it with "of the others
// the most recently written wins: a planted value loses to the one this
// counter wrote since".
//
// That holds only for a value minted before the victim's own cookie was
// last written (what TestCookieCounter_PlantedSignedCountLosesToTheBrowsersOwn
// tests). A sibling subdomain on plain http plants when the victim visits
// it, a value it minted a moment earlier on its own browser: that value is
// the newest the victim holds, wins, and the victim's next arrival, its
// second, is refused. The count then lives on in the victim's own cookie
// for the window.
//
// Severity is low: any site can trip a victim's guard for a client as
// well, by navigating one window it opened to the guarded URL four times
// (top-level navigations send and set a SameSite=Lax cookie). The test
// shows that item 5's attack is not closed, not that a new one exists.
func TestReview_CookieFreshlyMintedPlantStillTripsTheVictim(t *testing.T) {
	clk := newClock()
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	h := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Now: clk.Now}))

	victim := &browser{}
	require.Equal(t, http.StatusNoContent, victim.arrive(t, h, "/oauth/authorize?client_id=loopy").Code, "the victim's first arrival")
	clk.Advance(time.Second)

	// The attacker loops on its own browser now, after the victim's cookie
	// was written, and plants the value.
	attacker := &browser{}
	for range 3 {
		require.Equal(t, http.StatusNoContent, attacker.arrive(t, h, "/oauth/authorize?client_id=loopy").Code)
	}
	planted := attacker.cookies[0]
	clk.Advance(time.Second)

	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
	req.AddCookie(planted) // sent first, as a longer Path's would be
	for _, ck := range victim.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNoContent, rec.Code, "the victim's second arrival is refused: the planted count, written last, won")
}

// Claim (CookieCounter doc, design §4, guide): "When the browser sends
// several cookies of the name ... the values that fail the signature are
// ignored and of the others the most recently written wins".
//
// Only the first maxVerified (16) values of the right length are checked;
// the rest are not even read. On plain http a sibling subdomain plants
// values under the name with Domain= a parent and every Path that matches
// the guarded URL; browsers send longer Paths first. A guarded path of
// Keycloak's shape, /realms/r/protocol/openid-connect/auth, has 9 matching
// Paths longer than "/", and a host two labels below the registrable
// domain (sso.corp.example.com, planted from x.corp.example.com with
// Domain=corp.example.com and Domain=example.com) makes that 18 cookies
// sent before the browser's own. 16 of them, of the right length and
// signed by nobody, turn counting off: the issue 19 item 5 attack again
// (0 trips in 10).
func TestReview_CookieSixteenPlantedValuesHideTheBrowsersOwn(t *testing.T) {
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{})))
	junk := strings.Repeat("A", 55) // decodes to 41 bytes: a version, a time and a MAC, no count
	var own []*http.Cookie
	trips := 0
	for range 10 {
		req := httptest.NewRequest(http.MethodGet, "/realms/r/protocol/openid-connect/auth?client_id=loopy", nil)
		for range 16 {
			req.AddCookie(&http.Cookie{Name: "authredirect_loop", Value: junk})
		}
		for _, ck := range own {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if set := rec.Result().Cookies(); len(set) > 0 {
			own = set
		}
		if rec.Code == http.StatusSeeOther {
			trips++
		}
	}
	assert.Equal(t, 7, trips, "arrivals 4 to 10 trip the guard")
}
