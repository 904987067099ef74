package app

import (
	"net/http"
	"time"
)

// Limits are an http.Server's timeouts and request header limit; see
// [http.Server] for what each one bounds.
type Limits struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}

// ProductionLimits are the limits the example commands serve with (this
// server, and otelauthredirect's example with its metrics listener).
// Every request here is small (a query, a login form, a token form, a
// scrape), so a client that stalls is cut off: its request headers within
// 5s, its whole request (a slow login body) within 15s, and a keep-alive
// connection left idle after 2 minutes. WriteTimeout runs from the end of
// the headers, so it is longer than ReadTimeout: a body read to the last
// moment still leaves time to answer. 64 KiB of headers is far beyond what
// a browser sends.
var ProductionLimits = Limits{
	ReadHeader:     5 * time.Second,
	Read:           15 * time.Second,
	Write:          30 * time.Second,
	Idle:           2 * time.Minute,
	MaxHeaderBytes: 64 << 10,
}

// NewHTTPServer is the http.Server that serves h within l.
func NewHTTPServer(h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}
