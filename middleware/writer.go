package middleware

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/authredirect/authredirect/codes"
)

// writer is the ResponseWriter a Recoverer route hands down, one per
// request. It records whether the response has started, so that the route
// never writes after it, and it carries the error that Wrap hands up.
//
// Once the route returns, the writer refuses every call (see enter): a
// handler's goroutine that kept it must not reach net/http's writer, which
// by then may be writing another request's answer on the same connection.
type writer struct {
	w        http.ResponseWriter
	err      error         // returned by the handler through Wrap
	r        *http.Request // for the observer, once a call is refused
	observer Observer

	// wake is closed for the route waiting in close; nil unless it waits.
	wake atomic.Pointer[chan struct{}]
	// calls counts the calls in flight on w, plus routeReturned once the
	// route returned, plus lateReported once a refused call was observed;
	// the route waits for the count of calls to drop to 0 on wake.
	calls    atomic.Int32
	started  bool // a final header, a body byte or a flush went out
	partial  bool // started when the error was handed up
	hijacked bool
	first    [1]byte // readFrom's first byte
}

// routeReturned is added to writer.calls when the route returns, and
// lateReported when the first refused call is observed. One word holds
// them and the count: the writer is allocated for every request, and a
// word less keeps it in a smaller size class.
const (
	routeReturned = 1 << 30
	lateReported  = 1 << 29
)

// errReturned is what a call on the route's writer returns once the route
// returned: the response is net/http's no longer.
var errReturned = errors.New("authredirect/middleware: a ResponseWriter was used after its handler returned")

// enter admits a call to the writer beneath, which must then end with
// leave, or refuses it once the route returned. A counter, not a lock: a
// call that re-enters the writer (an io.Copy whose reader writes to w, as
// io.TeeReader does) is admitted again, and the happy path pays two
// uncontended atomic adds per call. enter and leave are small enough to
// be inlined; refuse and wakeRoute, the rare paths, are not.
func (t *writer) enter() bool {
	return t.calls.Add(1) < routeReturned || t.refuse()
}

// refuse undoes a refused call's count and reports the request's first
// refused call to the observer. It returns false, for enter.
func (t *writer) refuse() bool {
	t.leave()
	if t.calls.Or(lateReported)&lateReported == 0 {
		t.observer(Event{Request: t.r, Outcome: LateCall, Cause: errReturned})
	}
	return false
}

// leave ends a call that enter admitted (or refused), waking the route
// when it was the last one in flight after the route returned.
func (t *writer) leave() {
	if t.calls.Add(-1)&^lateReported == routeReturned {
		t.wakeRoute()
	}
}

// wakeRoute wakes the route if it waits; of the calls that may try at
// once, the one that takes wake closes it. A refused call, which finds no
// route waiting, only reads it.
func (t *writer) wakeRoute() {
	if t.wake.Load() == nil {
		return
	}
	if wake := t.wake.Swap(nil); wake != nil {
		close(*wake)
	}
}

// close is called by the route once the handler returned (or panicked):
// from then on every call is refused, and close waits for the calls still
// in flight, which are the handler's own and bounded as it is by the
// server's timeouts. Small enough to be inlined; wait, the rare path, is
// not.
func (t *writer) close() {
	if t.calls.Add(routeReturned) != routeReturned {
		t.wait()
	}
}

// wait blocks the route until the calls in flight left, on a channel, not
// spinning.
func (t *writer) wait() {
	wake := make(chan struct{})
	t.wake.Store(&wake)
	// The last call may have left before wake was set, and found none to
	// close.
	if t.calls.Load()&^lateReported == routeReturned {
		return
	}
	<-wake
}

// closed reports whether the route returned.
func (t *writer) closed() bool { return t.calls.Load() >= routeReturned }

func (t *writer) self() *writer { return t }

// Header is the header map of the writer beneath; once the route returned,
// a new empty map that nothing reads.
func (t *writer) Header() http.Header {
	if !t.enter() {
		return http.Header{}
	}
	defer t.leave()
	return t.w.Header()
}

func (t *writer) Write(p []byte) (int, error) {
	if !t.enter() {
		return 0, errReturned
	}
	defer t.leave()
	t.started = true
	return t.w.Write(p)
}

// WriteHeader marks the response started for a final status; informational
// 1xx headers (other than 101) leave it open, as net/http does.
func (t *writer) WriteHeader(code int) {
	if !t.enter() {
		return
	}
	defer t.leave()
	if code >= 200 || code == http.StatusSwitchingProtocols {
		t.started = true
	}
	t.w.WriteHeader(code)
}

// WriteString writes s through the wrapped writer's WriteString where it
// has one, without copying s; otherwise through Write, as io.WriteString
// would.
func (t *writer) WriteString(s string) (int, error) {
	if !t.enter() {
		return 0, errReturned
	}
	defer t.leave()
	t.started = true
	if sw, ok := t.w.(io.StringWriter); ok {
		return sw.WriteString(s)
	}
	return t.w.Write([]byte(s))
}

// FlushError is what http.ResponseController.Flush calls before it looks
// for Flush or Unwrap. Every variant has it, so that such a flush is seen
// even when the writer beneath has no Flush of its own: without it the
// controller would walk Unwrap past us (through a foreign wrapper that
// only has Unwrap, say) and flush net/http's writer behind the route's
// back. It grants nothing a type assertion on http.Flusher could find.
func (t *writer) FlushError() error {
	if !t.enter() {
		return errReturned
	}
	defer t.leave()
	err := flushUnder(t.w)
	if err == nil {
		t.started = true
	}
	return err
}

