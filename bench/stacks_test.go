package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/felixge/httpsnoop"
	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/authredirect/authredirect/codes"
	ar "github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// ---- harness ---------------------------------------------------------------

// events collects the observer's events; each arrives on a channel, so a
// test waits for exactly the events it expects, never for time.
type events chan ar.Event

func (ev events) observer(e ar.Event) { ev <- e }

func (ev events) next(t *testing.T) ar.Event {
	t.Helper()
	select {
	case e := <-ev:
		return e
	case <-time.After(10 * time.Second): // a safety net against hanging, not a synchronization
		t.Fatal("no observer event")
		return ar.Event{}
	}
}

func (ev events) none(t *testing.T) {
	t.Helper()
	select {
	case e := <-ev:
		t.Errorf("unexpected observer event: %v %v", e.Outcome, e.Err)
	default:
	}
}

func newStackRecoverer(t *testing.T, ev events) *ar.Recoverer {
	t.Helper()
	rc, err := ar.New(ar.Config{
		Render:   render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
		Observer: ev.observer,
	})
	require.NoError(t, err)
	return rc
}

type stackServer struct {
	*httptest.Server
	logs   *syncLog
	client *http.Client
}

// start serves h over HTTP/1.1, or HTTP/2 over TLS when h2 is set, with the
// server's ErrorLog captured and a client that stops at redirects and does
// not decompress on its own.
func startStack(t *testing.T, h http.Handler, h2 bool, foreign ...string) *stackServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	logs := &syncLog{}
	srv.Config.ErrorLog = log.New(logs, "", 0)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if tr, ok := client.Transport.(*http.Transport); ok {
		tr.DisableCompression = true
		tr.DisableKeepAlives = !h2 // a GET cut before its header would be retried on a reused connection
	}
	s := &stackServer{Server: srv, logs: logs, client: client}
	t.Cleanup(func() {
		srv.Close()
		var kept []string
	lines:
		for _, line := range strings.Split(logs.String(), "\n") {
			for _, f := range foreign { // a line the foreign middleware itself causes
				if strings.Contains(line, f) {
					continue lines
				}
			}
			kept = append(kept, line)
		}
		l := strings.Join(kept, "\n")
		assert.NotContains(t, l, "superfluous", "server ErrorLog")
		assert.NotContains(t, l, "hijacked connection", "server ErrorLog")
	})
	return s
}

type stackAnswer struct {
	res     *http.Response
	body    []byte
	doErr   error
	readErr error
}

func (s *stackServer) do(t *testing.T, method, path string, hdr ...string) stackAnswer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		return stackAnswer{doErr: err}
	}
	defer res.Body.Close()
	b, rerr := io.ReadAll(res.Body)
	return stackAnswer{res: res, body: b, readErr: rerr}
}

// cut says whether the client saw a broken response rather than a whole one.
func (a stackAnswer) cut() bool { return a.doErr != nil || a.readErr != nil }

// ---- handlers ----------------------------------------------------------------

var big = strings.Repeat("x", 64<<10)

// scenario handlers, selected by the last path segment.
func scenario(name string) func(w http.ResponseWriter, r *http.Request) error {
	switch name {
	case "typed":
		return func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/html; charset=utf-8") // set, then fail before writing
			w.Header().Set("Content-Length", "12")
			return codes.InvalidScope
		}
	case "plain":
		return func(http.ResponseWriter, *http.Request) error { return errors.New("db down: secret-cause") }
	case "panic":
		return func(http.ResponseWriter, *http.Request) error { panic("boom: secret-cause") }
	case "panic-small":
		return func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<html>partial")
			panic("boom after a small write")
		}
	case "panic-big":
		return func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, big)
			panic("boom after a big write")
		}
	case "flush-panic":
		return func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "part")
			_ = http.NewResponseController(w).Flush() // ErrNotSupported under http.TimeoutHandler
			panic("boom after a flush")
		}
	case "flush-fail":
		return func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "part")
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			} else if err := http.NewResponseController(w).Flush(); err != nil {
				return err
			}
			return codes.InvalidScope
		}
	case "client":
		return func(http.ResponseWriter, *http.Request) error { return codes.InvalidClient }
	}
	panic("unknown scenario " + name)
}

