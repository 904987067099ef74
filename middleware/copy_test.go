package middleware_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// errFirstSource returns its one byte together with a (non-sticky) error,
// and io.EOF after that: iotest.DataErrReader over iotest.TimeoutReader.
func errFirstSource() io.Reader {
	return iotest.DataErrReader(iotest.TimeoutReader(strings.NewReader("a")))
}

// readerFromWriter is a writer beneath the route with a ReaderFrom.
type readerFromWriter struct{ *countingWriter }

func (w readerFromWriter) ReadFrom(r io.Reader) (int64, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(r)
	w.Write(buf.Bytes())
	return n, err
}

// TestWriter_CopyKeepsTheFirstReadsError: io.Copy through the route's
// writer reports an error the source returns with its first byte, as
// io.Copy does without the route.
func TestWriter_CopyKeepsTheFirstReadsError(t *testing.T) {
	// What io.Copy reports for this source on a writer with ReaderFrom.
	var buf bytes.Buffer
	n, err := io.Copy(&buf, errFirstSource())
	require.Equal(t, int64(1), n)
	require.ErrorIs(t, err, iotest.ErrTimeout)

	rec, _ := newRecover(t, testRoute{})
	var gotN int64
	var gotErr error
	rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		gotN, gotErr = io.Copy(w, errFirstSource())
		return nil
	})).ServeHTTP(readerFromWriter{newCountingWriter()}, httptest.NewRequest(http.MethodGet, "/x", nil))
	assert.Equal(t, int64(1), gotN)
	assert.ErrorIs(t, gotErr, iotest.ErrTimeout, "the copy's error is lost")
}

// TestWriter_CopyKeepsTheFirstReadsErrorOnARealServer: the same on
// net/http's writer, with the route and without.
func TestWriter_CopyKeepsTheFirstReadsErrorOnARealServer(t *testing.T) {
	for _, routed := range []bool{false, true} {
		errs := make(chan error, 1)
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, err := io.Copy(w, errFirstSource())
			errs <- err
		})
		if routed {
			rec, _ := newRecover(t, testRoute{})
			h = rec(h)
		}
		srv := httptest.NewServer(h)
		res, err := srv.Client().Get(srv.URL + "/x")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		srv.Close()
		assert.ErrorIs(t, <-errs, iotest.ErrTimeout, "routed=%v", routed)
	}
}

// TestWriter_CopyFromEverySourceAsNetHTTPDoes: sources of every kind copy
// the same bytes and counts through the route as without it, on a real
// server (sendfile included).
func TestWriter_CopyFromEverySourceAsNetHTTPDoes(t *testing.T) {
	dir := t.TempDir()
	content := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	path := filepath.Join(dir, "f.bin")
	require.NoError(t, os.WriteFile(path, content, 0o600))
	type result struct {
		n   int64
		err error
	}
	sources := map[string]func() io.Reader{
		"file":             func() io.Reader { f, _ := os.Open(path); return f },
		"file, no WriteTo": func() io.Reader { f, _ := os.Open(path); return struct{ io.Reader }{f} },
		"limited file":     func() io.Reader { f, _ := os.Open(path); return io.LimitReader(f, 5000) },
		"one byte reads":   func() io.Reader { return iotest.OneByteReader(bytes.NewReader(content)) },
		"half reads":       func() io.Reader { return iotest.HalfReader(bytes.NewReader(content)) },
		"data with EOF":    func() io.Reader { return iotest.DataErrReader(bytes.NewReader(content)) },
		"one byte + EOF":   func() io.Reader { return iotest.DataErrReader(strings.NewReader("z")) },
		"empty":            func() io.Reader { return struct{ io.Reader }{strings.NewReader("")} },
		"error":            func() io.Reader { return iotest.ErrReader(errors.New("boom")) },
	}
	for name, src := range sources {
		for _, routed := range []bool{false, true} {
			results := make(chan result, 1)
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				r := src()
				n, err := w.(io.ReaderFrom).ReadFrom(r)
				if c, ok := r.(io.Closer); ok {
					c.Close()
				}
				results <- result{n, err}
			})
			if routed {
				rec, _ := newRecover(t, testRoute{})
				h = rec(h)
			}
			srv := httptest.NewServer(h)
			res, err := srv.Client().Get(srv.URL + "/x")
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			srv.Close()
			got := <-results
			var want bytes.Buffer
			wn, werr := want.ReadFrom(src())
			if werr != nil {
				assert.Error(t, got.err, "%s routed=%v", name, routed)
			} else {
				assert.NoError(t, got.err, "%s routed=%v", name, routed)
				assert.Equal(t, wn, got.n, "%s routed=%v", name, routed)
				assert.True(t, bytes.Equal(want.Bytes(), body), "%s routed=%v: %d bytes, want %d", name, routed, len(body), want.Len())
			}
		}
	}
}

