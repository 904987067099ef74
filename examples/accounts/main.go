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
	srv := app.NewHTTPServer(h, app.ProductionLimits)

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