// Unwrap lets http.ResponseController and other wrappers reach the writer
// beneath. When that writer is a wrapper that hides a Hijack of a writer
// under it (a foreign middleware whose writer only has Unwrap), the
// controller's Hijack would walk past us, so it gets that writer seen
// through this one ([beneath]), and walking on reaches the writer itself.
// Once the route returned it is a writer that refuses everything and
// unwraps no further ([late]).
func (t *writer) Unwrap() http.ResponseWriter {
	if t.closed() {
		return late{t}
	}
	if _, ok := t.w.(http.Hijacker); !ok && hijackerUnder(t.w) {
		return beneath{t}
	}
	return t.w
}

// flushUnder flushes w as http.ResponseController does, walking Unwrap to
// a writer that flushes, but bounded: a foreign Unwrap may loop.
func flushUnder(w http.ResponseWriter) error {
	for range codes.MaxUnwrap {
		switch v := w.(type) {
		case interface{ FlushError() error }:
			return v.FlushError()
		case http.Flusher:
			v.Flush()
			return nil
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return http.ErrNotSupported
		}
	}
	return http.ErrNotSupported
}

// hijackerUnder reports whether a writer that w unwraps to can hijack. The
// walk is bounded: a foreign Unwrap may loop.
func hijackerUnder(w http.ResponseWriter) bool {
	for range codes.MaxUnwrap {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		if w = u.Unwrap(); w == nil {
			return false
		}
		if _, ok := w.(http.Hijacker); ok {
			return true
		}
	}
	return false
}

// beneath is the writer under the route's seen through it: a Hijack made
// by walking Unwrap (http.ResponseController's) is recorded like one made
// on the route's writer, and so is everything written. Its own Unwrap is
// the writer beneath.
type beneath struct{ *writer }

func (b beneath) Hijack() (net.Conn, *bufio.ReadWriter, error) { return b.hijack() }
func (b beneath) Unwrap() http.ResponseWriter {
	if b.closed() {
		return late{b.writer}
	}
	return b.w
}

// late is what Unwrap hands out once the route returned: every call is
// refused by the route's writer, and nothing unwraps further, so that no
// walk (http.ResponseController's) reaches net/http's writer.
type late struct{ t *writer }

func (l late) Header() http.Header         { return l.t.Header() }
func (l late) Write(p []byte) (int, error) { return l.t.Write(p) }
func (l late) WriteHeader(code int)        { l.t.WriteHeader(code) }

func (t *writer) flush() {
	if !t.enter() {
		return
	}
	defer t.leave()
	t.started = true
	t.w.(http.Flusher).Flush()
}

func (t *writer) hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !t.enter() {
		return nil, nil, errReturned
	}
	defer t.leave()
	c, rw, err := http.NewResponseController(t.w).Hijack() // t.w's or one under it
	if err == nil {
		t.hijacked = true
	}
	return c, rw, err
}

func (t *writer) readFrom(r io.Reader) (int64, error) {
	if !t.enter() {
		return 0, errReturned
	}
	defer t.leave()
	rf := t.w.(io.ReaderFrom)
	if t.started {
		return rf.ReadFrom(r)
	}
	// The response starts with the first byte copied, not with the call:
	// writers differ on an empty copy (net/http's sends nothing, chi's
	// sends the header), so none sees the copy before it has a byte.
	// Read as io.Copy does: retry an empty read, and keep an error that
	// comes with the byte.
	var n int
	var err error
	for n == 0 && err == nil {
		n, err = r.Read(t.first[:])
	}
	if err == io.EOF {
		err = nil
	}
	if n == 0 {
		return 0, err
	}
	t.started = true
	if n, werr := t.w.Write(t.first[:]); werr != nil {
		return int64(n), werr
	}
	if err != nil {
		return 1, err
	}
	m, err := rf.ReadFrom(r)
	return 1 + m, err
}

// handOut returns t as the handler sees it: a variant that keeps exactly
// the Flusher, Hijacker and ReaderFrom of the writer it wraps, as
// httpsnoop and chi's middleware do. Each variant is a single pointer, so
// it fits in an interface without allocating.
//
// Every variant has WriteString, whether or not the wrapped writer has it.
// That changes nothing a handler can observe: io.WriteString, the one way
// callers use it, does exactly what the fallback does when a writer has
// none. Unlike Flusher or Hijacker, StringWriter grants no capability a
// caller could test for and then miss.
func (t *writer) handOut() http.ResponseWriter {
	switch t.w.(type) {
	case fhrShape: // net/http's HTTP/1 writer
		return fhrWriter{t}
	case fhShape:
		return fhWriter{t}
	case frShape:
		return frWriter{t}
	case hrShape:
		return hrWriter{t}
	case http.Flusher: // net/http's HTTP/2 writer
		return fWriter{t}
	case http.Hijacker:
		return hWriter{t}
	case io.ReaderFrom:
		return rWriter{t}
	}
	return t
}

type (
	fhrShape interface {
		http.Flusher
		http.Hijacker
		io.ReaderFrom
	}
	fhShape interface {
		http.Flusher
		http.Hijacker
	}
	frShape interface {
		http.Flusher
		io.ReaderFrom
	}
	hrShape interface {
		http.Hijacker
		io.ReaderFrom
	}
)

type (
	fWriter   struct{ *writer }
	hWriter   struct{ *writer }
	rWriter   struct{ *writer }
	fhWriter  struct{ *writer }
	frWriter  struct{ *writer }
	hrWriter  struct{ *writer }
	fhrWriter struct{ *writer }
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

// Compile-time checks that the variants keep their interfaces.
var (
	_ fhrShape        = fhrWriter{}
	_ fhShape         = fhWriter{}
	_ frShape         = frWriter{}
	_ hrShape         = hrWriter{}
	_ http.Flusher    = fWriter{}
	_ http.Hijacker   = hWriter{}
	_ io.ReaderFrom   = rWriter{}
	_ io.StringWriter = &writer{}
)
