package main

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/examples/accounts/app"
)

const (
	// short is the one limit a test lets the server reach.
	short = 50 * time.Millisecond
	// long is a limit no test reaches.
	long = time.Hour
	// failSafe only keeps a broken test from hanging: a server that does
	// its job closes the connection about short after the stall begins.
	failSafe = 30 * time.Second
)

// serve runs app.NewHTTPServer(l) with the example's handler on a loopback
// listener and returns its address.
func serve(t *testing.T, l app.Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h, err := app.New(app.Config{Base: "http://" + ln.Addr().String(), CookieKey: []byte("0123456789abcdef0123456789abcdef"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := app.NewHTTPServer(h, l)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		assert.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return ln.Addr().String()
}

// readUntilClosed reads c until the server closes it, and returns what the
// server sent. A read that is still waiting after failSafe fails the test:
// the server left the connection open.
func readUntilClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(failSafe)))
	b, err := io.ReadAll(c) // nil at EOF
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open (fail-safe of %v reached); it sent %q", failSafe, b)
	}
	if err != nil {
		assert.ErrorIs(t, err, syscall.ECONNRESET, "the server closes the connection: EOF or reset")
	}
	return string(b)
}

// Each stall is cut off by the server's own limit: the client sends what
// is in send and then nothing more, and the server closes the connection.
func TestServer_ClosesStalledConnections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits app.Limits
		send   string
		// answer is how what the server sends before it closes starts:
		// "" is nothing at all.
		answer string
		// location is the Location of that answer, if any.
		location string
		// keptAlive: the answer did not close the connection itself.
		keptAlive bool
	}{
		{
			name:   "headers stalled: ReadHeaderTimeout",
			limits: app.Limits{ReadHeader: short, Read: long, Write: long, Idle: long},
			send:   "GET / HTTP/1.1\r\nHost: example\r\nUser-Agent: slow",
			answer: "",
		},
		{
			name:   "login body stalled: ReadTimeout",
			limits: app.Limits{ReadHeader: long, Read: short, Write: long, Idle: long},
			send: "POST /login HTTP/1.1\r\nHost: example\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
				"Content-Length: 1000\r\n\r\nemail=jane%40example.com&password=jane-",
			// The form cannot be read: the login's invalid_request.
			answer:   "HTTP/1.1 303 See Other\r\n",
			location: "/?identity_exception=invalid_request",
		},
		{
			name:      "idle keep-alive connection: IdleTimeout",
			limits:    app.Limits{ReadHeader: long, Read: long, Write: long, Idle: short},
			send:      "GET / HTTP/1.1\r\nHost: example\r\n\r\n",
			answer:    "HTTP/1.1 200 OK\r\n",
			keptAlive: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, tc.limits)
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, tc.send)
			require.NoError(t, err)
			got := readUntilClosed(t, c)
			if tc.answer == "" {
				assert.Empty(t, got)
				return
			}
			assert.True(t, strings.HasPrefix(got, tc.answer), "%q", got)
			if tc.location != "" {
				assert.Contains(t, got, "\r\nLocation: http://"+addr+tc.location+"\r\n")
			}
			if tc.keptAlive {
				assert.NotContains(t, got, "\r\nConnection: close\r\n")
			}
		})
	}
}

// The idle test above holds only if the first answer left the connection
// open: a second request on it is served.
func TestServer_KeepsAliveWithinIdleTimeout(t *testing.T) {
	c, err := net.Dial("tcp", serve(t, app.Limits{ReadHeader: long, Read: long, Write: long, Idle: long}))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(failSafe)))
	br := bufio.NewReader(c)
	for range 2 {
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: example\r\n\r\n")
		require.NoError(t, err)
		res, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
	}
}

// Request headers are bounded: far more than the limit is refused with
// 431 before any handler runs.
func TestServer_MaxHeaderBytes(t *testing.T) {
	addr := serve(t, app.ProductionLimits)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(failSafe)))
	// Twice the limit, plus the 4096 bytes of slack net/http allows.
	huge := strings.Repeat("a", 2*app.ProductionLimits.MaxHeaderBytes+4096)
	// The server may answer and close before all of it is sent.
	go func() {
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: example\r\nCookie: x="+huge+"\r\n\r\n")
	}()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, res.StatusCode)
}

// The command's own limits are all set, and consistent: a body read to
// the end of ReadTimeout still leaves time to write the answer.
func TestProductionLimits(t *testing.T) {
	srv := app.NewHTTPServer(http.NotFoundHandler(), app.ProductionLimits)
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		assert.Positive(t, d, name)
	}
	assert.LessOrEqual(t, srv.ReadHeaderTimeout, srv.ReadTimeout)
	assert.Less(t, srv.ReadTimeout, srv.WriteTimeout)
	assert.Positive(t, srv.MaxHeaderBytes)
	assert.Less(t, srv.MaxHeaderBytes, http.DefaultMaxHeaderBytes)
}
