// Package fositeauthredirect answers the failures of an OAuth 2.0 / OpenID
// Connect server built on github.com/ory/fosite with the accounts error
// contract: the authorize endpoint's errors go to the error page as
// oauth_exception (and exception_details), the token endpoint's are the
// contract's JSON.
//
// It reads fosite's typed errors, never their text: the name
// (RFC6749Error.ErrorField) found with errors.As picks the contract code
// from a fixed table, the client storage fosite uses says whether a client
// id is unknown (client_id_not_found) or the storage failed
// (server_error), and fosite's own redirect URI matcher says why a request
// cannot be redirected (redirect_uri_not_set, invalid_redirect_uri).
// fosite's hint, debug and description texts never reach the client.
//
// Wiring, with rc from middleware.New:
//
//	a, err := fositeauthredirect.New(fositeauthredirect.Config{Provider: provider})
//	if err != nil { ... } // invalid configuration is reported here, once
//	mux.Handle("/oauth/authorize", alice.New(rc.Authorization,
//		middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost),
//		middleware.ParseForm(0), middleware.UniqueParams()).
//		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
//			ar, err := provider.NewAuthorizeRequest(r.Context(), r)
//			if err != nil {
//				return a.AuthorizeError(r.Context(), w, ar, err)
//			}
//			// sign in, consent, NewAuthorizeResponse: every error through a.AuthorizeError
//			...
//		})))
//	mux.Handle("/oauth/token", alice.New(rc.JSON, middleware.ParseForm(0), middleware.UniqueParams()).
//		Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
//			ar, err := provider.NewAccessRequest(r.Context(), r, new(openid.DefaultSession))
//			if err != nil {
//				return a.AccessError(r.Context(), r, ar, err)
//			}
//			...
//		})))
//
// OpenID Connect's prompt=none answers (login_required, consent_required,
// interaction_required, account_selection_required) go to the client's
// validated redirect_uri by default, as OpenID Connect requires; see
// Config.PromptErrorsToErrorPage. middleware.ParseForm bounds the body and refuses
// multipart bodies, which fosite would parse (on GET too) into temporary
// files. README.md has the whole wiring, login page included, as tested
// code.
//
// It is a module of its own, so that the library itself does not depend
// on fosite. README.md in this directory has the whole mapping table.
package fositeauthredirect
