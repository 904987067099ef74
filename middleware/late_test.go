package middleware_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// lateCalls makes every call a handler could make on a writer it kept past
// its return, each guarded so that a panic is reported rather than felt,
// and says how each went: "refused" when it returned an error or did
// nothing, anything else when it reached the writer beneath.
func lateCalls(w http.ResponseWriter, header http.Header) map[string]string {
	got := map[string]string{}
	try := func(name string, call func() error) {
		defer func() {
			if v := recover(); v != nil {
				got[name] = fmt.Sprintf("panicked: %v", v)
			}
		}()
		if err := call(); err != nil {
			got[name] = "refused"
		} else {
			got[name] = "went through"
		}
	}
	refusedIf := func(refused bool) error {
		if refused {
			return io.ErrClosedPipe // any error: the call was refused
		}
		return nil
	}
	try("Header", func() error {
		h := w.Header()
		h.Set("X-Late", "1")
		return refusedIf(reflect.ValueOf(h).Pointer() != reflect.ValueOf(header).Pointer())
	})
	try("WriteHeader", func() error { w.WriteHeader(http.StatusAccepted); return io.ErrClosedPipe })
	try("Write", func() error { _, err := w.Write([]byte("LEAK-1")); return err })
	try("WriteString", func() error { _, err := io.WriteString(w, "LEAK-2"); return err })
	try("ReadFrom", func() error {
		rf, ok := w.(io.ReaderFrom)
		if !ok {
			return io.ErrClosedPipe // HTTP/2's writer has none
		}
		_, err := rf.ReadFrom(strings.NewReader("LEAK-3"))
		return err
	})
	try("Flush", func() error {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return io.ErrClosedPipe
	})
	try("ResponseController.Flush", func() error { return http.NewResponseController(w).Flush() })
	try("Hijack", func() error {
		h, ok := w.(http.Hijacker)
		if !ok {
			return io.ErrClosedPipe
		}
		c, _, err := h.Hijack()
		if c != nil {
			c.Close()
		}
		return err
	})
	try("ResponseController.Hijack", func() error {
		c, _, err := http.NewResponseController(w).Hijack()
		if c != nil {
			c.Close()
		}
		return err
	})
	try("ResponseController.SetWriteDeadline", func() error {
		return http.NewResponseController(w).SetWriteDeadline(aLongTimeAgo)
	})
	try("Wrap", func() error { // a handler served late hands its error to no one
		middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return codes.InvalidScope }).
			ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/late", nil))
		return io.ErrClosedPipe
	})
	try("Unwrap.Write", func() error {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return io.ErrClosedPipe
		}
		_, err := u.Unwrap().Write([]byte("LEAK-4"))
		return err
	})
	return got
}

// A handler that keeps its writer past its return cannot reach the
// response, or the next one on the same connection: every late call is
// refused, none panics, the next answer's bytes are exact, and the first
// refused call is reported once.
func TestRoute_LateWriteIsRefused(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		t.Run(proto, func(t *testing.T) {
			obs := &events{}
			rec, _ := newRecover(t, testRoute{Observer: obs.observe})
			release := make(chan struct{})
			results := make(chan map[string]string, 1)
			srv := httptest.NewUnstartedServer(rec(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
				if r.URL.Path == "/keep" {
					header := w.Header()
					go func() {
						<-release
						results <- lateCalls(w, header)
					}()
				}
				_, err := io.WriteString(w, "answer to "+r.URL.Path)
				return err
			})))
			var conns atomic.Int32
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			var serverLog syncBuffer
			srv.Config.ErrorLog = newLogger(&serverLog)
			if proto == "HTTP/2.0" {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			get := func(path string) (*http.Response, string) {
				res, err := srv.Client().Get(srv.URL + path)
				require.NoError(t, err)
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				assert.Equal(t, proto, res.Proto)
				return res, string(body)
			}

			_, body := get("/keep")
			require.Equal(t, "answer to /keep", body)
			close(release) // the route returned long ago: the answer was received
			got := <-results

			res, body := get("/next")
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "answer to /next", body, "the late calls reached the next answer")
			assert.Empty(t, res.Header.Values("X-Late"))
			assert.Equal(t, int32(1), conns.Load(), "both requests went over one connection")
			for name, how := range got {
				assert.Equal(t, "refused", how, name)
			}
			assert.Len(t, got, 12)
			assert.Empty(t, serverLog.String(), "net/http saw a late call")
			evs := obs.list()
			if assert.Len(t, evs, 1, "the first refused call is reported, once") {
				assert.Equal(t, middleware.LateCall, evs[0].Outcome)
				assert.Equal(t, "/keep", evs[0].Request.URL.Path)
				assert.Error(t, evs[0].Cause)
				assert.Nil(t, evs[0].Err)
			}
		})
	}
}

