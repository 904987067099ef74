// Package middleware is the net/http side of authredirect: the error flow.
// [Wrap] lets handlers return errors, [Guard] runs checks before them, and a
// [Recoverer] catches what they hand up (and panics), classifies it as an
// authorization or authentication error and writes the answer the accounts
// error contract prescribes. The package also holds the header-tracking
// writer, the observer and the request guards; the loop guard is package
// loopguard.
//
// Everything is shaped for github.com/justinas/alice:
//
//	rc, err := middleware.New(middleware.Config{
//		Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
//	})
//	if err != nil { ... } // invalid configuration is reported here, once
//	mux.Handle("/oauth/authorize", alice.New(rc.Authorization).Then(middleware.Wrap(authorize)))
//	mux.Handle("/login", alice.New(rc.Authentication).Then(middleware.Wrap(login)))
//	mux.Handle("/oauth/token", alice.New(rc.JSON).Then(middleware.Wrap(token)))
//
// where authorize is a func(http.ResponseWriter, *http.Request) error that
// returns, for example, codes.UnauthorizedClient.With(codes.ClientIDNotFound).
//
// A request that succeeds passes through untouched, at the cost of one
// small allocation: the route's writer.
package middleware
