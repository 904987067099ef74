package middleware

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
)

// tracker is the ResponseWriter that Recover hands down. It records whether
// the response has started, so that Recover never writes after it, and it
// carries the error that Wrap hands up. Trackers are pooled: the happy path
// allocates nothing.
//
// The writer a handler sees is one of eight single-pointer types below,
// chosen so that it has exactly the optional interfaces (http.Flusher,
// http.Hijacker, io.ReaderFrom) of the writer it wraps. A single-pointer
// struct fits in an interface without allocating.
type tracker struct {
	w        http.ResponseWriter
	started  bool // a final header, a body byte or a flush went out
	hijacked bool
	err      error // returned by the handler through Wrap
}

var trackers = sync.Pool{New: func() any { return new(tracker) }}

func getTracker(w http.ResponseWriter) *tracker {
	t := trackers.Get().(*tracker)
	t.w = w
	return t
}

func (t *tracker) release() {
	*t = tracker{}
	trackers.Put(t)
}

// fail records the error a handler returned; Recover reads it when the
// handler returns.
func (t *tracker) fail(err error) { t.err = err }

func (t *tracker) self() *tracker { return t }

func (t *tracker) Header() http.Header { return t.w.Header() }

func (t *tracker) Write(p []byte) (int, error) {
	t.started = true
	return t.w.Write(p)
}

// WriteHeader marks the response started for a final status; informational
// 1xx headers (other than 101) leave it open, as net/http does.
func (t *tracker) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		t.started = true
	}
	t.w.WriteHeader(code)
}

// Unwrap lets http.ResponseController and other wrappers reach the writer
// beneath.
func (t *tracker) Unwrap() http.ResponseWriter { return t.w }

func (t *tracker) flush() {
	t.started = true
	t.w.(http.Flusher).Flush()
}

func (t *tracker) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := t.w.(http.Hijacker).Hijack()
	if err == nil {
		t.hijacked = true
	}
	return c, rw, err
}

func (t *tracker) readFrom(r io.Reader) (int64, error) {
	t.started = true
	return t.w.(io.ReaderFrom).ReadFrom(r)
}

// writer returns the variant of t that matches t.w's optional interfaces.
func (t *tracker) writer() http.ResponseWriter {
	if _, ok := t.w.(fullWriter); ok { // net/http's HTTP/1 writer: one check
		return fhrWriter{t}
	}
	_, f := t.w.(http.Flusher)
	_, h := t.w.(http.Hijacker)
	_, r := t.w.(io.ReaderFrom)
	switch {
	case f && h && r:
		return fhrWriter{t}
	case f && h:
		return fhWriter{t}
	case f && r:
		return frWriter{t}
	case h && r:
		return hrWriter{t}
	case f:
		return fWriter{t}
	case h:
		return hWriter{t}
	case r:
		return rWriter{t}
	}
	return plainWriter{t}
}

type fullWriter interface {
	http.Flusher
	http.Hijacker
	io.ReaderFrom
}

type (
	plainWriter struct{ *tracker }
	fWriter     struct{ *tracker }
	hWriter     struct{ *tracker }
	rWriter     struct{ *tracker }
	fhWriter    struct{ *tracker }
	frWriter    struct{ *tracker }
	hrWriter    struct{ *tracker }
	fhrWriter   struct{ *tracker }
)

func (w fWriter) Flush()   { w.flush() }
func (w fhWriter) Flush()  { w.flush() }
func (w frWriter) Flush()  { w.flush() }
func (w fhrWriter) Flush() { w.flush() }

func (w hWriter) Hijack() (net.Conn, *bufio.ReadWriter, error)   { return w.hijack() }
func (w fhWriter) Hijack() (net.Conn, *bufio.ReadWriter, error)  { return w.hijack() }
func (w hrWriter) Hijack() (net.Conn, *bufio.ReadWriter, error)  { return w.hijack() }
func (w fhrWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }

func (w rWriter) ReadFrom(r io.Reader) (int64, error)   { return w.readFrom(r) }
func (w frWriter) ReadFrom(r io.Reader) (int64, error)  { return w.readFrom(r) }
func (w hrWriter) ReadFrom(r io.Reader) (int64, error)  { return w.readFrom(r) }
func (w fhrWriter) ReadFrom(r io.Reader) (int64, error) { return w.readFrom(r) }

// Compile-time checks that each variant keeps exactly its interfaces.
var (
	_ http.Flusher  = fhrWriter{}
	_ http.Hijacker = fhrWriter{}
	_ io.ReaderFrom = fhrWriter{}
	_ http.Flusher  = fWriter{}
	_ http.Hijacker = hWriter{}
	_ io.ReaderFrom = rWriter{}
)
