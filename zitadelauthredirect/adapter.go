package zitadelauthredirect

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// ErrConfig is wrapped by every error New returns.
var ErrConfig = errors.New("zitadelauthredirect: invalid configuration")

// Provider is what the adapter uses of an OpenID Provider: its authorize and
// token sides. An *op.Provider is one.
type Provider interface {
	op.Authorizer
	op.Exchanger
}

// Config configures New.
type Config struct {
	// Provider is the library's provider, whose Storage, Decoder, Encoder,
	// Crypto and verifiers the adapter uses; required.
	Provider Provider

	// PromptErrorsToErrorPage sends OpenID Connect's answers to a request
	// that needs the user (login_required, interaction_required,
	// consent_required, account_selection_required) to the error page as
	// access_denied (missing_grant for consent_required), instead of to the
	// client's validated redirect_uri as OpenID Connect prescribes.
	PromptErrorsToErrorPage bool

	// DropUnknownScopes keeps op's own scope policy: a requested scope that
	// is neither a standard OpenID Connect scope nor allowed by the client's
	// IsScopeAllowed is silently removed. By default it is refused with
	// invalid_scope.
	DropUnknownScopes bool

	// NotFound reports whether an error of the Storage's lookups
	// (GetClientByClientID, AuthRequestByID, AuthRequestByCode,
	// TokenRequestByRefreshToken, the private_key_jwt client) means that
	// what was asked for does not exist, which earns the contract's
	// reason (client_id_not_found, ...) instead of server_error. An error
	// implementing op.StorageNotFoundError always does, and an *oidc.Error
	// keeps its own type. With database/sql:
	//	NotFound: func(err error) bool { return errors.Is(err, sql.ErrNoRows) }
	// zitadel's example storage (github.com/zitadel/oidc/v3/example/server/storage)
	// keeps everything in memory, so every error of its lookups means
	// "not there": NotFound: func(error) bool { return true }.
	//
	// Warning: an error it wrongly recognizes turns a failing Storage into
	// a client's mistake in the answer (the cause is still logged).
	NotFound func(error) bool
}

// Adapter answers the authorization and token endpoints of an op provider
// with the accounts error contract: its handlers run op's own exported
// parsing and validation steps, in op's order, and return every failure as a
// contract error for the Recoverer route above them (see [middleware.Wrap]).
// It is immutable and safe for concurrent use.
type Adapter struct {
	p      Provider
	prompt bool // prompt answers go to the client
	strict bool // unknown scopes are refused

	isNotFound func(error) bool

	authorize, callback, token http.Handler
}

// New validates cfg and builds an Adapter. A missing Provider is an error
// wrapping ErrConfig.
func New(cfg Config) (*Adapter, error) {
	if cfg.Provider == nil {
		return nil, errors.Join(ErrConfig, errors.New("zitadelauthredirect: Config.Provider is required"))
	}
	a := &Adapter{p: cfg.Provider, prompt: !cfg.PromptErrorsToErrorPage, strict: !cfg.DropUnknownScopes, isNotFound: cfg.NotFound}
	// The core's guards answer a wrong method, a multipart body, a body
	// over middleware.DefaultMaxFormBytes, a body or query that does not
	// parse and a repeated parameter with invalid_request before op reads
	// anything (op's decoder would take the first of two values).
	guarded := func(h func(http.ResponseWriter, *http.Request) error, methods ...string) http.Handler {
		return middleware.AllowMethods(methods...)(
			middleware.ParseForm(0)(middleware.UniqueParams()(middleware.Wrap(h))))
	}
	a.authorize = guarded(a.serveAuthorize, http.MethodGet, http.MethodPost)
	a.callback = guarded(a.serveCallback, http.MethodGet, http.MethodPost)
	a.token = guarded(a.serveToken, http.MethodPost)
	return a, nil
}

// supportedResponseTypes are the response types op can answer; any other is
// unsupported_response_type, while one op knows but the client has not
// registered is unauthorized_client.
var supportedResponseTypes = []oidc.ResponseType{oidc.ResponseTypeCode, oidc.ResponseTypeIDToken, oidc.ResponseTypeIDTokenOnly}

