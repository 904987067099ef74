package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
