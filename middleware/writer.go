package middleware

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// ErrWriterReleased is what a handler's writer returns once the handler has
// returned and its Recoverer route has finished the request: net/http
// forbids using a ResponseWriter then, and such a late write must never
// reach another request's response. (A write from another goroutine that races the
// handler's return is a data race, as it is with net/http's own writer; the
// race detector reports it.)
var ErrWriterReleased = errors.New("authredirect/middleware: ResponseWriter used after its handler returned")

// tracker is the state behind the ResponseWriter that a Recoverer route
// hands down. It records whether the response has started, so that the
// route never writes after it, and it carries the error that Wrap hands up. Trackers are
// pooled: the happy path allocates nothing.
//
// A handler's writer does not point at the tracker itself but at one of its
// leases, one per request served. When the request ends the lease is cut,
// so a writer a handler kept fails with ErrWriterReleased instead of
// writing into whatever request the tracker serves next. A lease is never
// handed out twice: a tracker that has used them all is left to the
// garbage collector, which frees it once no handler holds one of its
// writers. That costs one allocation per leasesPerTracker requests.
type tracker struct {
	w        http.ResponseWriter
	started  bool // a final header, a body byte or a flush went out
	hijacked bool
	err      error   // returned by the handler through Wrap
	first    [1]byte // readFrom's first byte
	leases   [leasesPerTracker]lease
	used     int // leases handed out
}

const leasesPerTracker = 64

// lease ties one request's writer to the tracker; nil once released. The
// pointer is plain, not atomic: a handler may only use its writer until it
// returns, and one that races its own return from another goroutine is
// told so by the race detector.
type lease struct{ t *tracker }

var trackers = sync.Pool{New: func() any { return new(tracker) }}

// getTracker leases a tracker for one request on w.
func getTracker(w http.ResponseWriter) (*tracker, *lease) {
	t := trackers.Get().(*tracker)
	t.w = w
	l := &t.leases[t.used]
	t.used++
	l.t = t
	return t, l
}

// release cuts the lease and returns the tracker to the pool, unless it has
// no lease left.
func (t *tracker) release(l *lease) {
	l.t = nil
	t.w, t.started, t.hijacked, t.err = nil, false, false, nil
	if t.used < leasesPerTracker {
		trackers.Put(t)
	}
}

func (l *lease) self() *tracker { return l.t }

func (l *lease) Header() http.Header {
	if t := l.t; t != nil {
		return t.w.Header()
	}
	return http.Header{} // a late handler's changes go nowhere
}

func (l *lease) Write(p []byte) (int, error) {
	t := l.t
	if t == nil {
		return 0, ErrWriterReleased
	}
	t.started = true
	return t.w.Write(p)
}

// WriteHeader marks the response started for a final status; informational
// 1xx headers (other than 101) leave it open, as net/http does.
func (l *lease) WriteHeader(code int) {
	t := l.t
	if t == nil {
		return
	}
	if code >= 200 || code == http.StatusSwitchingProtocols {
		t.started = true
	}
	t.w.WriteHeader(code)
}

// Unwrap lets http.ResponseController and other wrappers reach the writer
// beneath; after release, a writer that refuses everything. When that
// writer is a wrapper that hides a Hijack of a writer under it (a foreign
// middleware whose writer only has Unwrap), the controller's Hijack would
// walk past us, so it gets the writer seen through the lease ([beneath]),
// and walking on reaches the writer itself.
func (l *lease) Unwrap() http.ResponseWriter {
	t := l.t
	if t == nil {
		return releasedWriter{}
	}
	if _, ok := t.w.(http.Hijacker); !ok && hijackerUnder(t.w) {
		return beneath{l}
	}
	return t.w
}