// Authorize returns the authorization endpoint (GET or POST), for an
// authorization route ([middleware.Recoverer.Authorization]). It parses and
// validates the request as op.Authorize does, stores it and redirects to the
// client's login URL as op does (302). A wrong method, a multipart body, a query or body that
// does not parse and a parameter given twice are invalid_request. Every failure is returned as a
// contract error, with the detail derived from the client's storage:
// client_id_not_found when the Storage reports the client as not found
// (op.StorageNotFoundError), redirect_uri_not_set when the client has no
// redirect URI, invalid_redirect_uri when the requested one is not the
// client's. Nothing is ever sent to a redirect_uri the client has not
// registered; see [Config.PromptErrorsToErrorPage] for the one kind of
// error that goes to a registered one.
func (a *Adapter) Authorize() http.Handler { return a.authorize }

func (a *Adapter) serveAuthorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	authReq, err := op.ParseAuthorizeRequest(r, a.p.Decoder())
	if err != nil {
		return Map(err)
	}
	if authReq.RequestParam != "" && a.p.RequestObjectSupported() {
		// As op.Authorize: the signed request object's values replace the
		// query's, and a bad one is refused before anything else.
		if err := op.ParseRequestObject(ctx, authReq, a.p.Storage(), op.IssuerFromContext(ctx)); err != nil {
			return Map(err)
		}
	}
	switch {
	case authReq.ClientID == "":
		return codes.UnauthorizedClient.Err()
	case authReq.RedirectURI == "":
		return codes.InvalidRequest.Err()
	}
	var (
		client op.Client
		userID string
		// checked: the redirect_uri is one the client registered, so
		// that an answer may go there.
		checked bool
	)
	if v, ok := a.p.(op.AuthorizeValidator); ok {
		// As op.Authorize: the provider's own validation replaces op's,
		// and only the code_challenge_method is checked besides.
		userID, err = v.ValidateAuthRequest(ctx, authReq, a.p.Storage(), a.p.IDTokenHintVerifier(ctx))
		if err != nil {
			_, prompt := promptAnswer(err)
			return a.fail(w, r, authReq, err, prompt && a.registered(ctx, authReq))
		}
		if client, err = a.client(ctx, authReq.ClientID); err != nil {
			return err
		}
		checked = op.ValidateAuthReqRedirectURI(client, authReq.RedirectURI, authReq.ResponseType) == nil
		if err := op.ValidateAuthReqCodeChallengeMethod(authReq.CodeChallenge, authReq.CodeChallengeMethod); err != nil {
			return Map(err)
		}
	} else {
		if client, err = a.client(ctx, authReq.ClientID); err != nil {
			return err
		}
		if authReq.ResponseType == "" {
			return codes.InvalidRequest.Err()
		}
		if err := op.ValidateAuthReqRedirectURI(client, authReq.RedirectURI, authReq.ResponseType); err != nil {
			if serverFault(err) {
				return codes.ServerError.WithCause(err)
			}
			if !hasRedirectURIs(client) {
				return codes.UnauthorizedClient.With(codes.RedirectURINotSet).WithCause(err)
			}
			return codes.UnauthorizedClient.With(codes.InvalidRedirectURI).WithCause(err)
		}
		checked = true
		if userID, err = a.validate(r, authReq, client); err != nil {
			return a.fail(w, r, authReq, err, checked)
		}
	}
	if authReq.RequestParam != "" {
		// A request object the provider does not read (op.Config's
		// RequestObjectSupported); one it reads was cleared by then.
		return a.fail(w, r, authReq, oidc.ErrRequestNotSupported(), checked)
	}
	// A Storage may refuse the request with the library's error, as
	// zitadel's example storage answers prompt=none with login_required:
	// its type is kept.
	stored, err := a.p.Storage().CreateAuthRequest(ctx, authReq, userID)
	if err != nil {
		return a.fail(w, r, authReq, err, checked)
	}
	op.RedirectToLogin(stored.GetID(), client, w, r)
	return nil
}

// registered reports whether authReq's redirect_uri passes op's check
// against its client (a custom validator may not have made it).
func (a *Adapter) registered(ctx context.Context, authReq *oidc.AuthRequest) bool {
	client, err := a.p.Storage().GetClientByClientID(ctx, authReq.ClientID)
	return err == nil && client != nil && op.ValidateAuthReqRedirectURI(client, authReq.RedirectURI, authReq.ResponseType) == nil
}

