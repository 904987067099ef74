package authredirect_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// TestQuery_ParsedOnceAllocations: a request of 9,000 parameters through
// every reader of the query (UniqueParams, AllowResponseTypes, the loop
// guard, the flow carried back to the login page) allocates about what one
// r.URL.Query() does: the query is parsed once, by UniqueParams, and read
// by name everywhere else. What it costs beside r.URL.Query() is measured
// in bench/ (BenchmarkQuery9000).
func TestQuery_ParsedOnceAllocations(t *testing.T) {
	var q strings.Builder
	q.WriteString("/authorize?response_type=code&client_id=demo&state=xyz")
	for i := range 8997 {
		q.WriteString("&p" + strconv.Itoa(i) + "=v")
	}
	req := httptest.NewRequest(http.MethodGet, q.String(), nil)
	rc, err := middleware.New(middleware.Config{Observer: middleware.Quiet, Render: render.Config{
		ErrorPage: "/ooops", LoginPage: "/login", Carry: []string{"response_type", "client_id", "state"}}})
	require.NoError(t, err)
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	require.NoError(t, err)
	guard, err := loopguard.New(loopguard.Config{Counter: counter, Limit: 250})
	require.NoError(t, err)
	route := alice.New(rc.Authentication, middleware.UniqueParams(), middleware.AllowResponseTypes(), guard.Middleware).
		Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.Unauthorized.Err() }))

	rec := httptest.NewRecorder()
	route.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Contains(t, rec.Header().Get("Location"), "&response_type=code&client_id=demo&state=xyz")

	once := testing.AllocsPerRun(5, func() { _ = req.URL.Query() })
	all := testing.AllocsPerRun(5, func() { route.ServeHTTP(httptest.NewRecorder(), req) })
	assert.Less(t, all, once+50, "one parse allocates %v times", once)
}