// TestWriter_ServeFileThroughTheRoute: ServeContent (io.CopyN of an
// *os.File: the sendfile path) with and without ranges.
func TestWriter_ServeFileThroughTheRoute(t *testing.T) {
	dir := t.TempDir()
	content := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f.bin"), content, 0o600))
	rec, _ := newRecover(t, testRoute{})
	srv := httptest.NewServer(rec(http.FileServer(http.Dir(dir))))
	defer srv.Close()
	for _, rng := range []string{"", "bytes=0-0", "bytes=1-", "bytes=700-60000", "bytes=0-0,5-9"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/f.bin", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch rng {
		case "":
			assert.True(t, bytes.Equal(content, body))
		case "bytes=0-0":
			assert.Equal(t, "0", string(body))
		case "bytes=1-":
			assert.True(t, bytes.Equal(content[1:], body))
		case "bytes=700-60000":
			assert.True(t, bytes.Equal(content[700:60001], body))
		default:
			assert.Contains(t, string(body), "\r\n\r\n0\r\n")
		}
	}
}

type panicReader struct{ after int }

func (p *panicReader) Read(b []byte) (int, error) {
	if p.after == 0 {
		panic("read failed")
	}
	p.after--
	b[0] = 'x'
	return 1, nil
}

// TestWriter_PanicInACopysRead: a panic in the first Read leaves the
// response unstarted (redirect); one after a byte went out is cut.
func TestWriter_PanicInACopysRead(t *testing.T) {
	for _, after := range []int{0, 3} {
		rec, ev := newRecover(t, testRoute{})
		cw := newCountingWriter()
		func() {
			defer func() { recover() }()
			rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
				_, err := io.Copy(w, &panicReader{after: after})
				return err
			})).ServeHTTP(readerFromWriter{cw}, httptest.NewRequest(http.MethodGet, "/x", nil))
		}()
		require.Len(t, ev.list(), 1)
		if after == 0 {
			assert.Equal(t, middleware.Redirected, ev.list()[0].Outcome)
			assert.Equal(t, http.StatusSeeOther, cw.code)
		} else {
			assert.Equal(t, middleware.Aborted, ev.list()[0].Outcome)
		}
	}
}

// TestWriter_ResponseControllerThroughStackedRoutes: through stacked routes
// and Unwrap-only wrappers, ResponseController calls end, and the hijack
// is seen by the route below it.
func TestWriter_ResponseControllerThroughStackedRoutes(t *testing.T) {
	rec1, ev1 := newRecover(t, testRoute{})
	rec2, ev2 := newRecover(t, testRoute{})
	hw := &hijackable{countingWriter: newCountingWriter()}
	h := unwrapping(rec1(unwrapping(rec2(unwrapping(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		_ = rc.EnableFullDuplex()
		if _, _, err := rc.Hijack(); err != nil {
			return err
		}
		return codes.InvalidScope
	}))))))
	h.ServeHTTP(hw, httptest.NewRequest(http.MethodGet, "/x", nil))
	assert.Equal(t, 1, hw.hijacks)
	assert.Equal(t, middleware.Suppressed, ev2.list()[0].Outcome)
	assert.Empty(t, ev1.list())
	assert.Empty(t, hw.body)
}

// TestRecoverer_AbsoluteFormQueryIsNotTheErrorPage: "GET http://host?/ooops"
// asks for the root ("/ooops" is the query), so its failure is redirected,
// not answered in place as the error page.
func TestRecoverer_AbsoluteFormQueryIsNotTheErrorPage(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	srv := httptest.NewServer(rec(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.InvalidScope
	})))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET http://accounts.example.com?/ooops HTTP/1.1\r\nHost: accounts.example.com\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	_, _ = io.ReadAll(res.Body) // EOF: the handler has returned
	res.Body.Close()
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.Redirected, ev.list()[0].Outcome)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
}