// validate runs op's checks of a request whose client and redirect_uri are
// known good, in op's order, and returns the subject of its id_token_hint.
func (a *Adapter) validate(r *http.Request, authReq *oidc.AuthRequest, client op.Client) (string, error) {
	var err error
	if authReq.MaxAge, err = op.ValidateAuthReqPrompt(authReq.Prompt, authReq.MaxAge); err != nil {
		return "", err
	}
	if err := a.validateScopes(authReq, client); err != nil {
		return "", err
	}
	if authReq.ResponseType != "" && !slices.Contains(supportedResponseTypes, authReq.ResponseType) {
		return "", codes.UnsupportedResponseType.Err()
	}
	if err := op.ValidateAuthReqResponseType(client, authReq.ResponseType); err != nil {
		return "", err
	}
	if err := op.ValidateAuthReqCodeChallengeMethod(authReq.CodeChallenge, authReq.CodeChallengeMethod); err != nil {
		return "", err
	}
	return op.ValidateAuthReqIDTokenHint(r.Context(), authReq.IDTokenHint, a.p.IDTokenHintVerifier(r.Context()))
}

// validateScopes refuses an unknown scope with invalid_scope, or, with
// DropUnknownScopes, applies op's own policy.
func (a *Adapter) validateScopes(authReq *oidc.AuthRequest, client op.Client) error {
	scopes, err := op.ValidateAuthReqScopes(client, authReq.Scopes)
	if err != nil {
		return err
	}
	if a.strict && len(scopes) != len(authReq.Scopes) {
		return oidc.ErrInvalidScope()
	}
	authReq.Scopes = scopes
	return nil
}

// client looks clientID up through the library's Storage: a client the
// Storage reports as not found is unauthorized_client with
// client_id_not_found, any other failure server_error.
func (a *Adapter) client(ctx context.Context, clientID string) (op.Client, error) {
	client, err := a.p.Storage().GetClientByClientID(ctx, clientID)
	switch {
	case err != nil:
		return nil, a.lookupError(err, codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	case client == nil:
		return nil, codes.ServerError.WithCause(errors.New("zitadelauthredirect: Storage returned no client and no error"))
	}
	return client, nil
}

// hasRedirectURIs reports whether the client registered any redirect URI
// that is not empty, as a list or as globs (op.HasRedirectGlobs).
func hasRedirectURIs(client op.Client) bool {
	uris := client.RedirectURIs()
	if g, ok := client.(op.HasRedirectGlobs); ok {
		uris = append(slices.Clip(uris), g.RedirectURIGlobs()...)
	}
	return slices.ContainsFunc(uris, func(u string) bool { return u != "" })
}

// fail answers a failure of an authorization request: an OpenID Connect
// prompt answer goes to its redirect_uri (as op would send it) when checked
// says the client registered it, unless configured otherwise; everything
// else is returned as a contract error for the error page.
func (a *Adapter) fail(w http.ResponseWriter, r *http.Request, authReq op.ErrAuthRequest, err error, checked bool) error {
	if e, ok := codes.As(err); ok {
		return e
	}
	oe, ok := promptAnswer(err)
	if !ok || !a.prompt || !checked || serverFault(err) {
		return Map(err)
	}
	answer := &oidc.Error{ErrorType: oe.ErrorType, State: authReq.GetState()}
	if s, ok := authReq.(op.AuthRequestSessionState); ok {
		answer.SessionState = s.GetSessionState()
	}
	var mode oidc.ResponseMode
	if m, ok := authReq.(interface{ GetResponseMode() oidc.ResponseMode }); ok {
		mode = m.GetResponseMode()
	}
	location, lerr := op.AuthResponseURL(authReq.GetRedirectURI(), authReq.GetResponseType(), mode, answer, a.p.Encoder())
	if lerr != nil {
		return codes.ServerError.WithCause(errors.Join(err, lerr))
	}
	h := w.Header()
	h.Set("Location", location)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusSeeOther)
	return nil
}