// app is the service: authorization routes under /a/, the login page
// /login (failing on itself), a JSON route /token. inner sits between each
// route's Recoverer and its handler (the library outside the foreign
// middleware).
func stackApp(rc *ar.Recoverer, inner func(http.Handler) http.Handler) http.Handler {
	if inner == nil {
		inner = func(h http.Handler) http.Handler { return h }
	}
	mux := http.NewServeMux()
	mux.Handle("/a/", rc.Authorization(inner(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		ar.Wrap(scenario(name)).ServeHTTP(w, r)
	}))))
	mux.Handle("/login", rc.Authentication(inner(ar.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.Unauthorized
	}))))
	mux.Handle("/token", rc.JSON(inner(ar.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidClient.WithCause(errors.New("secret-cause"))
	}))))
	return mux
}

// ---- the common checks ---------------------------------------------------------

type stack struct {
	name  string
	outer func(http.Handler) http.Handler // the library inside
	inner func(http.Handler) http.Handler // the library outside
	h2    bool
	gzip  bool // responses may be gzip-compressed
	proxy bool // a reverse proxy in front: a cut before the header is a 502
}

func stackBody(t *testing.T, a stackAnswer) string {
	t.Helper()
	if a.res.Header.Get("Content-Encoding") == "gzip" {
		if a.res.Request.Method == http.MethodHead {
			return ""
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.body))
		require.NoError(t, err, "gzip body")
		b, err := io.ReadAll(zr)
		require.NoError(t, err, "gzip body")
		return string(b)
	}
	return string(a.body)
}

