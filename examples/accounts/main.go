// Command accounts is the example accounts server: every part of the
// accounts error contract, working, in one process. Run it with
//
//	go run ./examples/accounts
//
// and open the URL it prints. README.md lists the demo data and a table of
// "open this, land there" for every code and detail.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authredirect/authredirect/examples/accounts/app"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	publicURL := flag.String("public-url", "", "base URL browsers use to reach the server (default http://<listen address>)")
	flag.Parse()
	if err := run(*addr, *publicURL); err != nil {
		fmt.Fprintln(os.Stderr, "accounts:", err)
		os.Exit(1)
	}
}

// limits are the server's timeouts and its request header limit; see
// [http.Server] for what each one bounds.
type limits struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}

// productionLimits are the limits the command serves with. Every request
// here is small (a query, a login form, a token form), so a client that
// stalls is cut off: its request headers within 5s, its whole request
// (a slow login body) within 15s, and a keep-alive connection left idle
// after 2 minutes. WriteTimeout runs from the end of the headers, so it is
// longer than ReadTimeout: a body read to the last moment still leaves
// time to answer. 64 KiB of headers is far beyond what a browser sends.
var productionLimits = limits{
	readHeader:     5 * time.Second,
	read:           15 * time.Second,
	write:          30 * time.Second,
	idle:           2 * time.Minute,
	maxHeaderBytes: 64 << 10,
}

// newServer is the http.Server that serves h within l.
func newServer(h http.Handler, l limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.readHeader,
		ReadTimeout:       l.read,
		WriteTimeout:      l.write,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    l.maxHeaderBytes,
	}
}

func run(addr, publicURL string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// One instance: a random key is fine. A fleet loads one shared key
	// from its secret store, so that every instance accepts the cookie.
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	h, err := app.New(app.Config{Base: base, Logger: logger, CookieKey: key})
	if err != nil {
		ln.Close()
		return err
	}
	srv := newServer(h, productionLimits)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("accounts example serving on %s (Ctrl-C stops it)\n", base)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Println("accounts example stopped")
	return nil
}
