package zitadelauthredirect

import (
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
)

// Callback returns the handler the login UI sends the browser to once the
// user has signed in, with the auth request's id as the "id" parameter, as
// with op.AuthCallbackURL; it goes on an authorization route and takes GET
// or POST. It answers the client as op.AuthorizeCallback does: a
// code (or tokens) sent to the request's validated redirect_uri. An id the
// Storage reports as not found (op.StorageNotFoundError) is invalid_request;
// a request that is not done is interaction_required, which goes to the
// client (see [Config.PromptErrorsToErrorPage]); a failing Storage or token
// creation is server_error.
func (a *Adapter) Callback() http.Handler { return a.callback }

func (a *Adapter) serveCallback(w http.ResponseWriter, r *http.Request) error {
	id := r.Form.Get("id")
	if id == "" {
		return codes.InvalidRequest.Err()
	}
	authReq, err := a.p.Storage().AuthRequestByID(r.Context(), id)
	if err != nil {
		return a.lookupError(err, codes.InvalidRequest.Err())
	}
	if !authReq.Done() {
		return a.fail(w, r, authReq, oidc.ErrInteractionRequired(), true)
	}
	return a.respond(w, r, authReq)
}

// Reject answers an auth request the login UI cannot complete, with err
// being the library's error for it: oidc.ErrLoginRequired(),
// oidc.ErrInteractionRequired(), an *oidc.Error of type consent_required or
// account_selection_required (each sent to the client's validated
// redirect_uri unless [Config.PromptErrorsToErrorPage]), or any other error,
// mapped as the README's table says for the error page. authReq must come
// from the provider's Storage, which holds only requests Authorize validated.
// Call it from a handler on an authorization route: on an authentication
// route the shared names (access_denied, server_error, invalid_request)
// would go to the login page.
func (a *Adapter) Reject(w http.ResponseWriter, r *http.Request, authReq op.AuthRequest, err error) error {
	if authReq == nil {
		return codes.ServerError.WithCause(err)
	}
	return a.fail(w, r, authReq, err, true)
}

// respond writes the successful authorization response for a done request,
// as op.AuthResponse does, returning its failures instead of writing them.
func (a *Adapter) respond(w http.ResponseWriter, r *http.Request, authReq op.AuthRequest) error {
	ctx := r.Context()
	client, err := a.client(ctx, authReq.GetClientID())
	if err != nil {
		return err
	}
	var response any
	if authReq.GetResponseType() == oidc.ResponseTypeCode {
		response, err = op.BuildAuthResponseCodeResponsePayload(ctx, authReq, a.p)
	} else {
		createAccessToken := authReq.GetResponseType() != oidc.ResponseTypeIDTokenOnly
		response, err = op.CreateTokenResponse(ctx, authReq, client, a.p, createAccessToken, "", "")
	}
	if err != nil {
		return Map(err)
	}
	if authReq.GetResponseMode() == oidc.ResponseModeFormPost {
		if err := op.AuthResponseFormPost(w, authReq.GetRedirectURI(), response, a.p.Encoder()); err != nil {
			return Map(err)
		}
		return nil
	}
	location, err := op.AuthResponseURL(authReq.GetRedirectURI(), authReq.GetResponseType(), authReq.GetResponseMode(), response, a.p.Encoder())
	if err != nil {
		return Map(err)
	}
	http.Redirect(w, r, location, http.StatusFound)
	return nil
}