func checkStack(t *testing.T, st stack) {
	ev := make(events, 16)
	rc := newStackRecoverer(t, ev)
	var h http.Handler = stackApp(rc, st.inner)
	if st.outer != nil {
		h = st.outer(h)
	}
	srv := startStack(t, h, st.h2)
	front := srv
	if st.proxy {
		u, _ := url.Parse(srv.URL)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.Transport = srv.client.Transport
		rp.ErrorLog = log.New(io.Discard, "", 0)
		front = startStack(t, rp, false)
	}
	ae := "identity"
	if st.gzip {
		ae = "gzip"
	}
	get := func(method, path string, hdr ...string) stackAnswer {
		return front.do(t, method, path, append([]string{"Accept-Encoding", ae}, hdr...)...)
	}
	redirect := func(path, loc string, panicked bool) {
		t.Helper()
		for _, m := range []string{"GET", "HEAD"} {
			a := get(m, path)
			if !assert.NoError(t, a.doErr, "%s %s", m, path) || !assert.NoError(t, a.readErr) {
				ev.next(t)
				continue
			}
			assert.Equal(t, http.StatusSeeOther, a.res.StatusCode, "%s %s", m, path)
			assert.Equal(t, loc, a.res.Header.Get("Location"), "%s %s", m, path)
			assert.Equal(t, "no-store", a.res.Header.Get("Cache-Control"))
			assert.Empty(t, a.res.Header.Get("Content-Encoding"), "%s %s", m, path)
			assert.NotContains(t, string(a.body), "secret")
			e := ev.next(t)
			assert.Equal(t, ar.Redirected, e.Outcome, "%s %s", m, path)
			assert.Equal(t, panicked, e.Panicked)
		}
	}
	redirect("/a/typed", "/ooops?oauth_exception=invalid_scope", false)
	redirect("/a/plain", "/ooops?oauth_exception=server_error", false)
	redirect("/a/panic", "/ooops?oauth_exception=server_error", true)

	for _, p := range []string{"/a/panic-small", "/a/panic-big", "/a/flush-panic"} {
		a := get("GET", p)
		ok := a.cut() || st.proxy && a.res.StatusCode == http.StatusBadGateway
		assert.True(t, ok, "%s: the client must see a cut, got %v %q", p, statusOf(a), trunc(a.body))
		e := ev.next(t)
		assert.Equal(t, ar.Aborted, e.Outcome, p)
	}

	// An error after a flushed part: the response is aborted as after a
	// panic, never ended as if whole.
	a := get("GET", "/a/flush-fail")
	ok := a.cut() || st.proxy && a.res.StatusCode == http.StatusBadGateway
	assert.True(t, ok, "flush-fail: the client must see a cut, got %v %q", statusOf(a), trunc(a.body))
	assert.Equal(t, ar.Aborted, ev.next(t).Outcome, "flush-fail")

	for _, m := range []string{"GET", "HEAD"} {
		a := get(m, "/login")
		if assert.NoError(t, a.doErr) && assert.NoError(t, a.readErr) {
			assert.Equal(t, http.StatusUnauthorized, a.res.StatusCode, m+" /login")
			assert.Empty(t, a.res.Header.Get("Location"))
			assert.Equal(t, "text/html; charset=utf-8", a.res.Header.Get("Content-Type"))
			assert.Equal(t, `Bearer realm="accounts"`, a.res.Header.Get("WWW-Authenticate"))
			if m == "GET" {
				assert.Contains(t, stackBody(t, a), "unauthorized")
			} else {
				assert.Empty(t, a.body)
			}
		}
		assert.Equal(t, ar.LoopStopped, ev.next(t).Outcome, m+" /login")
	}
	a = get("POST", "/login")
	if assert.NoError(t, a.doErr) {
		assert.Equal(t, http.StatusSeeOther, a.res.StatusCode)
		assert.Equal(t, "/login?identity_exception=unauthorized", a.res.Header.Get("Location"))
	}
	assert.Equal(t, ar.Redirected, ev.next(t).Outcome)

	for _, m := range []string{"POST", "HEAD"} {
		a := get(m, "/token")
		if assert.NoError(t, a.doErr) && assert.NoError(t, a.readErr) {
			assert.Equal(t, http.StatusUnauthorized, a.res.StatusCode)
			assert.Equal(t, `Basic realm="accounts"`, a.res.Header.Get("WWW-Authenticate"))
			assert.Equal(t, "application/json; charset=utf-8", a.res.Header.Get("Content-Type"))
			if cl := a.res.Header.Get("Content-Length"); cl != "" && m != "HEAD" {
				assert.Equal(t, cl, strconv.Itoa(len(a.body)), "%s /token: Content-Length vs body", m)
			}
			if m == "POST" {
				b := stackBody(t, a)
				var j map[string]string
				assert.NoError(t, json.Unmarshal([]byte(b), &j), "json body %q", b)
				assert.Equal(t, "invalid_client", j["error"])
				assert.NotContains(t, b, "secret")
			}
		}
		assert.Equal(t, ar.WroteJSON, ev.next(t).Outcome, m+" /token")
	}
	ev.none(t)
}

func statusOf(a stackAnswer) any {
	if a.res == nil {
		return a.doErr
	}
	return a.res.StatusCode
}

func trunc(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// ---- the stacks -----------------------------------------------------------------

func chiLogger() func(http.Handler) http.Handler {
	return chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(io.Discard, "", 0), NoColor: true})
}

func chiMount(h http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(chimw.RequestID, chimw.WithValue(ctxKey{}, "v"), chimw.StripSlashes)
	r.Mount("/", h)
	return r
}

type ctxKey struct{}

