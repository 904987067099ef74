package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
)

// A handler that keeps its ResponseWriter and writes after it returned gets
// ErrWriterReleased, and nothing reaches the request that is served next
// (by the same pooled tracker, on this goroutine).
func TestWriter_LateWriterCannotReachAnotherRequest(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	var kept http.ResponseWriter
	first := rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		kept = w
		_, _ = io.WriteString(w, "first")
	}))
	res1 := serve(first, http.MethodGet, "/1")
	require.Equal(t, "first", res1.Body.String())

	var lateErr error
	second := rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Second", "yes")
		kept.Header().Set("X-Leak", "leak")
		kept.WriteHeader(http.StatusTeapot)
		_, lateErr = io.WriteString(kept, "LEAK")
		http.NewResponseController(kept).Flush()
		_, _ = io.WriteString(w, "second")
	}))
	res2 := serve(second, http.MethodGet, "/2")
	assert.ErrorIs(t, lateErr, middleware.ErrWriterReleased)
	assert.Equal(t, http.StatusOK, res2.Code)
	assert.Equal(t, "second", res2.Body.String())
	assert.Equal(t, "yes", res2.Header().Get("X-Second"))
	assert.Empty(t, res2.Header().Get("X-Leak"))
	assert.Equal(t, "first", res1.Body.String(), "the first response is unchanged too")

	_, _, err := http.NewResponseController(kept).Hijack()
	assert.ErrorIs(t, err, http.ErrNotSupported)
}

func TestWriter_KeepsExactlyTheOptionalInterfaces(t *testing.T) {
	b := baseW{newCountingWriter()}
	for _, w := range []http.ResponseWriter{b, fW{b}, hW{b}, rW{b}, fhW{fW{b}}, frW{fW{b}}, hrW{hW{b}}, fhrW{fhW{fW{b}}}} {
		_, wantF := w.(http.Flusher)
		_, wantH := w.(http.Hijacker)
		_, wantR := w.(io.ReaderFrom)
		rec, _ := newRecover(t, testRoute{})
		rec(http.HandlerFunc(func(got http.ResponseWriter, _ *http.Request) {
			_, f := got.(http.Flusher)
			_, h := got.(http.Hijacker)
			_, r := got.(io.ReaderFrom)
			assert.Equal(t, [3]bool{wantF, wantH, wantR}, [3]bool{f, h, r}, "%T", w)
			u, ok := got.(interface{ Unwrap() http.ResponseWriter })
			require.True(t, ok)
			assert.Equal(t, w, u.Unwrap())
		})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	}
}
