package loopguard_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

const tripped = "https://accounts.example.com/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects"

func TestLoopGuard_TripsAtTheFourthArrivalWithinTheWindow(t *testing.T) {
	clk := newClock()
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{Now: clk.Now})))
	b := &browser{}
	for i := 1; i <= 3; i++ {
		res := b.arrive(t, h, "/oauth/authorize?client_id=loopy")
		assert.Equal(t, http.StatusNoContent, res.Code, "arrival %d", i)
		clk.Advance(9 * time.Second)
	}
	res := b.arrive(t, h, "/oauth/authorize?client_id=loopy")
	assert.Equal(t, http.StatusSeeOther, res.Code, "the 4th arrival within 30s trips")
	assert.Equal(t, tripped, res.Header().Get("Location"))
	assert.NotEmpty(t, res.Header().Get("Set-Cookie"), "the cookie goes out with the redirect")

	clk.Advance(30 * time.Second)
	res = b.arrive(t, h, "/oauth/authorize?client_id=loopy")
	assert.Equal(t, http.StatusNoContent, res.Code, "a new window starts once it has passed")
}

func TestLoopGuard_WindowPassedBeforeTheFourth(t *testing.T) {
	clk := newClock()
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{Now: clk.Now})))
	b := &browser{}
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=c").Code)
	}
	clk.Advance(30 * time.Second)
	assert.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=c").Code)
}

func TestLoopGuard_ClientsAreCountedApart(t *testing.T) {
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{})))
	b := &browser{}
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=one").Code)
		require.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=two").Code)
	}
	assert.Equal(t, http.StatusSeeOther, b.arrive(t, h, "/a?client_id=one").Code)
	assert.Equal(t, http.StatusSeeOther, b.arrive(t, h, "/a?client_id=two").Code)
	assert.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=three").Code)
	assert.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a").Code, "no client, not counted")
}

func TestLoopGuard_ConfigurableLimitAndCode(t *testing.T) {
	rec := newRecover(t, middleware.Config{Kind: codes.Authentication})
	g := newGuard(t, keyed(t, loopguard.Config{Limit: 1, Code: codes.IdentityInvalidRequest,
		Key: func(r *http.Request) string { return r.URL.Path }}))
	h := alice.New(rec, g.Middleware).ThenFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	b := &browser{}
	assert.Equal(t, http.StatusNoContent, b.arrive(t, h, "/sso").Code)
	res := b.arrive(t, h, "/sso")
	assert.Equal(t, "https://accounts.example.com/?identity_exception=invalid_request&exception_details=to_many_redirects", res.Header().Get("Location"))
}

func TestLoopGuard_RefusesBadConfig(t *testing.T) {
	for _, cfg := range []loopguard.Config{
		{Limit: -1}, {Limit: 251}, {Window: time.Millisecond},
	} {
		_, err := loopguard.New(cfg)
		assert.ErrorIs(t, err, render.ErrConfig, "%+v", cfg)
	}
	for _, cfg := range []loopguard.CookieConfig{
		{}, {Keys: [][]byte{[]byte("short")}}, {Keys: [][]byte{testKey}, MaxClients: 65},
	} {
		_, err := loopguard.NewCookieCounter(cfg)
		assert.ErrorIs(t, err, render.ErrConfig, "%+v", cfg)
	}
	_, err := loopguard.NewMemoryCounter(loopguard.MemoryConfig{MaxEntries: -1})
	assert.ErrorIs(t, err, render.ErrConfig)
}

func TestLoopGuard_RandomKeyWarnsOnce(t *testing.T) {
	logs := &syncBuffer{}
	_, err := loopguard.New(loopguard.Config{Logger: slogTo(logs)})
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(logs.String(), "random per-process key"))
}

// loopCookie counts three arrivals for client "c" and returns the cookie.
func loopCookie(t *testing.T, h http.Handler) *http.Cookie {
	b := &browser{}
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=c").Code)
	}
	require.Len(t, b.cookies, 1)
	return b.cookies[0]
}

