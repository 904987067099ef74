// Command authredirect-check checks a running accounts service against the
// accounts error contract from the outside, over HTTP, whatever the
// service is written in:
//
//	go install github.com/authredirect/authredirect/cmd/authredirect-check@latest
//	authredirect-check -client demo -secret demo-secret -strict https://accounts.staging.example.com
//
// It prints one row per statement of the contract (PASS, FAIL with what
// was expected and what came back, SKIP with why) and a summary line,
// and exits 0 when no row failed, 1 when one did, 2 for a usage or
// connection error. -json and -junit write the same rows for machines.
// It sends requests only to BASE_URL's host, never follows a redirect,
// sends at most 200 requests and never prints the secret or the password.
// Run it with -h for every flag.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/authredirect/authredirect/conformance"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stdout))
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// version is the module version the command was built at ("devel" in a
// checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

const usageHead = `Usage: authredirect-check [flags] BASE_URL

Checks the accounts service at BASE_URL against the accounts error
contract, one row per statement of the contract, and prints PASS, FAIL
(expected and received) or SKIP (why) for each, then a summary line.
Exit status: 0 no row failed, 1 a row failed, 2 usage or connection error.
Requests go only to BASE_URL's host, redirects are never followed, at most
200 requests are sent, and the secret and password are never printed.

Example:
  authredirect-check -client demo -secret "$CLIENT_SECRET" \
    -redirect-uri https://app.example.com/callback -scope profile \
    -user checker@example.com -password "$CHECKER_PASSWORD" \
    -strict -junit report.xml https://accounts.staging.example.com

Flags:
`

// run is the command: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	fs := flag.NewFlagSet("authredirect-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg conformance.Config
	fs.StringVar(&cfg.ClientID, "client", "", "a registered client's id, for the rows that need a valid request (e.g. -client demo)")
	fs.StringVar(&cfg.ClientSecret, "secret", os.Getenv("AUTHREDIRECT_CHECK_SECRET"), "that client's secret, for the token rows; default $AUTHREDIRECT_CHECK_SECRET (e.g. -secret \"$CLIENT_SECRET\")")
	fs.StringVar(&cfg.RedirectURI, "redirect-uri", "", "that client's registered redirect URI, sent when set; the prompt=none row expects its answer there (e.g. -redirect-uri https://app.example.com/callback)")
	fs.StringVar(&cfg.Scope, "scope", "", "a scope that client may ask for, sent when set; with openid in it the prompt=none row runs (e.g. -scope \"openid profile\")")
	fs.StringVar(&cfg.ErrorPage, "error-page", "/ooops", "where authorization errors must land: a path or a URL on BASE_URL's host (e.g. -error-page /ooops)")
	fs.StringVar(&cfg.LoginPage, "login-page", "/", "where authentication errors must land: a path or a URL on BASE_URL's host (e.g. -login-page /login)")
	fs.StringVar(&cfg.AuthorizePath, "authorize", "", "the authorization endpoint's path; default from /.well-known/openid-configuration when served, else /oauth/authorize (e.g. -authorize /oauth2/auth)")
	fs.StringVar(&cfg.TokenPath, "token", "", "the token endpoint's path; default from /.well-known/openid-configuration when served, else /oauth/token (e.g. -token /oauth2/token)")
	fs.StringVar(&cfg.LoginPath, "login", "/login", "the path the login form posts to (e.g. -login /signin)")
	fs.StringVar(&cfg.User, "user", "", "a known account, for the login rows; every login row is SKIP without it (e.g. -user checker@example.com)")
	fs.StringVar(&cfg.Password, "password", os.Getenv("AUTHREDIRECT_CHECK_PASSWORD"), "that account's password, never sent by a row, only redacted from the report; default $AUTHREDIRECT_CHECK_PASSWORD (e.g. -password \"$CHECKER_PASSWORD\")")
	fs.StringVar(&cfg.UserField, "user-field", "email", "the login form's account field (e.g. -user-field username)")
	fs.StringVar(&cfg.PasswordField, "password-field", "password", "the login form's password field (e.g. -password-field pass)")
	fs.BoolVar(&cfg.Strict, "strict", false, "add the strict rows: 303, Cache-Control: no-store, Pragma: no-cache, Referrer-Policy: no-referrer, no Refresh/Link/Content-Location, nothing of the request reflected, no duplicate JSON keys (e.g. -strict)")
	runRE := fs.String("run", "", "run only the rows whose names match this regular expression (e.g. -run '^token: ')")
	insecure := fs.Bool("insecure", false, "do not verify the server's TLS certificate, for a staging host (e.g. -insecure)")
	caFile := fs.String("ca", "", "trust the PEM certificates in this file, for a staging CA (e.g. -ca staging-ca.pem)")
	asJSON := fs.Bool("json", false, "print the report as JSON on stdout instead of the table (e.g. -json)")
	junit := fs.String("junit", "", "also write the report as JUnit XML to this file (e.g. -junit report.xml)")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "the time each request may take (e.g. -timeout 5s)")
	fs.IntVar(&cfg.LoopLimit, "loop-limit", 3, "arrivals allowed before the loop guard must stop the next one (e.g. -loop-limit 5)")
	fs.DurationVar(&cfg.LoopWindow, "loop-window", 30*time.Second, "the window those arrivals are counted in (e.g. -loop-window 1m)")
	fs.StringVar(&cfg.LoopSpelling, "loop-spelling", "to_many_redirects", "the accepted spelling of the loop detail: to_many_redirects (the contract's), too_many_redirects or any (e.g. -loop-spelling any)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "authredirect-check: give exactly one BASE_URL (see -h)")
		return 2
	}
	cfg.BaseURL = fs.Arg(0)
	if *runRE != "" {
		re, err := regexp.Compile(*runRE)
		if err != nil {
			fmt.Fprintln(stderr, "authredirect-check: -run:", err)
			return 2
		}
		cfg.Run = re
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: *insecure} //nolint:gosec // asked for by -insecure
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(stderr, "authredirect-check: -ca:", err)
			return 2
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintln(stderr, "authredirect-check: -ca: no PEM certificate in", *caFile)
			return 2
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	cfg.HTTPClient = &http.Client{Transport: tr}
	cfg.UserAgent = "authredirect-check/" + version()
	progress := terminal && !*asJSON
	if progress {
		cfg.Progress = func(done int, name string) {
			fmt.Fprintf(stdout, "\r\033[K%d rows done, running %s", done, name)
		}
	}

	rep, err := conformance.Run(ctx, cfg)
	if progress {
		fmt.Fprint(stdout, "\r\033[K")
	}
	if errors.Is(err, conformance.ErrConfig) {
		fmt.Fprintln(stderr, "authredirect-check:", err)
		return 2
	}
	if *asJSON {
		if werr := writeJSON(stdout, cfg, rep); werr != nil {
			fmt.Fprintln(stderr, "authredirect-check:", werr)
			return 2
		}
	} else {
		writeText(stdout, cfg, rep)
	}
	if *junit != "" {
		if werr := writeJUnitFile(*junit, rep); werr != nil {
			fmt.Fprintln(stderr, "authredirect-check: -junit:", werr)
			return 2
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "authredirect-check:", err)
		return 2
	}
	if _, failed, _ := rep.Count(); failed > 0 {
		return 1
	}
	return 0
}
