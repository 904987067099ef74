package loopguard_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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
	rec := newRecover(t, codes.Authentication)
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
		{Limit: -1}, {Limit: 251}, {Window: time.Millisecond}, {Window: 25 * time.Hour},
	} {
		_, err := loopguard.New(cfg)
		assert.ErrorIs(t, err, loopguard.ErrConfig, "%+v", cfg)
	}
	for _, cfg := range []loopguard.CookieConfig{
		{}, {Keys: [][]byte{[]byte("short")}}, {Keys: [][]byte{testKey}, MaxClients: 65},
	} {
		_, err := loopguard.NewCookieCounter(cfg)
		assert.ErrorIs(t, err, loopguard.ErrConfig, "%+v", cfg)
	}
}

// Guards without a counter share one process-wide key,
// so routes guarded apart still count one browser's loop together.
func TestLoopGuard_KeylessGuardsShareOneKey(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	one := guarded(t, newGuard(t, loopguard.Config{Logger: quiet}))
	two := guarded(t, newGuard(t, loopguard.Config{Logger: quiet}))
	b := &browser{}
	for i := 1; i <= 3; i++ {
		h := one
		if i%2 == 0 {
			h = two
		}
		require.Equal(t, http.StatusNoContent, b.arrive(t, h, "/a?client_id=loopy").Code, "arrival %d", i)
	}
	res := b.arrive(t, two, "/a?client_id=loopy")
	assert.Equal(t, http.StatusSeeOther, res.Code, "the 4th arrival trips whichever guard takes it")
	assert.Equal(t, tripped, res.Header().Get("Location"))
}

// The random key's warning is logged once per process,
// however many guards are built. The check runs in a fresh process (this
// test binary, re-run), since the process may already have warned.
func TestLoopGuard_RandomKeyWarnsOncePerProcess(t *testing.T) {
	if os.Getenv("LOOPGUARD_WARN_CHILD") == "1" {
		logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
		for range 3 {
			if _, err := loopguard.New(loopguard.Config{Logger: logger}); err != nil {
				fmt.Println("error:", err)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoopGuard_RandomKeyWarnsOncePerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOOPGUARD_WARN_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 1, strings.Count(string(out), "random per-process key"), "%s", out)
	assert.NotContains(t, string(out), "error:")
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

// The bound is exact. The default cookie counts 8 clients (the
// 9th new one drops the oldest); 34 is the most whose cookie stays within
// the 1 KiB read limit, and 35 is refused.
func TestCookieCounter_HoldsExactlyMaxClients(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxClients int
		want       int
	}{
		{"default", 0, 8},
		{"one", 1, 1},
		{"largest readable", 34, 34},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}, MaxClients: tc.maxClients})
			h := guarded(t, newGuard(t, loopguard.Config{Counter: c, Limit: 250, Now: func() time.Time { return testNow }}))
			b := &browser{}
			client := func(i int) string { return "/a?client_id=client-" + strconv.Itoa(i) }
			for i := 0; i <= tc.want; i++ { // one more client than the cookie holds
				require.Equal(t, http.StatusNoContent, b.arrive(t, h, client(i)).Code)
			}
			require.Len(t, b.cookies, 1)
			assert.Len(t, b.cookies[0].Value, base64.RawURLEncoding.EncodedLen(9+tc.want*21+32), "version, time written, %d buckets, MAC", tc.want)
			// Clients 1..want are still counted; client 0, the oldest, was dropped.
			for i := tc.want; i >= 1; i-- {
				assert.Equal(t, 2, arrivals(t, c, b.cookies, tag+"client-"+strconv.Itoa(i)), "client %d", i)
			}
			assert.Equal(t, 1, arrivals(t, c, b.cookies, tag+"client-0"), "the oldest was dropped")
		})
	}
	_, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{testKey}, MaxClients: 35})
	assert.ErrorIs(t, err, loopguard.ErrConfig, "a cookie of 35 clients exceeds the read limit")
}

// arrivals is what c counts for key on a request carrying cookies, this
// arrival included.
func arrivals(t *testing.T, c loopguard.Counter, cookies []*http.Cookie, key string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	return counted(c.Arrive(httptest.NewRecorder(), req, key, testNow, window))
}

// A real browser-like client with a cookie jar follows a misbehaving
// client's redirect loop; the guard ends it on the error page.
func TestLoopGuard_BreaksARealRedirectLoop(t *testing.T) {
	for name, tlsOn := range map[string]bool{"http": false, "https": true} {
		t.Run(name, func(t *testing.T) {
			rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: "/ooops", LoginPage: "/"}, Observer: middleware.Quiet})
			require.NoError(t, err)
			rec, r := rc.Authorization, rc.Renderer()
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
				if hops > 10 {
					return errors.New("still looping after 10 redirects: the guard did not break the loop")
				}
				return nil
			}}
			res, err := client.Get(srv.URL + "/oauth/authorize?client_id=loopy")
			require.NoError(t, err, "the loop ends within 10 redirects")
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "/ooops", res.Request.URL.Path)
			assert.Equal(t, "oauth_exception=invalid_request&exception_details=to_many_redirects", res.Request.URL.RawQuery)
			assert.Contains(t, string(body), "to_many_redirects</code>", "the page names the detail")
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

