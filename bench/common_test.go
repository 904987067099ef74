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

// writer is a ResponseWriter like net/http's (Flusher, Hijacker,
// ReaderFrom) that reuses its header map, so that the benchmarks measure
// the middleware and not a recorder.
type writer struct {
	h    http.Header
	code int
}

func newWriter() *writer { return &writer{h: http.Header{}} }

func (w *writer) Header() http.Header         { return w.h }
func (w *writer) Write(p []byte) (int, error) { return len(p), nil }
func (w *writer) WriteHeader(code int)        { w.code = code }
func (w *writer) Flush()                      {}
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not supported")
}
func (w *writer) ReadFrom(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }

func (w *writer) reset() {
	clear(w.h)
	w.code = 0
}

// recoverer is authredirect's Recoverer on the contract's own pages, with
// a quiet observer: the benchmarks measure the library, not a logger.
func recoverer(b *testing.B) *ar.Recoverer {
	rc, err := ar.New(ar.Config{
		Pages:    render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage},
		Observer: ar.Quiet,
	})
	if err != nil {
		b.Fatal(err)
	}
	return rc
}
