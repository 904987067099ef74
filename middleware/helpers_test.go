package middleware_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// events collects what an observer hears.
type events struct {
	mu  sync.Mutex
	all []middleware.Event
}

func (e *events) observe(ev middleware.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) list() []middleware.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]middleware.Event(nil), e.all...)
}

// testPages sends errors to local pages, as a real service would.
var testPages = render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/"}

// testRoute is what a test asks of a route; zero fields take the tests'
// defaults: an authorization route that redirects to testPages, observed
// into the events newRecover returns.
type testRoute struct {
	Kind     codes.Kind
	Mode     middleware.Mode
	Render   render.Config
	Observer middleware.Observer
}

func newRecover(t testing.TB, cfg testRoute) (func(http.Handler) http.Handler, *events) {
	t.Helper()
	ev := &events{}
	if cfg.Kind == 0 {
		cfg.Kind = codes.Authorization
	}
	if reflect.ValueOf(cfg.Render).IsZero() {
		cfg.Render = testPages
	}
	if cfg.Observer == nil {
		cfg.Observer = ev.observe
	}
	rc, err := middleware.New(middleware.Config{Render: cfg.Render, Observer: cfg.Observer})
	require.NoError(t, err)
	return rc.Route(cfg.Kind, cfg.Mode), ev
}

// countingWriter is a minimal ResponseWriter that counts WriteHeader calls
// and reuses its header map.
type countingWriter struct {
	h            http.Header
	code         int
	writeHeaders int
	body         []byte
}

func newCountingWriter() *countingWriter { return &countingWriter{h: http.Header{}} }

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.body = append(w.body, p...)
	return len(p), nil
}
func (w *countingWriter) WriteHeader(code int) {
	w.writeHeaders++
	if w.code == 0 {
		w.code = code
	}
}

// opaqueWrapper stands for a foreign middleware whose writer has no Unwrap.
type opaqueWrapper struct{ http.ResponseWriter }

func opaque(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(opaqueWrapper{w}, r)
	})
}

// unwrappingWrapper stands for a well-behaved foreign middleware.
type unwrappingWrapper struct{ http.ResponseWriter }

func (u unwrappingWrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func unwrapping(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(unwrappingWrapper{w}, r)
	})
}

// Writers with some of the optional interfaces (writer_shapes_test.go has
// every combination).
type (
	baseW struct{ *countingWriter }
	fW    struct{ baseW }
	fhW   struct{ fW }
	fhrW  struct{ fhW }
)

func (fW) Flush()                                        {}
func (fhW) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errors.New("no") }
func (fhrW) ReadFrom(io.Reader) (int64, error)           { return 0, nil }

// newLogger is a server error log writing to w.
func newLogger(w io.Writer) *log.Logger { return log.New(w, "", 0) }

// syncBuffer is a bytes.Buffer safe for a server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// aborts serves h and requires that the route aborted the response as
// net/http aborts it: by panicking with http.ErrAbortHandler.
func aborts(t testing.TB, h http.Handler, w http.ResponseWriter, r *http.Request) {
	t.Helper()
	require.PanicsWithValue(t, http.ErrAbortHandler, func() { h.ServeHTTP(w, r) })
}

// serveAborting serves h and reports whether the route aborted the
// response (panicked with http.ErrAbortHandler, which net/http turns into
// a cut connection); any other panic goes on.
func serveAborting(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}
