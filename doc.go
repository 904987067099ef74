// Package authredirect is the home of a net/http middleware library that
// answers every failure of an accounts or OAuth 2.0 service with the
// accounts error contract's redirect. It holds no code; its tests are the
// end-to-end suite of the whole contract.
//
// The packages, each importing only those before it: codes (the
// vocabulary), render (the wire format), middleware (the routes, Wrap, the
// request guards, the observer), loopguard (to_many_redirects),
// authredirecttest (a test kit for your handlers) and conformance (the
// contract checked over HTTP, for a service in any language).
package authredirect
