// Command loadserver serves the same two routes bare, under chi's
// Recoverer, or under authredirect, for bench/load.sh to drive over
// loopback (wrk over HTTP/1.1, h2load over HTTP/2 with TLS):
//
//	/ok    the happy path: a small page;
//	/fail  the error path: unauthorized_client with client_id_not_found,
//	       as authredirect writes it, or as the naive handler does
//	       with the same headers (bare, and under chi's Recoverer,
//	       which does not redirect);
//	/ooops the error page, ?oauth_exception=...: Renderer.Page of the
//	       error in its query (authredirect), or the same bytes and
//	       headers from memory (bare and chi);
//	/login the login page with an error, written in place by a failing
//	       authentication route (authredirect), or the same bytes.
//
// -tls serves HTTPS (a self-signed certificate, h2 then http/1.1 by ALPN).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	chi "github.com/go-chi/chi/v5/middleware"
	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	mode := flag.String("mode", "authredirect", "bare, chi or authredirect")
	useTLS := flag.Bool("tls", false, "serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with a self-signed certificate")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGINT or SIGTERM")
	memProfile := flag.String("memprofile", "", "write an allocation profile to this file at SIGINT or SIGTERM")
	flag.Parse()
	if *cpuProfile != "" || *memProfile != "" {
		profile(*cpuProfile, *memProfile)
	}

	mux, err := routes(*mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if !*useTLS {
		fmt.Println("http://" + ln.Addr().String())
		log.Fatal(srv.Serve(ln))
	}
	cert, err := selfSigned()
	if err != nil {
		log.Fatal(err)
	}
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	fmt.Println("https://" + ln.Addr().String())
	log.Fatal(srv.ServeTLS(ln, "", ""))
}

func routes(mode string) (*http.ServeMux, error) {
	page := []byte("<!doctype html><title>ok</title><p>ok</p>\n")
	ok := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}
	// The naive answer sends the headers the contract's redirect has, as
	// authredirect's does (design.md §8: "same headers").
	naiveFail := func(w http.ResponseWriter, r *http.Request) {
		v := url.Values{}
		v.Set("oauth_exception", "unauthorized_client")
		v.Set("exception_details", "client_id_not_found")
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		h.Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, "https://accounts.livechatinc.com/ooops?"+v.Encode(), http.StatusSeeOther)
	}
	errorPage, loginPage, err := pages()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	switch mode {
	case "bare":
		mux.HandleFunc("/ok", ok)
		mux.HandleFunc("/fail", naiveFail)
		mux.Handle("/ooops", fromMemory(errorPage, "/ooops"+PageQuery))
		mux.Handle("/login", fromMemory(loginPage, "/login"+LoginQuery))
	case "chi":
		mux.Handle("/ok", chi.Recoverer(http.HandlerFunc(ok)))
		mux.Handle("/fail", chi.Recoverer(http.HandlerFunc(naiveFail)))
		mux.Handle("/ooops", chi.Recoverer(fromMemory(errorPage, "/ooops"+PageQuery)))
		mux.Handle("/login", chi.Recoverer(fromMemory(loginPage, "/login"+LoginQuery)))
	case "authredirect":
		rc, err := middleware.New(middleware.Config{
			Render:   render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage},
			Observer: middleware.Quiet,
		})
		if err != nil {
			return nil, err
		}
		chain := alice.New(rc.Authorization)
		mux.Handle("/ok", chain.Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
			ok(w, r)
			return nil
		})))
		mux.Handle("/fail", chain.Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
			return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
		})))
		mux.Handle("/ooops", errorPage)
		mux.Handle("/login", loginPage)
	default:
		return nil, fmt.Errorf("mode must be bare, chi or authredirect, not %q", mode)
	}
	return mux, nil
}

// PageQuery and LoginQuery are the queries load.sh sends to the error page
// and the login page, with the flow that "try again" carries; it sends
// AcceptLanguage with them.
const (
	PageQuery      = "?oauth_exception=unauthorized_client&exception_details=client_id_not_found&response_type=code&client_id=demo&state=xyz"
	LoginQuery     = "?identity_exception=invalid_request&response_type=code&client_id=demo&state=xyz"
	AcceptLanguage = "de-DE,de;q=0.9,en;q=0.8"
)

// pages are the error page and the login page with an error as
// authredirect serves them: the error page renders the error of its query
// with Renderer.Page; the login page is an authentication route whose
// handler fails with the error of its query, written in place.
func pages() (errorPage, loginPage http.Handler, err error) {
	cfg := render.Config{
		ErrorPage: "/ooops", LoginPage: "/login",
		Carry: []string{"response_type", "client_id", "state"},
		Page:  render.PageConfig{Home: "https://app.example/", Support: "mailto:help@example.com"},
	}
	rend, err := render.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	rc, err := middleware.New(middleware.Config{Render: cfg, Observer: middleware.Quiet})
	if err != nil {
		return nil, nil, err
	}
	errorPage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, _ := render.ParseQuery(r.URL.RawQuery) // unreadable: the page says there is no error
		rend.Page(w, r, http.StatusOK, e)
	})
	loginPage = alice.New(rc.Authentication).Then(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		if e, err := render.ParseQuery(r.URL.RawQuery); err == nil {
			return e
		}
		return nil
	}))
	return errorPage, loginPage, nil
}

// fromMemory serves what h answers to target with load.sh's
// Accept-Language, recorded once: the same status, headers and bytes.
func fromMemory(h http.Handler, target string) http.Handler {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept-Language", AcceptLanguage)
	h.ServeHTTP(rec, req)
	status, header, body := rec.Code, rec.Header().Clone(), rec.Body.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// profile starts a CPU profile into cpu (if named) and, at SIGINT or
// SIGTERM, stops it, writes the allocations into mem (if named) and exits.
func profile(cpu, mem string) {
	if mem != "" {
		runtime.MemProfileRate = 4096 // a request's few small allocations show
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		pprof.StopCPUProfile()
		if mem != "" {
			f, err := os.Create(mem)
			if err != nil {
				log.Fatal(err)
			}
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				log.Fatal(err)
			}
			f.Close()
		}
		os.Exit(0)
	}()
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for a
// day; h2load does not verify it.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "loadserver"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
