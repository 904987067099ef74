package loopguard_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// A looping client comes back to the authorization endpoint again and
// again; the fourth arrival within 30 seconds ends on the error page.
func Example() {
	rc, err := middleware.New(middleware.Config{
		Pages: render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"},
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