func allStacks() []stack {
	compress := chimw.Compress(5)
	return []stack{
		{name: "plain"},
		{name: "compress-outside-lib", outer: compress, gzip: true},
		{name: "compress-inside-lib", inner: compress, gzip: true},
		{name: "logger-outside-lib", outer: chiLogger()},
		{name: "logger-inside-lib", inner: chiLogger()},
		{name: "chi-recoverer-outside-lib", outer: chimw.Recoverer},
		{name: "chi-timeout-outside-lib", outer: chimw.Timeout(time.Minute)},
		{name: "chi-timeout-inside-lib", inner: chimw.Timeout(time.Minute)},
		{name: "chi-router-mount", outer: chiMount},
		{name: "chi-throttle", outer: chimw.Throttle(100)},
		{name: "stdlib-timeouthandler-outside-lib", outer: func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "timeout") }},
		{name: "stdlib-maxbytes", outer: func(h http.Handler) http.Handler { return http.MaxBytesHandler(h, 1<<20) }},
		{name: "reverse-proxy-in-front", proxy: true},
		{name: "otelhttp-outside-lib", outer: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "x") }},
		{name: "otelhttp-inside-lib", inner: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "x") }},
		{name: "snoop-outside-lib", outer: snoop},
		{name: "snoop-inside-lib", inner: snoop},
		{name: "compress+logger-inside-lib", inner: func(h http.Handler) http.Handler { return compress(chiLogger()(h)) }, gzip: true},
		{name: "logger+compress-outside-lib", outer: func(h http.Handler) http.Handler { return chiLogger()(compress(h)) }, gzip: true},
	}
}

func TestStacks_EveryStack(t *testing.T) {
	for _, st := range allStacks() {
		for _, h2 := range []bool{false, true} {
			st := st
			st.h2 = h2
			name := st.name + "/h1"
			if h2 {
				name = st.name + "/h2"
			}
			t.Run(name, func(t *testing.T) { checkStack(t, st) })
		}
	}
}

// ---- slow handlers under timeout middlewares ---------------------------------------

// slow waits for its request's deadline and fails with it, then says so on done.
func slow(done chan<- struct{}, ret func(ctx context.Context) error) http.Handler {
	return ar.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		defer close(done)
		<-r.Context().Done()
		return ret(r.Context())
	})
}

func ctxErr(ctx context.Context) error { return ctx.Err() }

func TestStacks_TimeoutHandlerSlow_LibOutside(t *testing.T) {
	ev := make(events, 4)
	rc := newStackRecoverer(t, ev)
	done := make(chan struct{})
	srv := startStack(t, rc.Authorization(http.TimeoutHandler(slow(done, ctxErr), 20*time.Millisecond, "timed out")), false)
	a := srv.do(t, "GET", "/x")
	require.NoError(t, a.doErr)
	<-done
	t.Logf("client got %d %q", a.res.StatusCode, a.body)
	assert.Equal(t, http.StatusServiceUnavailable, a.res.StatusCode)
	srv.Close()
	ev.none(t)
}

func TestStacks_ChiTimeoutSlow(t *testing.T) {
	for _, outside := range []bool{false, true} {
		t.Run(map[bool]string{false: "lib-inside", true: "lib-outside"}[outside], func(t *testing.T) {
			ev := make(events, 4)
			rc := newStackRecoverer(t, ev)
			done := make(chan struct{})
			var h http.Handler
			if outside {
				h = rc.Authorization(chimw.Timeout(20 * time.Millisecond)(slow(done, ctxErr)))
			} else {
				h = chimw.Timeout(20 * time.Millisecond)(rc.Authorization(slow(done, ctxErr)))
			}
			// chi's Timeout writes its 504 whatever was written before: its own superfluous call.
			srv := startStack(t, h, false, "chi/v5/middleware.Timeout", "(timeout.go:")
			a := srv.do(t, "GET", "/x")
			require.NoError(t, a.doErr)
			<-done
			e := ev.next(t)
			if outside { // chi writes 504 first: the library writes nothing more
				assert.Equal(t, http.StatusGatewayTimeout, a.res.StatusCode)
				assert.Equal(t, ar.Suppressed, e.Outcome)
			} else { // the library answers server_error; chi's 504 comes too late
				assert.Equal(t, http.StatusSeeOther, a.res.StatusCode)
				assert.Equal(t, "/ooops?oauth_exception=server_error", a.res.Header.Get("Location"))
				assert.Equal(t, ar.Redirected, e.Outcome)
			}
		})
	}
}

