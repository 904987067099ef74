package middleware_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// shapeBase is a ResponseWriter with no optional interface that records
// which method each body write came through.
type shapeBase struct {
	h            http.Header
	body         bytes.Buffer
	writes       int
	stringWrites int
}

func (b *shapeBase) Header() http.Header { return b.h }
func (b *shapeBase) Write(p []byte) (int, error) {
	b.writes++
	return b.body.Write(p)
}
func (b *shapeBase) WriteHeader(int) {}

// One part per optional interface; a shape is shapeBase plus some parts.
type (
	flushPart  struct{ b *shapeBase }
	hijackPart struct{ b *shapeBase }
	readPart   struct{ b *shapeBase }
	stringPart struct{ b *shapeBase }
)

func (flushPart) Flush() {}
func (hijackPart) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not here")
}
func (p readPart) ReadFrom(r io.Reader) (int64, error) { return io.Copy(p.b, r) }
func (p stringPart) WriteString(s string) (int, error) {
	p.b.stringWrites++
	return p.b.body.WriteString(s)
}

// allShapes gives a writer for each of the 16 combinations of Flusher,
// Hijacker, ReaderFrom and StringWriter, all on one shapeBase.
func allShapes(b *shapeBase) map[string]http.ResponseWriter {
	f, h, r, s := flushPart{b}, hijackPart{b}, readPart{b}, stringPart{b}
	return map[string]http.ResponseWriter{
		"plain": b,
		"F": struct {
			*shapeBase
			flushPart
		}{b, f},
		"H": struct {
			*shapeBase
			hijackPart
		}{b, h},
		"R": struct {
			*shapeBase
			readPart
		}{b, r},
		"S": struct {
			*shapeBase
			stringPart
		}{b, s},
		"FH": struct {
			*shapeBase
			flushPart
			hijackPart
		}{b, f, h},
		"FR": struct {
			*shapeBase
			flushPart
			readPart
		}{b, f, r},
		"FS (HTTP/2's shape)": struct {
			*shapeBase
			flushPart
			stringPart
		}{b, f, s},
		"HR": struct {
			*shapeBase
			hijackPart
			readPart
		}{b, h, r},
		"HS": struct {
			*shapeBase
			hijackPart
			stringPart
		}{b, h, s},
		"RS": struct {
			*shapeBase
			readPart
			stringPart
		}{b, r, s},
		"FHR": struct {
			*shapeBase
			flushPart
			hijackPart
			readPart
		}{b, f, h, r},
		"FHS": struct {
			*shapeBase
			flushPart
			hijackPart
			stringPart
		}{b, f, h, s},
		"FRS": struct {
			*shapeBase
			flushPart
			readPart
			stringPart
		}{b, f, r, s},
		"HRS": struct {
			*shapeBase
			hijackPart
			readPart
			stringPart
		}{b, h, r, s},
		"FHRS (HTTP/1's shape)": struct {
			*shapeBase
			flushPart
			hijackPart
			readPart
			stringPart
		}{b, f, h, r, s},
	}
}

// optional reports which optional interfaces w has, in the order Flusher,
// Hijacker, ReaderFrom, StringWriter.
func optional(w http.ResponseWriter) [4]bool {
	_, f := w.(http.Flusher)
	_, h := w.(http.Hijacker)
	_, r := w.(io.ReaderFrom)
	_, s := w.(io.StringWriter)
	return [4]bool{f, h, r, s}
}