// The guard's cost per counted request is measured in bench/ (BenchmarkLoopGuard).

// perKey counts per key for everyone, as a fleet-wide store does.
type perKey struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *perKey) Arrive(_ http.ResponseWriter, _ *http.Request, key string, _ time.Time, _ time.Duration) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[key]++
	return c.n[key], nil
}

// TestLoopGuard_ClientIDCannotPoseAsAnAccount: the counted key is the
// client, a NUL, then the account; a client_id of "loopy%00alice" sent by
// someone signed in as nobody must not spend alice's count.
func TestLoopGuard_ClientIDCannotPoseAsAnAccount(t *testing.T) {
	counter := &perKey{n: map[string]int{}}
	g := newGuard(t, loopguard.Config{AccountCounter: counter, AccountOf: func(r *http.Request) string { return r.Header.Get("X-Account") }})
	for range 5 {
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy%00alice", nil)
		require.NoError(t, g.Count(httptest.NewRecorder(), r, r.URL.Query().Get("client_id")))
	}
	r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
	r.Header.Set("X-Account", "alice")
	assert.NoError(t, g.Count(httptest.NewRecorder(), r, "loopy"), "alice's first arrival")
	assert.Equal(t, map[string]int{"30s\x00loopy\x00alice": 1}, counter.n, "a key holding a NUL is not counted")
}

// TestLoopGuard_DefaultCounterClashIsLogged: the default counter (random
// per-process key, default cookie name) beside a keyed counter under the
// same name erases each other's counts; building the second is logged, as
// for any two counters. Run in a child process: the log is once per process.
func TestLoopGuard_DefaultCounterClashIsLogged(t *testing.T) {
	if os.Getenv("LOOPGUARD_CLASH_CHILD") == "1" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stdout, nil)))
		if _, err := loopguard.New(loopguard.Config{Logger: slog.New(slog.DiscardHandler)}); err != nil {
			fmt.Println("error:", err)
		}
		for range 2 {
			if _, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{testKey}}); err != nil {
				fmt.Println("error:", err)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoopGuard_DefaultCounterClashIsLogged$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOOPGUARD_CLASH_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 1, strings.Count(string(out), "share a cookie name"), "%s", out)
	assert.Contains(t, string(out), "name=authredirect_loop")
	assert.NotContains(t, string(out), "error:")
}

// Two guards with different windows on one counter each
// trip on their own limit. The 30 s guard used to drop the bucket the 60 s
// guard was counting in, so the long window never tripped.
func TestLoopGuard_GuardsWithDifferentWindowsTripOnTheirOwn(t *testing.T) {
	clk := newClock()
	counter := cookieCounter(t, loopguard.CookieConfig{Keys: [][]byte{testKey}})
	short := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Now: clk.Now}))
	long := guarded(t, newGuard(t, loopguard.Config{Counter: counter, Now: clk.Now, Window: time.Minute}))
	b := &browser{}
	for i := 1; i <= 3; i++ {
		require.Equal(t, http.StatusNoContent, b.arrive(t, short, "/a?client_id=loopy").Code, "short, arrival %d", i)
		require.Equal(t, http.StatusNoContent, b.arrive(t, long, "/b?client_id=loopy").Code, "long, arrival %d", i)
		clk.Advance(14 * time.Second)
	}
	// 42 s in: the short window has passed and starts again; the long one has not.
	assert.Equal(t, http.StatusNoContent, b.arrive(t, short, "/a?client_id=loopy").Code, "a new 30 s window")
	res := b.arrive(t, long, "/b?client_id=loopy")
	assert.Equal(t, http.StatusSeeOther, res.Code, "the 4th arrival within 60 s trips the long guard")
	assert.Equal(t, tripped, res.Header().Get("Location"))
}

// failing is a Counter whose store is down.
type failing struct{ err error }

func (f failing) Arrive(http.ResponseWriter, *http.Request, string, time.Time, time.Duration) (int, error) {
	return 0, f.err
}

