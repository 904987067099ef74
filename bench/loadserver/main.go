// Command loadserver serves the same two routes with and without
// authredirect, for bench/load.sh to drive with wrk over loopback:
//
//	/ok    the happy path: a small page;
//	/fail  the error path: unauthorized_client with client_id_not_found,
//	       as authredirect writes it, or as the naive handler does.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/justinas/alice"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	mode := flag.String("mode", "authredirect", "bare or authredirect")
	flag.Parse()

	page := []byte("<!doctype html><title>ok</title><p>ok</p>\n")
	ok := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}
	mux := http.NewServeMux()
	switch *mode {
	case "bare":
		mux.HandleFunc("/ok", ok)
		mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
			v := url.Values{}
			v.Set("oauth_exception", "unauthorized_client")
			v.Set("exception_details", "client_id_not_found")
			http.Redirect(w, r, "https://accounts.livechatinc.com/ooops?"+v.Encode(), http.StatusSeeOther)
		})
	case "authredirect":
		rc, err := middleware.New(middleware.Config{
			Pages:    render.Config{ErrorPage: render.ContractErrorPage, LoginPage: render.ContractLoginPage},
			Observer: middleware.Quiet,
		})
		if err != nil {
			log.Fatal(err)
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
		fmt.Fprintln(os.Stderr, "mode must be bare or authredirect")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("http://" + ln.Addr().String())
	log.Fatal(http.Serve(ln, mux))
}