// On every one of the 16 shapes the writer a handler gets keeps exactly
// the Flusher, Hijacker and ReaderFrom of the wrapped writer, has Unwrap,
// and always offers WriteString: io.WriteString reaches the wrapped
// writer's WriteString where it has one, and its Write (with the same
// bytes, as io.WriteString itself would) where it has none.
func TestWriter_KeepsInterfacesAndStringWriterOnEveryShape(t *testing.T) {
	for name := range allShapes(&shapeBase{h: http.Header{}}) {
		t.Run(name, func(t *testing.T) {
			b := &shapeBase{h: http.Header{}}
			w := allShapes(b)[name]
			want := optional(w)
			rec, ev := newRecover(t, testRoute{})
			var got [4]bool
			var unwrapped http.ResponseWriter
			aborts(t, rec(middleware.Wrap(func(hw http.ResponseWriter, _ *http.Request) error {
				got = optional(hw)
				if u, ok := hw.(interface{ Unwrap() http.ResponseWriter }); ok {
					unwrapped = u.Unwrap()
				}
				n, err := io.WriteString(hw, "hello")
				require.NoError(t, err)
				assert.Equal(t, 5, n)
				return codes.ServerError // the response has started: aborted
			})), w, httptest.NewRequest(http.MethodGet, "/", nil))

			assert.Equal(t, [3]bool(want[:3]), [3]bool(got[:3]), "Flusher, Hijacker, ReaderFrom kept exactly")
			assert.True(t, got[3], "WriteString offered")
			assert.Equal(t, w, unwrapped, "Unwrap gives the wrapped writer")
			assert.Equal(t, "hello", b.body.String())
			if want[3] {
				assert.Equal(t, [2]int{0, 1}, [2]int{b.writes, b.stringWrites}, "reached WriteString")
			} else {
				assert.Equal(t, [2]int{1, 0}, [2]int{b.writes, b.stringWrites}, "reached Write")
			}
			require.Len(t, ev.list(), 1)
			assert.Equal(t, middleware.Aborted, ev.list()[0].Outcome, "WriteString starts the response")
		})
	}
}

// The happy path allocates once (the route's writer) on any writer shape,
// including a WriteString on a writer that has one.
func TestRecoverer_HappyPathAllocatesOnceOnEveryShape(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusOK)
		_, err := io.WriteString(w, "hello")
		return err
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b := &shapeBase{h: http.Header{}}
	for name, w := range allShapes(b) {
		_, hasWriteString := w.(io.StringWriter)
		if !hasWriteString {
			continue // io.WriteString copies the string, with or without a route
		}
		assert.Equal(t, 1.0, testing.AllocsPerRun(1000, func() { b.body.Reset(); h.ServeHTTP(w, req) }), name)
	}
	noop := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	for name, w := range allShapes(b) {
		assert.Equal(t, 1.0, testing.AllocsPerRun(1000, func() { noop.ServeHTTP(w, req) }), name)
	}
	assert.Empty(t, ev.list())
}

// realServers starts net/http's HTTP/1 server and its HTTP/2 server over
// TLS on h, and returns a client for each, which follows no redirect.
func realServers(t *testing.T, h http.Handler) map[string]func() (*http.Response, error) {
	t.Helper()
	h1 := httptest.NewServer(h)
	t.Cleanup(h1.Close)
	h2 := httptest.NewUnstartedServer(h)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	t.Cleanup(h2.Close)
	for _, c := range []*http.Client{h1.Client(), h2.Client()} {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return map[string]func() (*http.Response, error){
		"HTTP/1.1": func() (*http.Response, error) { return h1.Client().Get(h1.URL) },
		"HTTP/2": func() (*http.Response, error) {
			res, err := h2.Client().Get(h2.URL)
			if err == nil && res.ProtoMajor != 2 {
				err = errors.New("not HTTP/2: " + res.Proto)
			}
			return res, err
		},
	}
}

// On net/http's own writers (HTTP/1 and HTTP/2 over TLS), the writer below
// a Recoverer route has their shape, and io.WriteString reaches their WriteString
// without allocating, as it does without a route.
func TestWriter_WriteStringAllocatesNothingOnRealServers(t *testing.T) {
	type seen struct {
		shape, under [4]bool
		allocs       float64
	}
	results := make(chan seen, 1)
	rec, ev := newRecover(t, testRoute{})
	h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		u := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
		// 101 writes of 8 bytes stay in the servers' buffers (2 KiB and
		// 4 KiB), so that no network write is counted.
		allocs := testing.AllocsPerRun(100, func() { _, _ = io.WriteString(w, "12345678") })
		results <- seen{shape: optional(w), under: optional(u), allocs: allocs}
		return nil
	}))
	for name, get := range realServers(t, h) {
		t.Run(name, func(t *testing.T) {
			res, err := get()
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat("12345678", 101), string(body))
			s := <-results
			want := map[string][4]bool{"HTTP/1.1": {true, true, true, true}, "HTTP/2": {true, false, false, true}}[name]
			assert.Equal(t, want, s.under, "net/http's writer has the expected shape")
			assert.Equal(t, want, s.shape, "the writer below a Recoverer route has the same shape")
			assert.Zero(t, s.allocs, "io.WriteString through a Recoverer route allocates nothing")
		})
	}
	assert.Empty(t, ev.list())
}