func TestLoopGuard_BadCookiesCountAsNothing(t *testing.T) {
	clk := newClock()
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{Now: clk.Now})))
	good := loopCookie(t, h)
	// The good cookie trips the next arrival: the baseline for the rest.
	require.Equal(t, http.StatusSeeOther, (&browser{[]*http.Cookie{good}}).arrive(t, h, "/a?client_id=c").Code)

	raw, err := base64.RawURLEncoding.DecodeString(good.Value)
	require.NoError(t, err)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	forger := newGuard(t, keyed(t, loopguard.Config{Now: clk.Now}, otherKey))
	forged := loopCookie(t, guarded(t, forger)).Value

	for name, value := range map[string]string{
		"tampered count": flip(17),
		"tampered mac":   flip(len(raw) - 1),
		"forged":         forged,
		"garbled":        "%%%not base64%%%",
		"truncated":      good.Value[:20],
		"empty":          "",
		"oversized":      strings.Repeat("A", 5000),
	} {
		b := &browser{[]*http.Cookie{{Name: good.Name, Value: value}}}
		assert.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=c").Code, name)
	}

	clk.Advance(31 * time.Second)
	assert.Equal(t, http.StatusNoContent, (&browser{[]*http.Cookie{good}}).arrive(t, h, "/a?client_id=c").Code, "expired")
}

func TestLoopGuard_FleetSharesOneKey(t *testing.T) {
	one := guarded(t, newGuard(t, keyed(t, loopguard.Config{})))
	two := guarded(t, newGuard(t, keyed(t, loopguard.Config{})))
	other := guarded(t, newGuard(t, keyed(t, loopguard.Config{}, otherKey)))
	b := &browser{}
	require.Equal(t, http.StatusNoContent, b.arrive(t, one, "/a?client_id=c").Code)
	require.Equal(t, http.StatusNoContent, b.arrive(t, two, "/a?client_id=c").Code)
	require.Equal(t, http.StatusNoContent, b.arrive(t, one, "/a?client_id=c").Code)
	saved := b.cookies
	assert.Equal(t, http.StatusSeeOther, b.arrive(t, two, "/a?client_id=c").Code, "instance two counts instance one's arrivals")
	b.cookies = saved
	assert.Equal(t, http.StatusNoContent, b.arrive(t, other, "/a?client_id=c").Code, "another key ignores the cookie")
}

func TestLoopGuard_CookieAttributes(t *testing.T) {
	g := newGuard(t, keyed(t, loopguard.Config{}))
	h := guarded(t, g)

	plain := httptest.NewServer(h)
	defer plain.Close()
	res, err := plain.Client().Get(plain.URL + "/a?client_id=c")
	require.NoError(t, err)
	res.Body.Close()
	set := res.Header.Get("Set-Cookie")
	assert.True(t, strings.HasPrefix(set, "authredirect_loop="), set)
	assert.Contains(t, set, "; Path=/; Max-Age=30; HttpOnly; SameSite=Lax")
	assert.NotContains(t, set, "Secure")

	secure := httptest.NewTLSServer(h)
	defer secure.Close()
	res, err = secure.Client().Get(secure.URL + "/a?client_id=c")
	require.NoError(t, err)
	res.Body.Close()
	set = res.Header.Get("Set-Cookie")
	assert.True(t, strings.HasPrefix(set, "__Host-authredirect_loop="), set)
	assert.Contains(t, set, "; Path=/; Max-Age=30; HttpOnly; Secure; SameSite=Lax")

	proxied := guarded(t, newGuard(t, loopguard.Config{
		Counter: cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}, BehindTLSProxy: true}),
	}))
	rec := httptest.NewRecorder()
	proxied.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/a?client_id=c", nil))
	assert.True(t, strings.HasPrefix(rec.Header().Get("Set-Cookie"), "__Host-authredirect_loop="))
}

func TestLoopGuard_CookieHoldsBoundedClients(t *testing.T) {
	h := guarded(t, newGuard(t, keyed(t, loopguard.Config{})))
	b := &browser{}
	for i := 0; i < 100; i++ {
		require.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=client-"+strings.Repeat("x", i)).Code)
	}
	assert.Less(t, len(b.cookies[0].Value), 300, "8 clients at most")
}