// ---- hijack under foreign wrappers ----------------------------------------------------

// wrapperStacks are the foreign middlewares that wrap the writer, each
// inside and outside the library.
func wrapperStacks() []stack {
	compress := chimw.Compress(5)
	return []stack{
		{name: "plain"},
		{name: "compress-outside-lib", outer: compress},
		{name: "compress-inside-lib", inner: compress},
		{name: "logger-outside-lib", outer: chiLogger()},
		{name: "logger-inside-lib", inner: chiLogger()},
		{name: "otelhttp-outside-lib", outer: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "x") }},
		{name: "otelhttp-inside-lib", inner: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "x") }},
	}
}

func TestStacks_HijackThenFail(t *testing.T) {
	for _, st := range append(wrapperStacks(),
		stack{name: "snoop-inside-lib", inner: snoop},
		stack{name: "snoop-outside-lib", outer: snoop},
	) {
		for _, how := range []string{"error", "panic"} {
			t.Run(st.name+"/"+how, func(t *testing.T) {
				ev := make(events, 4)
				rc := newStackRecoverer(t, ev)
				inner := st.inner
				if inner == nil {
					inner = func(h http.Handler) http.Handler { return h }
				}
				var h http.Handler = rc.Authorization(inner(ar.Wrap(func(w http.ResponseWriter, r *http.Request) error {
					c, brw, err := http.NewResponseController(w).Hijack()
					if err != nil {
						return err
					}
					_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
					_ = brw.Flush()
					_ = c.Close()
					if how == "panic" {
						panic("boom after hijack")
					}
					return codes.InvalidScope
				})))
				if st.outer != nil {
					h = st.outer(h)
				}
				srv := startStack(t, h, false)
				a := srv.do(t, "GET", "/x")
				if assert.NoError(t, a.doErr) {
					assert.Equal(t, 200, a.res.StatusCode)
					assert.Equal(t, "ok", string(a.body))
				}
				assert.Equal(t, ar.Suppressed, ev.next(t).Outcome)
			})
		}
	}
}

func snoop(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpsnoop.CaptureMetrics(h, w, r)
	})
}

// ---- the login page under prefixes and routers ------------------------------------

func TestStacks_LoginPageUnderPrefixes(t *testing.T) {
	ev := make(events, 16)
	rc, err := ar.New(ar.Config{Render: render.Config{ErrorPage: "/auth/ooops", LoginPage: "/auth/login"}, Observer: ev.observer})
	require.NoError(t, err)
	login := rc.Authentication(ar.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.IdentityLost }))
	sub := http.NewServeMux()
	sub.Handle("/login", login)
	std := http.NewServeMux()
	std.Handle("/auth/", http.StripPrefix("/auth", sub))
	cr := chi.NewRouter()
	cr.Use(chimw.CleanPath, chimw.StripSlashes)
	cr.Route("/auth", func(r chi.Router) {
		r.Use(chimw.RequestID)
		r.Handle("/login", login)
	})
	chiSrv := startStack(t, chimw.Compress(5)(cr), false)
	stdSrv := startStack(t, chimw.Compress(5)(std), false)
	for _, c := range []struct {
		srv       *stackServer
		path, loc string
	}{
		{stdSrv, "/auth/login", ""},
		{stdSrv, "/auth/%6cogin", ""},
		{chiSrv, "/auth/login", ""},
		{chiSrv, "/auth/login/", "/auth/login?identity_exception=identity_lost"},
		{chiSrv, "/auth//login", "/auth/login?identity_exception=identity_lost"},
	} {
		srv := c.srv
		a := srv.do(t, "GET", c.path, "Accept-Encoding", "gzip")
		require.NoError(t, a.doErr, c.path)
		t.Logf("%s -> %d %q", c.path, a.res.StatusCode, a.res.Header.Get("Location"))
		e := ev.next(t)
		if c.loc == "" {
			assert.Equal(t, http.StatusUnauthorized, a.res.StatusCode, c.path)
			assert.Equal(t, ar.LoopStopped, e.Outcome, c.path)
			assert.Contains(t, stackBody(t, a), "identity_lost", c.path)
		} else {
			assert.Equal(t, http.StatusSeeOther, a.res.StatusCode, c.path)
			assert.Equal(t, c.loc, a.res.Header.Get("Location"), c.path)
			assert.Equal(t, ar.Redirected, e.Outcome, c.path)
		}
	}
}

