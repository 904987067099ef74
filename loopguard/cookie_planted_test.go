package loopguard_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/loopguard"
)

// Claim (CookieCounter doc, design §4, guide): "When the browser sends
// several cookies of the name ... the values that fail the signature are
// ignored and of the others the most recently written wins".
//
// Only the last maxVerified (16) values of the right length are checked;
// the rest are not even read. On plain http a sibling subdomain plants
// values under the name with Domain= a parent and every Path that matches
// the guarded URL; browsers send longer Paths first. A guarded path of
// Keycloak's shape, /realms/r/protocol/openid-connect/auth, has 9 matching
// Paths longer than "/", and a host two labels below the registrable
// domain (sso.corp.example.com, planted from x.corp.example.com with
// Domain=corp.example.com and Domain=example.com) makes that 18 cookies
// sent before the browser's own. 16 of them, of the right length and
// signed by nobody, turn counting off: the planted-cookie attack again
// (0 trips in 10).
func TestCookieCounter_PlantedValuesCannotHideTheBrowsersOwn(t *testing.T) {
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
