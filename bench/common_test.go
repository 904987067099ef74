package bench

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	ar "github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// base is the part of every benchmark writer: it reuses its header map and
// body buffer, so that the benchmarks measure the middleware and not a
// recorder. Write copies the body, as a server's buffered writer does.
type base struct {
	h    http.Header
	code int
	body []byte
}

func (w *base) Header() http.Header { return w.h }
func (w *base) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}
func (w *base) writeString(s string) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, s...)
	return len(s), nil
}
func (w *base) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// reset readies w for the next request, keeping the header map.
func (w *base) reset() {
	clear(w.h)
	w.code, w.body = 0, w.body[:0]
}

// fresh readies w for the next request with a new header map, as net/http
// gives each request (it allocates a response and its header map per
// request).
func (w *base) fresh() {
	w.h = make(http.Header)
	w.code, w.body = 0, w.body[:0]
}

// writer has the shape of net/http's HTTP/1 writer: Flusher, Hijacker,
// ReaderFrom, StringWriter and CloseNotifier (TestShapes_MatchNetHTTP
// checks it).
type writer struct{ base }

func newWriter() *writer { return &writer{base{h: http.Header{}}} }

func (w *writer) Flush() {}
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not supported")
}
func (w *writer) ReadFrom(r io.Reader) (int64, error) { return io.Copy(&w.base, r) }
func (w *writer) WriteString(s string) (int, error)   { return w.writeString(s) }
func (w *writer) CloseNotify() <-chan bool            { return nil }

// h2Writer has the shape of net/http's HTTP/2 writer: Flusher,
// StringWriter, CloseNotifier and Pusher; no Hijacker, no ReaderFrom.
type h2Writer struct{ base }

func (w *h2Writer) Flush()                               {}
func (w *h2Writer) WriteString(s string) (int, error)    { return w.writeString(s) }
func (w *h2Writer) CloseNotify() <-chan bool             { return nil }
func (w *h2Writer) Push(string, *http.PushOptions) error { return http.ErrNotSupported }

// plainWriter has no optional interface, like the writers of many
// wrapping middlewares.
type plainWriter struct{ base }

// shape is one benchmark writer. w holds it as net/http hands writers to
// handlers: converted from its concrete type.
type shape struct {
	name string
	w    http.ResponseWriter
	b    *base
}

// shapes gives one writer of each shape, HTTP/1's first.
func shapes() []shape {
	h1 := newWriter()
	h2 := &h2Writer{base{h: http.Header{}}}
	plain := &plainWriter{base{h: http.Header{}}}
	return []shape{{"http1", h1, &h1.base}, {"http2", h2, &h2.base}, {"plain", plain, &plain.base}}
}

// recoverer is authredirect's Recoverer on the contract's own pages, with
// a quiet observer: the benchmarks measure the library, not a logger.
func recoverer(b *testing.B) *ar.Recoverer {
	rc, err := ar.New(ar.Config{
		Render:   render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage},
		Observer: ar.Quiet,
	})
	if err != nil {
		b.Fatal(err)
	}
	return rc
}
