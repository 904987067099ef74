// Package middleware is the net/http side of authredirect: it keeps the
// error flow. [Wrap] lets handlers return errors, [Recover] catches them
// (and panics), classifies them as authorization or authentication errors
// and writes the answer the accounts error contract prescribes, through a
// writer that tracks whether the response started; the [Observer] hears of
// every outcome; negotiation picks JSON or a redirect; the request guards
// ([Guard] and the [Guards] checks) turn a malformed request into the
// contract's code. The loop guard lives in package loopguard, built on
// [Guard].
//
// Wrap and Recover are shaped for github.com/justinas/alice:
//
//	authz, err := middleware.Recover(middleware.Config{Renderer: r})
//	if err != nil { ... } // invalid configuration is reported here, once
//	http.Handle("GET /oauth/authorize", alice.New(authz).Then(middleware.Wrap(authorize)))
//
// where authorize is a func(http.ResponseWriter, *http.Request) error that
// returns, for example, codes.UnauthorizedClient.With(codes.ClientIDNotFound).
//
// A request that succeeds passes through untouched and without allocation.
package middleware