// aLongTimeAgo is a deadline that has passed: set on a connection, it
// breaks every request that follows on it.
var aLongTimeAgo = time.Unix(1, 0)

// The default observer logs a late call at Error, and not every one: a
// buggy handler makes one a request.
func TestLogObserver_LateCallIsRateLimited(t *testing.T) {
	var buf syncBuffer
	log := middleware.LogObserver(slog.New(slog.NewJSONHandler(&buf, nil)))
	req := httptest.NewRequest(http.MethodGet, "/keep?token=t0ken", nil)
	for range 3 {
		log(middleware.Event{Request: req, Outcome: middleware.LateCall, Cause: errors.New("used after return")})
	}
	out := buf.String()
	assert.Equal(t, 1, strings.Count(out, "\n"), out)
	assert.Contains(t, out, `"level":"ERROR"`)
	assert.Contains(t, out, `"outcome":"late_call"`)
	assert.Contains(t, out, `"cause":"used after return"`)
	assert.Contains(t, out, `"path":"/keep"`)
	assert.NotContains(t, out, "t0ken")
}

// A copy whose reader writes to the same writer re-enters it during the
// handler: it is served, not deadlocked, on both writer shapes of
// net/http.
func TestRoute_ReentrantCopyIsServed(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		t.Run(proto, func(t *testing.T) {
			rec, ev := newRecover(t, testRoute{})
			srv := httptest.NewUnstartedServer(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
				_, err := io.Copy(w, io.TeeReader(strings.NewReader("abc"), w))
				return err
			})))
			if proto == "HTTP/2.0" {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			res, err := srv.Client().Get(srv.URL)
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Len(t, body, 6, "each byte read, then copied: %q", body)
			assert.Empty(t, ev.list())
		})
	}
}

// A call the handler's goroutine began before the route returned is
// waited for: it ends in the answer, and the route returns after it. (The
// copy is let go as the handler returns, so that a route that did not wait
// would race it; this test cannot force that race to be lost.)
func TestRoute_CallInFlightIsWaitedFor(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	done := make(chan error, 1)
	srv := httptest.NewServer(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		reading, release := make(chan struct{}), make(chan struct{})
		go func() {
			_, err := io.Copy(w, &blockingReader{reading: reading, release: release, data: "in flight"})
			done <- err
		}()
		<-reading // the copy is in flight when the handler returns
		defer close(release)
		return nil
	})))
	defer srv.Close()
	for range 20 {
		res, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "in flight", string(body))
		assert.NoError(t, <-done)
	}
}

// blockingReader signals reading on its first Read, then blocks until
// release is closed before it yields data.
type blockingReader struct {
	reading, release chan struct{}
	data             string
	started          bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if !b.started {
		b.started = true
		close(b.reading)
		<-b.release
	}
	if b.data == "" {
		return 0, io.EOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// A route returning while its handler's goroutine calls the writer: it
// returns once the calls it admitted have left (never waiting for ever,
// whatever the order in which the last one leaves and the route starts
// to wait), and no call reaches the writer beneath after it returned.
func TestRoute_ReturnRacesTheHandlersCalls(t *testing.T) {
	rec, _ := newRecover(t, testRoute{Observer: func(middleware.Event) {}})
	for range 300 {
		w := &afterReturnWriter{h: http.Header{}}
		var wg sync.WaitGroup
		h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
			wg.Add(1)
			go func() { // one goroutine: a writer is not for concurrent use
				defer wg.Done()
				for range 20 {
					_, _ = w.Write([]byte("x"))
				}
			}()
			runtime.Gosched()
			return nil
		}))
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		w.returned.Store(true)
		wg.Wait()
		require.Zero(t, w.late.Load(), "calls reached the writer after the route returned")
	}
}

// afterReturnWriter counts the calls that reach it once returned is set;
// each call yields first, so that calls are in flight as the route returns.
type afterReturnWriter struct {
	h        http.Header
	returned atomic.Bool
	late     atomic.Int32
}

func (w *afterReturnWriter) Header() http.Header { return w.h }
func (w *afterReturnWriter) WriteHeader(int)     { w.check() }
func (w *afterReturnWriter) Write(p []byte) (int, error) {
	w.check()
	return len(p), nil
}
func (w *afterReturnWriter) check() {
	runtime.Gosched() // the route may return meanwhile, if it does not wait
	if w.returned.Load() {
		w.late.Add(1)
	}
}
