// Package middleware is the net/http side of authredirect: [Wrap] lets
// handlers return errors, [Recover] catches them (and panics), classifies
// them as authorization or authentication errors and writes the answer the
// accounts error contract prescribes.
//
// Both are shaped for github.com/justinas/alice:
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
