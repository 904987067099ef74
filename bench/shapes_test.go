package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// optional reports which optional interfaces w has: Flusher, Hijacker,
// ReaderFrom, StringWriter, CloseNotifier, Pusher.
func optional(w http.ResponseWriter) [6]bool {
	_, f := w.(http.Flusher)
	_, h := w.(http.Hijacker)
	_, r := w.(io.ReaderFrom)
	_, s := w.(io.StringWriter)
	//lint:ignore SA1019 net/http's writers still have it, and the shapes must match them
	_, c := w.(http.CloseNotifier)
	_, p := w.(http.Pusher)
	return [6]bool{f, h, r, s, c, p}
}

// The benchmark writers have the optional interfaces of net/http's own
// writers, HTTP/1.1 and HTTP/2 over TLS, so that the benchmarks take the
// same path through the middleware as a real server.
func TestShapes_MatchNetHTTP(t *testing.T) {
	got := make(chan [6]bool, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { got <- optional(w) })
	h1 := httptest.NewServer(h)
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(h)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	byName := map[string]http.ResponseWriter{}
	for _, s := range shapes() {
		byName[s.name] = s.w
	}
	for name, srv := range map[string]*httptest.Server{"http1": h1, "http2": h2} {
		res, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, map[string]int{"http1": 1, "http2": 2}[name], res.ProtoMajor)
		assert.Equal(t, <-got, optional(byName[name]), name)
	}
	assert.Equal(t, [6]bool{}, optional(byName["plain"]))
}