// hijackerUnder reports whether a writer that w unwraps to can hijack. The
// walk is bounded: a foreign Unwrap may loop.
func hijackerUnder(w http.ResponseWriter) bool {
	for range 64 {
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

// beneath is the writer under the lease seen through it: a Hijack made by
// walking Unwrap (http.ResponseController's) is recorded like one made on
// the lease, and so is everything written. Its own Unwrap is the writer.
type beneath struct{ *lease }

func (b beneath) Hijack() (net.Conn, *bufio.ReadWriter, error) { return b.hijack() }

func (b beneath) Unwrap() http.ResponseWriter {
	if t := b.t; t != nil {
		return t.w
	}
	return releasedWriter{}
}

// WriteString writes s through the wrapped writer's WriteString where it
// has one, without copying s; otherwise through Write, exactly as
// io.WriteString would.
func (l *lease) WriteString(s string) (int, error) {
	t := l.t
	if t == nil {
		return 0, ErrWriterReleased
	}
	t.started = true
	if sw, ok := any(t.w).(io.StringWriter); ok { // any: see writer
		return sw.WriteString(s)
	}
	return t.w.Write([]byte(s))
}

// FlushError is what http.ResponseController.Flush calls before it looks
// for Flush or Unwrap. Every variant has it, so such a flush is seen even
// when no writer above has a Flush of its own: without it the controller
// would walk Unwrap past us (through a foreign wrapper that only has
// Unwrap, say) and flush net/http's writer behind the route's back. It
// grants nothing a type assertion on http.Flusher could find.
func (l *lease) FlushError() error {
	t := l.t
	if t == nil {
		return ErrWriterReleased
	}
	err := http.NewResponseController(t.w).Flush()
	if err == nil {
		t.started = true
	}
	return err
}

func (l *lease) flush() {
	if t := l.t; t != nil {
		t.started = true
		t.w.(http.Flusher).Flush()
	}
}

func (l *lease) hijack() (net.Conn, *bufio.ReadWriter, error) {
	t := l.t
	if t == nil {
		return nil, nil, ErrWriterReleased
	}
	c, rw, err := http.NewResponseController(t.w).Hijack() // t.w's or one under it
	if err == nil {
		t.hijacked = true
	}
	return c, rw, err
}

func (l *lease) readFrom(r io.Reader) (int64, error) {
	t := l.t
	if t == nil {
		return 0, ErrWriterReleased
	}
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

// releasedWriter is what Unwrap gives after release; it has no optional
// interfaces, so http.ResponseController answers ErrNotSupported.
type releasedWriter struct{}

func (releasedWriter) Header() http.Header       { return http.Header{} }
func (releasedWriter) Write([]byte) (int, error) { return 0, ErrWriterReleased }
func (releasedWriter) WriteHeader(int)           {}

// writer returns the variant of l that matches w's optional interfaces.
//
// The choice is one type switch. Since Go 1.22 the runtime caches, per
// switch and per dynamic type, which case matched (no match included), so
// once a type has been seen a few thousand times the choice costs one
// cache probe on every shape: net/http's HTTP/1 writer, its HTTP/2 writer,
// a plain one. Chained assertions cost one probe each, and a cache of our
// own keyed by reflect.TypeOf measured slower (BENCHMARKS.md).
//
// The switch is on any(w), not w: for a non-empty interface the runtime
// starts its probe at the itab's hash, which is zero in itabs made at run
// time (a writer converted from one interface type to another), so such a
// writer would miss the cache on every request and pay one lookup per
// case; an empty interface's probe starts at the type's own hash.
func (l *lease) writer(w http.ResponseWriter) http.ResponseWriter {
	switch any(w).(type) {
	case fhrShape: // net/http's HTTP/1 writer
		return fhrWriter{l}
	case fhShape:
		return fhWriter{l}
	case frShape:
		return frWriter{l}
	case hrShape:
		return hrWriter{l}
	case http.Flusher: // net/http's HTTP/2 writer
		return fWriter{l}
	case http.Hijacker:
		return hWriter{l}
	case io.ReaderFrom:
		return rWriter{l}
	}
	return plainWriter{l}
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

// The eight variants: single-pointer structs, which fit in an interface
// without allocating. Each keeps exactly the Flusher, Hijacker and
// ReaderFrom of the wrapped writer.
//
// Every variant has WriteString, through the embedded *lease, whether or
// not the wrapped writer has it. That changes nothing a handler can
// observe: io.WriteString, the one way callers use it, does exactly what
// the fallback does (Write([]byte(s))) when a writer has no WriteString,
// the same bytes reach the same Write, and the fallback allocates the same
// copy io.WriteString would have made. Unlike Flusher or Hijacker,
// StringWriter grants no capability a caller could test for and then miss.
// Mirroring it exactly would double the variants to 16 and the type switch
// above with them, for no difference on the wire.
type (
	plainWriter struct{ *lease }
	fWriter     struct{ *lease }
	hWriter     struct{ *lease }
	rWriter     struct{ *lease }
	fhWriter    struct{ *lease }
	frWriter    struct{ *lease }
	hrWriter    struct{ *lease }
	fhrWriter   struct{ *lease }
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
	_ io.StringWriter = plainWriter{}
)
