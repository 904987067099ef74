// Package zitadelauthredirect answers the authorization and token endpoints
// of a github.com/zitadel/oidc/v3 OpenID Provider (package op) with the
// accounts error contract of authredirect: every failure of an authorization
// request becomes the contract's 303 redirect to the error page, every
// failure of a token request the contract's JSON.
//
// It is a module of its own, so that authredirect itself does not depend on
// zitadel/oidc. Its handlers hand their failures up to the Recoverer route
// they are served by:
//
//	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: provider})
//	if err != nil { ... }
//	rc, err := middleware.New(middleware.Config{
//		Render: render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
//	})
//	if err != nil { ... }
//	mux.Handle("/oauth/authorize", rc.Authorization(a.Authorize()))
//	mux.Handle("/oauth/authorize/callback", rc.Authorization(a.Callback()))
//	mux.Handle("/oauth/token", rc.JSON(a.Token()))
//
// The handlers run op's own exported parsing and validation steps
// (op.ParseAuthorizeRequest, op.ValidateAuthReqRedirectURI, ...) in op's
// order, or a provider's op.AuthorizeValidator where op would, and read
// the library's typed errors: the ErrorType of an
// *oidc.Error, a Storage's op.StorageNotFoundError, the client it stores.
// No decision depends on a description text, and no description, parent
// error or hint of the library reaches the client. [Map] is the table of
// the README, from the library's error names to the contract's codes.
//
// Warning: a Storage that reports a missing client, auth request, code or
// refresh token with a plain error (not an op.StorageNotFoundError) cannot
// be told from a failing Storage: such a lookup is answered server_error
// unless [Config.NotFound] recognizes the error.
package zitadelauthredirect
