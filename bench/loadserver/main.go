// Command loadserver serves the same two routes bare, under chi's
// Recoverer, or under authredirect, for bench/load.sh to drive over
// loopback (wrk over HTTP/1.1, h2load over HTTP/2 with TLS):
//
//	/ok    the happy path: a small page;
//	/fail  the error path: unauthorized_client with client_id_not_found,
//	       as authredirect writes it, or as the naive handler does
//	       (bare, and under chi's Recoverer, which does not redirect).
//
// With -tls it serves HTTPS with a self-signed certificate made at start
// and offers h2 then http/1.1 by ALPN. It prints its base URL on stdout.
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
	"net/url"
	"os"
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
	flag.Parse()

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
	naiveFail := func(w http.ResponseWriter, r *http.Request) {
		v := url.Values{}
		v.Set("oauth_exception", "unauthorized_client")
		v.Set("exception_details", "client_id_not_found")
		http.Redirect(w, r, "https://accounts.livechatinc.com/ooops?"+v.Encode(), http.StatusSeeOther)
	}
	mux := http.NewServeMux()
	switch mode {
	case "bare":
		mux.HandleFunc("/ok", ok)
		mux.HandleFunc("/fail", naiveFail)
	case "chi":
		mux.Handle("/ok", chi.Recoverer(http.HandlerFunc(ok)))
		mux.Handle("/fail", chi.Recoverer(http.HandlerFunc(naiveFail)))
	case "authredirect":
		rc, err := middleware.New(middleware.Config{
			Pages:    render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage},
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
	default:
		return nil, fmt.Errorf("mode must be bare, chi or authredirect, not %q", mode)
	}
	return mux, nil
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