// A real browser-like client with a cookie jar follows a misbehaving
// client's redirect loop; the guard ends it on the error page.
func TestLoopGuard_BreaksARealRedirectLoop(t *testing.T) {
	for name, tlsOn := range map[string]bool{"http": false, "https": true} {
		t.Run(name, func(t *testing.T) {
			r, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/"})
			require.NoError(t, err)
			rec, err := middleware.Recover(middleware.Config{Renderer: r, Observer: func(middleware.Event) {}})
			require.NoError(t, err)
			g := newGuard(t, keyed(t, loopguard.Config{}))
			mux := http.NewServeMux()
			mux.Handle("GET /oauth/authorize", alice.New(rec, g.Middleware).ThenFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/client/callback?code=abc", http.StatusFound)
			}))
			mux.HandleFunc("GET /client/callback", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/oauth/authorize?client_id=loopy", http.StatusFound) // the loop
			})
			mux.Handle("GET /ooops", alice.New(rec).Then(middleware.Wrap(func(w http.ResponseWriter, req *http.Request) error {
				e, err := render.ParseQuery(req.URL.RawQuery)
				if err != nil {
					return err
				}
				r.Page(w, req, http.StatusOK, e)
				return nil
			})))
			srv := httptest.NewUnstartedServer(mux)
			if tlsOn {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()

			jar, _ := cookiejar.New(nil)
			var hops int
			client := &http.Client{Jar: jar, Transport: srv.Client().Transport, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
				hops = len(via)
				return nil // the default limit is 10
			}}
			res, err := client.Get(srv.URL + "/oauth/authorize?client_id=loopy")
			require.NoError(t, err, "the loop ends within the client's 10 redirects")
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "/ooops", res.Request.URL.Path)
			assert.Equal(t, "oauth_exception=invalid_request&exception_details=to_many_redirects", res.Request.URL.RawQuery)
			assert.Contains(t, string(body), "<code>to_many_redirects</code>")
			assert.LessOrEqual(t, hops, 10)
			u, _ := url.Parse(srv.URL)
			if tlsOn {
				assert.Equal(t, "__Host-authredirect_loop", jar.Cookies(u)[0].Name)
			}
		})
	}
}

func TestLoopGuard_Count(t *testing.T) {
	g := newGuard(t, keyed(t, loopguard.Config{Limit: 1}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	assert.NoError(t, g.Count(rec, req, "demo"))
	cookie := rec.Result().Cookies()[0]
	req.AddCookie(cookie)
	err := g.Count(httptest.NewRecorder(), req, "demo")
	assert.ErrorIs(t, err, codes.InvalidRequest.With(codes.TooManyRedirects))
	assert.NoError(t, g.Count(rec, req, ""), "no key, not counted")
}

func TestMemoryCounter(t *testing.T) {
	clk := newClock()
	m, err := loopguard.NewMemoryCounter(loopguard.MemoryConfig{MaxEntries: 3})
	require.NoError(t, err)
	g := newGuard(t, loopguard.Config{Counter: m, Now: clk.Now})
	h := guarded(t, g)
	from := func(ip, target string) int {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = ip + ":1234"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Empty(t, rec.Header().Get("Set-Cookie"), "no cookie")
		return rec.Code
	}
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"))
	}
	assert.Equal(t, http.StatusSeeOther, from("10.0.0.1", "/a?client_id=c"))
	assert.Equal(t, http.StatusNoContent, from("10.0.0.2", "/a?client_id=c"), "another browser")
	clk.Advance(30 * time.Second)
	assert.Equal(t, http.StatusNoContent, from("10.0.0.1", "/a?client_id=c"), "expired")

	for i := 0; i < 10; i++ {
		from("10.0.1.1", "/a?client_id=c"+strings.Repeat("x", i))
		clk.Advance(time.Millisecond)
	}
	assert.LessOrEqual(t, m.Len(), 3, "bounded")
}

func TestLoopGuard_UncountedRequestsAllocateNothing(t *testing.T) {
	g := newGuard(t, keyed(t, loopguard.Config{}))
	h := guarded(t, g)
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?response_type=code&scope=profile", nil)
	w := newPlainWriter()
	h.ServeHTTP(w, req)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, req) }))
}

// The guard's cost per counted request is measured in bench/ (BenchmarkLoopGuard).
