package loopguard_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// A looping client comes back to the authorization endpoint again and
// again; the fourth arrival within 30 seconds ends on the error page.
func Example() {
	rc, err := middleware.New(middleware.Config{
		Render: render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Every instance of the fleet shares the keys; the first signs.
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("a shared key of at least 32 bytes")}})
	if err != nil {
		log.Fatal(err)
	}
	guard, err := loopguard.New(loopguard.Config{Counter: counter})
	if err != nil {
		log.Fatal(err)
	}
	h := alice.New(rc.Authorization, guard.Middleware).ThenFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://client.example.com/callback?code=abc", http.StatusFound)
	})

	var cookie *http.Cookie
	for i := 1; i <= 4; i++ {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		cookie = w.Result().Cookies()[0]
		fmt.Println(i, w.Code, w.Header().Get("Location"))
	}
	// Output:
	// 1 302 https://client.example.com/callback?code=abc
	// 2 302 https://client.example.com/callback?code=abc
	// 3 302 https://client.example.com/callback?code=abc
	// 4 303 https://accounts.example.com/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects
}

// A fleet counts signed-in accounts in a store every instance shares (here
// any Counter; in production the Redis counter) and signed-out browsers in
// a cookie signed with keys every instance shares: no count ever belongs to
// a client alone.
func ExampleConfig_accounts() {
	browsers, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("a shared key of at least 32 bytes")}})
	if err != nil {
		log.Fatal(err)
	}
	shared := &fleetStore{n: map[string]int{}}
	guard, err := loopguard.New(loopguard.Config{
		Counter:        browsers,
		AccountCounter: shared,
		AccountOf:      func(r *http.Request) string { return r.Header.Get("X-Account") }, // the signed-in account, "" when none
		KnownClient:    func(id string) bool { return id == "demo" },                      // invented client ids are not counted
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, account := range []string{"", "jane", "jane"} {
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil)
		r.Header.Set("X-Account", account)
		_ = guard.Count(httptest.NewRecorder(), r, "demo")
	}
	fmt.Println(len(shared.n), "key in the shared store, counted", shared.n["30s\x00demo\x00jane"], "times")
	// Output: 1 key in the shared store, counted 2 times
}

// fleetStore stands in for a store the fleet shares.
type fleetStore struct{ n map[string]int }

func (s *fleetStore) Arrive(_ http.ResponseWriter, _ *http.Request, key string, _ time.Time, _ time.Duration) (int, error) {
	s.n[key]++
	return s.n[key], nil
}
