// Command example is an OAuth 2.0 / OpenID Connect server on
// github.com/ory/fosite whose every failure is answered by the accounts
// error contract. Run it with
//
//	go run ./example
//
// and open
// http://127.0.0.1:8080/oauth/authorize?response_type=code&client_id=nope&redirect_uri=http://localhost:8081/callback&scope=openid
// (an unknown client: the error page) or the same with client_id=demo and
// a state of 8 characters or more (the login form, then the client with a
// code). The client is demo, secret demo-secret; the user
// jane@example.com, password jane-password.
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

	"github.com/authredirect/authredirect/fositeauthredirect/example/app"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	redirectURI := flag.String("redirect-uri", app.DefaultRedirectURI, "the demo client's redirect URI")
	flag.Parse()
	if err := run(*addr, *redirectURI); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// newServer is the http.Server that serves h with the timeouts of
// examples/accounts: request headers within 5s, the whole request within
// 15s, the answer within 30s, idle keep-alive connections closed after 2
// minutes, and 64 KiB of headers at most.
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

func run(addr, redirectURI string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := app.New(app.Config{RedirectURI: redirectURI, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	srv := newServer(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("fosite example serving on http://%s (Ctrl-C stops it)\n", ln.Addr())

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
	fmt.Println("fosite example stopped")
	return nil
}
