// Package fositeauthredirect answers the failures of an OAuth 2.0 / OpenID
// Connect server built on github.com/ory/fosite with the accounts error
// contract: authorize errors go to the error page, token errors are the
// contract's JSON. It reads fosite's typed errors, never their text: the
// name (RFC6749Error.ErrorField) picks the code from a fixed table, the
// client storage says whether a client id is unknown or the storage failed,
// and fosite's redirect URI matcher says why a request cannot be
// redirected. fosite's decision stays; its hint, debug and description
// texts never reach the client. [Adapter.AuthorizeError] and
// [Adapter.AccessError] return the contract error for middleware.Wrap to
// hand up; OpenID Connect's prompt=none answers go to the client's
// validated redirect_uri unless Config.PromptErrorsToErrorPage. README.md
// has the whole wiring, login page included, as tested code, and the
// mapping table. A module of its own, so that the library needs no fosite.
package fositeauthredirect