// ---- informational headers before a failure ------------------------------------------

func TestStacks_EarlyHintsThenFail(t *testing.T) {
	for _, st := range wrapperStacks() {
		for _, h2 := range []bool{false, true} {
			t.Run(st.name+map[bool]string{false: "/h1", true: "/h2"}[h2], func(t *testing.T) {
				ev := make(events, 4)
				rc := newStackRecoverer(t, ev)
				inner := st.inner
				if inner == nil {
					inner = func(h http.Handler) http.Handler { return h }
				}
				var h http.Handler = rc.Authorization(inner(ar.Wrap(func(w http.ResponseWriter, r *http.Request) error {
					w.Header().Set("Link", "</style.css>; rel=preload; as=style")
					w.WriteHeader(http.StatusEarlyHints)
					return codes.InvalidScope
				})))
				if st.outer != nil {
					h = st.outer(h)
				}
				srv := startStack(t, h, h2)
				a := srv.do(t, "GET", "/x")
				if assert.NoError(t, a.doErr) {
					assert.Equal(t, http.StatusSeeOther, a.res.StatusCode)
					assert.Equal(t, "/ooops?oauth_exception=invalid_scope", a.res.Header.Get("Location"))
				}
				assert.Equal(t, ar.Redirected, ev.next(t).Outcome)
			})
		}
	}
}

// ---- the library outside http.TimeoutHandler, handler fast -----------------------------

func TestStacks_TimeoutHandlerInside_FastFailures(t *testing.T) {
	ev := make(events, 16)
	rc := newStackRecoverer(t, ev)
	srv := startStack(t, stackApp(rc, func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "t") }), false)
	for _, c := range []struct{ path, loc string }{
		{"/a/typed", "/ooops?oauth_exception=invalid_scope"},
		{"/a/plain", "/ooops?oauth_exception=server_error"},
		{"/a/panic", "/ooops?oauth_exception=server_error"},
		{"/a/panic-small", "/ooops?oauth_exception=server_error"}, // buffered by TimeoutHandler: nothing was sent
	} {
		a := srv.do(t, "GET", c.path)
		if assert.NoError(t, a.doErr) {
			assert.Equal(t, http.StatusSeeOther, a.res.StatusCode, c.path)
			assert.Equal(t, c.loc, a.res.Header.Get("Location"), c.path)
		}
		assert.Equal(t, ar.Redirected, ev.next(t).Outcome, c.path)
	}
	a := srv.do(t, "GET", "/login")
	if assert.NoError(t, a.doErr) {
		assert.Equal(t, http.StatusUnauthorized, a.res.StatusCode)
	}
	assert.Equal(t, ar.LoopStopped, ev.next(t).Outcome)
	a = srv.do(t, "POST", "/token")
	if assert.NoError(t, a.doErr) {
		assert.Equal(t, http.StatusUnauthorized, a.res.StatusCode)
		assert.Contains(t, string(a.body), `"invalid_client"`)
	}
	assert.Equal(t, ar.WroteJSON, ev.next(t).Outcome)
}

// ---- the client goes away -----------------------------------------------------------