// countingHandler counts the log records it is handed.
type countingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// The guard, not the counter, decides what a failure
// means: the request goes on, the observer hears of every failure, and the
// log gets one record however many fail in a burst.
func TestLoopGuard_CounterFailureFailsOpenAndIsReported(t *testing.T) {
	down := errors.New("store: connection refused")
	var causes []error
	logs := &countingHandler{}
	account := func(r *http.Request) string { return r.Header.Get("X-Account") }
	g := newGuard(t, loopguard.Config{
		Counter:        failing{down},
		AccountCounter: failing{down},
		AccountOf:      account,
		Uncounted:      func(_ *http.Request, err error) { causes = append(causes, err) },
		Logger:         slog.New(logs),
	})
	h := guarded(t, g)
	for i := range 100 {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
		if i%2 == 0 {
			req.Header.Set("X-Account", "jane")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNoContent, rec.Code, "arrival %d goes on uncounted", i)
	}
	require.Len(t, causes, 100, "every failure is reported")
	for _, err := range causes {
		assert.ErrorIs(t, err, down)
	}
	require.Len(t, logs.records, 1, "one log record for a burst of failures")
	assert.Equal(t, slog.LevelWarn, logs.records[0].Level)

	// A client that went away is no failure of the store.
	causes = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := newGuard(t, loopguard.Config{Counter: failing{context.Canceled}, Uncounted: func(_ *http.Request, err error) { causes = append(causes, err) }, Logger: slog.New(logs)})
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/oauth/authorize?client_id=loopy", nil)
	assert.NoError(t, gone.Count(httptest.NewRecorder(), req, "loopy"))
	assert.Empty(t, causes)
}

// A shared store counts only signed-in accounts; a
// signed-out browser is counted per browser, so no count belongs to a
// whole client. An AccountCounter without AccountOf is refused.
func TestLoopGuard_AccountsCounterNeverSeesAClientAlone(t *testing.T) {
	shared := &perKey{n: map[string]int{}}
	g := newGuard(t, keyed(t, loopguard.Config{AccountCounter: shared, AccountOf: func(r *http.Request) string { return r.Header.Get("X-Account") }}))
	h := guarded(t, g)
	for range 10 { // ten strangers, signed out, one arrival each
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil))
		require.Equal(t, http.StatusNoContent, rec.Code)
	}
	assert.Empty(t, shared.n, "signed-out browsers are counted in their own cookies")
	for i := 1; i <= 4; i++ { // one account, a fresh browser each time
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil)
		req.Header.Set("X-Account", "jane")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := http.StatusNoContent
		if i == 4 {
			want = http.StatusSeeOther
		}
		assert.Equal(t, want, rec.Code, "jane's arrival %d", i)
	}
	assert.Equal(t, map[string]int{"30s\x00demo\x00jane": 4}, shared.n)

	_, err := loopguard.New(loopguard.Config{AccountCounter: shared})
	assert.ErrorIs(t, err, loopguard.ErrConfig)
}

// With KnownClient, invented client ids make no counts.
func TestLoopGuard_KnownClientKeepsInventedIDsUncounted(t *testing.T) {
	shared := &perKey{n: map[string]int{}}
	g := newGuard(t, keyed(t, loopguard.Config{
		AccountCounter: shared,
		AccountOf:      func(*http.Request) string { return "jane" },
		KnownClient:    func(id string) bool { return id == "demo" },
	}))
	h := guarded(t, g)
	for i := range 2000 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=invented-"+strconv.Itoa(i), nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=demo", nil))
	assert.Equal(t, map[string]int{"30s\x00demo\x00jane": 1}, shared.n, "one key: the known client's")
}

// Each trip hands up an error of its own: an observer that overwrites the
// error it heard of changes nothing a later trip sends.
func TestLoopGuard_EachTripHasItsOwnError(t *testing.T) {
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"},
		Observer: func(ev middleware.Event) { *ev.Err = *codes.AccessDenied.Err() },
	})
	require.NoError(t, err)
	g := newGuard(t, keyed(t, loopguard.Config{}))
	h := alice.New(rc.Authorization, g.Middleware).ThenFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	for range 2 {
		b := &browser{}
		var res *httptest.ResponseRecorder
		for range 4 {
			res = b.arrive(t, h, "/oauth/authorize?client_id=loopy")
		}
		assert.Equal(t, tripped, res.Header().Get("Location"))
	}
}

// loopingError's Unwrap returns itself: errors.Is never returns on it.
type loopingError struct{}

func (*loopingError) Error() string   { return "store: looping" }
func (e *loopingError) Unwrap() error { return e }

// A counter's error is foreign: the guard's walk over it is bounded, so
// an error whose Unwrap loops, on a request whose client left, is
// reported as uncounted instead of hanging the request.
func TestLoopGuard_CounterErrorThatLoopsIsReported(t *testing.T) {
	var causes []error
	g := newGuard(t, loopguard.Config{
		Counter:   failing{&loopingError{}},
		Uncounted: func(_ *http.Request, err error) { causes = append(causes, err) },
		Logger:    slog.New(&countingHandler{}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=loopy", nil).WithContext(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		guarded(t, g).ServeHTTP(httptest.NewRecorder(), req)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // a generous guard, not a measure
		t.Fatal("the guard never returned: an endless walk")
	}
	require.Len(t, causes, 1)
}
