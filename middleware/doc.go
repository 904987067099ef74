// Package middleware is the net/http side of authredirect: [Wrap] lets
// handlers return errors, [Guard] runs checks before them, and a
// [Recoverer] route catches what they hand up (and panics), classifies it
// and writes the contract's answer. Everything is shaped for alice:
//
//	rc, err := middleware.New(middleware.Config{
//		Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
//	})
//	if err != nil { ... } // invalid configuration is reported here, once
//	mux.Handle("/oauth/authorize", alice.New(rc.Authorization).Then(middleware.Wrap(authorize)))
//	mux.Handle("/oauth/token", alice.New(rc.JSON).Then(middleware.Wrap(token)))
//
// where authorize returns, for example,
// codes.UnauthorizedClient.With(codes.ClientIDNotFound).
package middleware