func TestStacks_ClientGone(t *testing.T) {
	compress := chimw.Compress(5)
	th := func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "t") }
	for _, st := range []stack{
		{name: "plain"},
		{name: "compress-outside-lib", outer: compress},
		{name: "compress-inside-lib", inner: compress},
		{name: "logger-outside-lib", outer: chiLogger()},
		{name: "chi-timeout-outside-lib", outer: chimw.Timeout(time.Minute)},
		{name: "chi-timeout-inside-lib", inner: chimw.Timeout(time.Minute)},
		{name: "timeouthandler-outside-lib", outer: th},
		{name: "otelhttp-outside-lib", outer: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "x") }},
	} {
		for _, h2 := range []bool{false, true} {
			t.Run(st.name+map[bool]string{false: "/h1", true: "/h2"}[h2], func(t *testing.T) {
				ev := make(events, 4)
				rc := newStackRecoverer(t, ev)
				inner := st.inner
				if inner == nil {
					inner = func(h http.Handler) http.Handler { return h }
				}
				waiting := make(chan struct{})
				var h http.Handler = rc.Authorization(inner(ar.Wrap(func(w http.ResponseWriter, r *http.Request) error {
					close(waiting)
					<-r.Context().Done()
					return r.Context().Err()
				})))
				if st.outer != nil {
					h = st.outer(h)
				}
				srv := startStack(t, h, h2)
				ctx, cancel := context.WithCancel(context.Background())
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/x", nil)
				go func() { <-waiting; cancel() }()
				_, err := srv.client.Do(req)
				assert.Error(t, err)
				assert.Equal(t, ar.ClientGone, ev.next(t).Outcome)
			})
		}
	}
}

// ---- a reverse proxy below the library ---------------------------------------------------

func TestStacks_ReverseProxyBelowLib(t *testing.T) {
	release := make(chan struct{})
	upstream := startStack(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stream-cut":
			_, _ = io.WriteString(w, "part")
			w.(http.Flusher).Flush()
			<-release
			panic(http.ErrAbortHandler)
		case "/500":
			http.Error(w, "upstream failed", http.StatusInternalServerError)
		}
	}), false)
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			ev := make(events, 4)
			rc := newStackRecoverer(t, ev)
			u, _ := url.Parse(upstream.URL)
			rp := httputil.NewSingleHostReverseProxy(u)
			rp.FlushInterval = -1
			rp.ErrorLog = log.New(io.Discard, "", 0)
			srv := startStack(t, chimw.Compress(5)(rc.Authorization(rp)), h2)
			a := srv.do(t, "GET", "/500")
			require.NoError(t, a.doErr)
			assert.Equal(t, 500, a.res.StatusCode)
			res, err := srv.client.Get(srv.URL + "/stream-cut")
			require.NoError(t, err)
			buf := make([]byte, 4)
			_, err = io.ReadFull(res.Body, buf)
			require.NoError(t, err)
			release <- struct{}{}
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
			assert.Error(t, err, "the cut must reach the client")
			ev.none(t)
		})
	}
}

// ---- an oversized form under body limits and compression ---------------------------------

func TestStacks_OversizedFormUnderLimits(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			ev := make(events, 4)
			rc := newStackRecoverer(t, ev)
			h := chimw.Compress(5)(http.MaxBytesHandler(rc.JSON(ar.ParseForm(1024)(ar.Wrap(func(http.ResponseWriter, *http.Request) error {
				return nil
			}))), 4096))
			srv := startStack(t, h, h2)
			for _, n := range []int{2000, 8000} { // small enough to sit in socket buffers: no RST race on the client
				req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader("a="+strings.Repeat("x", n)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Accept-Encoding", "gzip")
				res, err := srv.client.Do(req)
				if !assert.NoError(t, err, n) {
					ev.next(t)
					continue
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				require.NoError(t, err)
				a := stackAnswer{res: res, body: b}
				assert.Equal(t, 400, res.StatusCode)
				assert.Contains(t, stackBody(t, a), `"invalid_request"`)
				assert.Equal(t, ar.WroteJSON, ev.next(t).Outcome)
			}
		})
	}
}
