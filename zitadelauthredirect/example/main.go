// Command example serves a zitadel/oidc OpenID Provider whose authorization
// and token endpoints answer with the accounts error contract:
//
//	go run ./example
//
// One client, demo (secret demo-secret, redirect URI
// http://localhost:8081/callback, scopes openid profile); one user,
// test-user@<host>, password verysecure. The error page is /ooops, the
// login page /, the login form posts email and password to /login; the
// README gives the conformance checker's command line. Try
//
//	curl -i 'http://127.0.0.1:8080/oauth/authorize?response_type=code&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid'
//
// which answers 303 to /ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found.
package main

import (
	"context"
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

	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// newServer serves h with the timeouts of examples/accounts: request
// headers within 5s, the whole request within 15s, the answer within 30s
// of the headers, idle keep-alive connections closed after 2 minutes,
// 64 KiB of headers at most.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := app.New(app.Config{Base: base, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	srv := newServer(h)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("zitadel example serving on %s (Ctrl-C stops it)\n", base)
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
	fmt.Println("zitadel example stopped")
	return nil
}
