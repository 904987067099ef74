package zitadelauthredirect

import (
	"context"
	"net/http"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
)

// Token returns the token endpoint (POST) for the authorization_code grant and,
// when the provider supports it, the refresh_token grant; any other grant
// type is unsupported_grant_type. A success is op's own JSON answer; every
// failure is returned as a contract error, meant for a JSON route
// ([middleware.Recoverer.JSON]), which writes the contract's JSON with its
// status, WWW-Authenticate and Retry-After.
//
// The client is authenticated before the code or refresh token is looked
// up, with op's steps: a missing client_id is unauthorized_client, one the
// Storage reports as not found unauthorized_client with client_id_not_found,
// a wrong secret unauthorized_client, an authentication method the client or
// provider does not allow invalid_client. Another method than POST, a multipart body, a body
// that does not parse and a parameter given twice are invalid_request.
func (a *Adapter) Token() http.Handler { return a.token }

func (a *Adapter) serveToken(w http.ResponseWriter, r *http.Request) error {
	switch oidc.GrantType(r.Form.Get("grant_type")) {
	case "":
		return codes.InvalidRequest.Err()
	case oidc.GrantTypeCode:
		return a.codeExchange(w, r)
	case oidc.GrantTypeRefreshToken:
		if a.p.GrantTypeRefreshTokenSupported() {
			return a.refresh(w, r)
		}
	}
	return codes.UnsupportedGrantType.Err()
}

// codeExchange is op.CodeExchange with the client authenticated first.
func (a *Adapter) codeExchange(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := op.ParseAccessTokenRequest(r, a.p.Decoder())
	if err != nil {
		return Map(err)
	}
	if req.Code == "" {
		return codes.InvalidRequest.Err()
	}
	client, err := a.authenticate(ctx, req.ClientID, req.ClientSecret, req.ClientAssertion, req.ClientAssertionType)
	if err != nil {
		return err
	}
	if !op.ValidateGrantType(client, oidc.GrantTypeCode) {
		return codes.UnauthorizedClient.Err()
	}
	authReq, err := a.p.Storage().AuthRequestByCode(ctx, req.Code)
	if err != nil {
		return a.lookupError(err, codes.InvalidGrant.Err())
	}
	if authReq.GetClientID() != client.GetID() {
		return codes.InvalidGrant.Err() // issued to another client
	}
	if err := op.AuthorizeCodeChallenge(req.CodeVerifier, authReq.GetCodeChallenge()); err != nil {
		return Map(err)
	}
	if client.AuthMethod() == oidc.AuthMethodNone && authReq.GetCodeChallenge() == nil {
		return codes.InvalidRequest.Err() // a public client must use PKCE
	}
	if req.RedirectURI != authReq.GetRedirectURI() {
		return codes.InvalidGrant.Err()
	}
	resp, err := op.CreateTokenResponse(ctx, authReq, client, a.p, true, req.Code, "")
	if err != nil {
		return Map(err)
	}
	httphelper.MarshalJSON(w, resp)
	return nil
}

// refresh is op.RefreshTokenExchange with the contract's reasons: a refresh
// token the Storage does not know is unauthorized_client, one issued to
// another client invalid_client.
func (a *Adapter) refresh(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := op.ParseRefreshTokenRequest(r, a.p.Decoder())
	if err != nil {
		return Map(err)
	}
	if req.RefreshToken == "" {
		return codes.InvalidRequest.Err()
	}
	client, err := a.authenticate(ctx, req.ClientID, req.ClientSecret, req.ClientAssertion, req.ClientAssertionType)
	if err != nil {
		return err
	}
	if !op.ValidateGrantType(client, oidc.GrantTypeRefreshToken) {
		return codes.UnauthorizedClient.Err()
	}
	tokenReq, err := a.p.Storage().TokenRequestByRefreshToken(ctx, req.RefreshToken)
	if err != nil {
		return a.lookupError(err, codes.UnauthorizedClient.Err()) // refresh token not found
	}
	if tokenReq.GetClientID() != client.GetID() {
		return codes.InvalidClient.Err()
	}
	if err := op.ValidateRefreshTokenScopes(req.Scopes, tokenReq); err != nil {
		return Map(err)
	}
	resp, err := op.CreateTokenResponse(ctx, tokenReq, client, a.p, true, "", req.RefreshToken)
	if err != nil {
		return Map(err)
	}
	httphelper.MarshalJSON(w, resp)
	return nil
}

// authenticate authenticates the client of a token request with op's steps
// (op.AuthorizeCodeClient's, in its order) and the contract's reasons.
func (a *Adapter) authenticate(ctx context.Context, clientID, secret, assertion, assertionType string) (op.Client, error) {
	if assertionType == oidc.ClientAssertionTypeJWTAssertion {
		ex, ok := a.p.(op.JWTAuthorizationGrantExchanger)
		if !ok || !a.p.AuthMethodPrivateKeyJWTSupported() {
			return nil, codes.InvalidClient.Err()
		}
		client, err := op.AuthorizePrivateJWTKey(ctx, assertion, ex)
		switch {
		case err == nil:
			return client, nil
		case serverFault(err):
			return nil, codes.ServerError.WithCause(err)
		case a.notFound(err):
			return nil, codes.UnauthorizedClient.With(codes.ClientIDNotFound).WithCause(err)
		}
		return nil, codes.InvalidClient.WithCause(err)
	}
	if clientID == "" {
		return nil, codes.UnauthorizedClient.Err()
	}
	client, err := a.client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	switch client.AuthMethod() {
	case oidc.AuthMethodPrivateKeyJWT:
		return nil, codes.InvalidClient.Err()
	case oidc.AuthMethodNone:
		return client, nil
	case oidc.AuthMethodPost:
		if !a.p.AuthMethodPostSupported() {
			return nil, codes.InvalidClient.Err()
		}
	}
	if err := op.AuthorizeClientIDSecret(ctx, clientID, secret, a.p.Storage()); err != nil {
		if serverFault(err) {
			return nil, codes.ServerError.WithCause(err)
		}
		return nil, codes.UnauthorizedClient.WithCause(err) // invalid client secret
	}
	return client, nil
}
