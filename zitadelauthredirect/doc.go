// Package zitadelauthredirect answers the authorization and token endpoints
// of a github.com/zitadel/oidc/v3 OpenID Provider (package op) with the
// accounts error contract: every failure of an authorization request is the
// contract's 303 to the error page, every failure of a token request the
// contract's JSON. Its handlers ([Adapter.Authorize], [Adapter.Callback],
// [Adapter.Token]) run op's own exported steps in op's order (or a
// provider's op.AuthorizeValidator where op would), keep op's decision, and
// read op's typed errors: no decision depends on a description, and none
// reaches the client. [Map] is the README's table as a function.
//
// Warning: a Storage that reports a missing client, auth request, code or
// refresh token with a plain error (not an op.StorageNotFoundError) cannot
// be told from a failing one: it is server_error unless [Config.NotFound]
// recognizes the error. A module of its own, so that the library needs no
// zitadel/oidc.
package zitadelauthredirect
