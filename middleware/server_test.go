package middleware_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// Streaming through a Recoverer route: each flushed chunk reaches the client before
// the handler goes on.
func TestWriter_FlushStreamsOnARealServer(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	next := make(chan struct{})
	srv := httptest.NewServer(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		for _, chunk := range []string{"one\n", "two\n"} {
			if _, err := io.WriteString(w, chunk); err != nil {
				return err
			}
			http.NewResponseController(w).Flush()
			<-next
		}
		return codes.ServerError // too late to redirect: the response is aborted
	})))
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	for _, want := range []string{"one\n", "two\n"} {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, want, line, "arrived before the handler went on")
		next <- struct{}{}
	}
	rest, err := io.ReadAll(r)
	assert.Empty(t, rest, "nothing written after the response started")
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the client sees the response is cut, not complete")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	require.Eventually(t, func() bool { return len(ev.list()) == 1 }, 2e9, 1e7)
	assert.Equal(t, middleware.Aborted, ev.list()[0].Outcome)
}

func TestWriter_HijackOnARealServer(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	srv := httptest.NewServer(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return err
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = buf.Flush()
		return codes.ServerError // after a hijack nothing may be written
	})))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, "hijacked", string(body))
	require.Eventually(t, func() bool { return len(ev.list()) == 1 }, 2e9, 1e7)
	assert.Equal(t, middleware.Suppressed, ev.list()[0].Outcome)
}
