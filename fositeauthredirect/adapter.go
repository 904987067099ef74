package fositeauthredirect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"

	"github.com/authredirect/authredirect/codes"
)

// ErrConfig is wrapped by every error New returns.
var ErrConfig = errors.New("fositeauthredirect: invalid configuration")

// Config configures New.
type Config struct {
	// Provider is the fosite provider whose errors are answered, as
	// compose.Compose or compose.ComposeAllEnabled return it. Required.
	Provider fosite.OAuth2Provider
	// Clients is the client storage the provider looks clients up in. It
	// may be nil when Provider is a *fosite.Fosite: its Store is used.
	Clients fosite.ClientManager
	// PromptErrorsToErrorPage sends the OpenID Connect answers login_required,
	// consent_required, interaction_required and account_selection_required
	// to the error page too. By default they go to the client's validated
	// redirect_uri, as OpenID Connect requires of a prompt=none request.
	PromptErrorsToErrorPage bool
}

// Adapter turns the errors of a fosite provider into the contract's errors.
// It is immutable and safe for concurrent use.
type Adapter struct {
	provider   fosite.OAuth2Provider
	clients    fosite.ClientManager
	promptPage bool
}

// New validates cfg and returns its Adapter. A missing Provider, or missing
// Clients beside a Provider that is not a *fosite.Fosite, is an error
// wrapping ErrConfig.
func New(cfg Config) (*Adapter, error) {
	if cfg.Provider == nil {
		return nil, fmt.Errorf("%w: Provider is nil", ErrConfig)
	}
	clients := cfg.Clients
	if f, ok := cfg.Provider.(*fosite.Fosite); ok && clients == nil && f.Store != nil {
		clients = f.Store
	}
	if clients == nil {
		return nil, fmt.Errorf("%w: Clients is nil and Provider is not a *fosite.Fosite with a Store", ErrConfig)
	}
	return &Adapter{provider: cfg.Provider, clients: clients, promptPage: cfg.PromptErrorsToErrorPage}, nil
}

// AuthorizeError answers err, returned by the provider's NewAuthorizeRequest
// or NewAuthorizeResponse (or by the handler in between) for ar, on an
// authorization route. It returns the contract error for Wrap to hand up to
// rc.Authorization, which sends it to the error page:
//
//	ar, err := provider.NewAuthorizeRequest(ctx, r)
//	if err != nil {
//		return a.AuthorizeError(ctx, w, ar, err)
//	}
//
// A missing response_type is invalid_request. An OpenID Connect prompt=none
// answer for a request whose redirect_uri fosite validated is written to
// that redirect_uri, without fosite's hint or debug text, and AuthorizeError
// returns nil, unless Config.PromptErrorsToErrorPage is set.
func (a *Adapter) AuthorizeError(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) error {
	if err == nil {
		return nil
	}
	if unsafeChain(err) {
		return codes.ServerError.WithCause(errUnsafe)
	}
	if _, ok := codes.As(err); ok {
		return err // the application's own contract error
	}
	var fe *fosite.RFC6749Error
	if !errors.As(err, &fe) || fe == nil {
		return codes.ServerError.WithCause(err)
	}
	err = &logged{err: err, fe: fe}
	code := authorizeCode(fe)
	if code == codes.UnauthorizedClient && fe.ErrorField == errInvalidClient {
		return a.unknownClient(ctx, requestForm(ar).Get("client_id"), err, codes.UnauthorizedClient)
	}
	if isPromptNone(fe.ErrorField) && !a.promptPage && ar != nil && ar.IsRedirectURIValid() {
		w.Header().Set("Referrer-Policy", "no-referrer")
		a.provider.WriteAuthorizeError(ctx, w, ar, promptNoneAnswer(fe.ErrorField))
		return nil
	}
	if code == codes.InvalidRequest && ar != nil {
		if d, ok := redirectURIDetail(ar); ok {
			return codes.UnauthorizedClient.With(d).WithCause(err)
		}
	}
	if code == codes.UnsupportedResponseType && ar != nil && strings.TrimSpace(requestForm(ar).Get("response_type")) == "" {
		return codes.InvalidRequest.WithCause(err) // a missing parameter, not an unsupported value
	}
	return code.WithCause(err)
}

// AccessError returns the contract error for err, returned by the provider's
// NewAccessRequest or NewAccessResponse for ar (which may be nil) on r, for
// Wrap to hand up to rc.JSON, which answers it as JSON with the code's status:
//
//	ar, err := provider.NewAccessRequest(ctx, r, session)
//	if err != nil {
//		return a.AccessError(ctx, r, ar, err)
//	}
//
// The contract's reasons decide where fosite's habit differs: no client
// credentials, an unknown client id (with client_id_not_found), a wrong
// secret and an unknown refresh token are unauthorized_client, 400; a grant
// type no handler takes is unsupported_grant_type. README.md has the table.
func (a *Adapter) AccessError(ctx context.Context, r *http.Request, ar fosite.AccessRequester, err error) error {
	if err == nil {
		return nil
	}
	if unsafeChain(err) {
		return codes.ServerError.WithCause(errUnsafe)
	}
	if _, ok := codes.As(err); ok {
		return err
	}
	var fe *fosite.RFC6749Error
	if !errors.As(err, &fe) || fe == nil {
		return codes.ServerError.WithCause(err)
	}
	err = &logged{err: err, fe: fe}
	code := contractCode(fe)
	// fosite checks the method, the body and grant_type before the client;
	// past them, invalid_request without credentials is the missing client.
	checked := r.Method == http.MethodPost && r.PostForm.Get("grant_type") != ""
	switch {
	case fe.ErrorField == errInvalidClient && r.PostForm.Get("client_assertion_type") == "" &&
		(fe.Unwrap() != nil || tokenClientID(r) == ""):
		// fosite wraps the cause of a failed lookup or secret check; its
		// refusal of an authentication method the client may not use
		// carries none, and stays invalid_client below, as does a client
		// assertion that does not verify.
		return a.unknownClient(ctx, tokenClientID(r), err, codes.UnauthorizedClient)
	case fe.ErrorField == errInvalidClient:
		return codes.InvalidClient.WithCause(err)
	case code == codes.InvalidRequest && ar == nil && checked:
		return codes.UnsupportedGrantType.WithCause(err)
	case code == codes.InvalidRequest && checked && !hasCredentials(r):
		return codes.UnauthorizedClient.WithCause(err) // the contract's "missing client id"
	case code == codes.InvalidGrant && errors.Is(err, fosite.ErrNotFound) && r.PostForm.Get("grant_type") == "refresh_token":
		return codes.UnauthorizedClient.WithCause(err) // the contract's "refresh token not found"
	}
	return code.WithCause(err)
}

// logged is fosite's error as the observer sees it: its Error names
// fosite's hint and debug text, which the logs need and the client never
// sees (the renderers never show a cause). errors.As and errors.Is see
// fosite's error through Unwrap.
type logged struct {
	err error
	fe  *fosite.RFC6749Error
}

func (l *logged) Error() string {
	s := "fosite " + l.fe.ErrorField
	if l.fe.HintField != "" {
		s += ": " + l.fe.HintField
	}
	if l.fe.DebugField != "" {
		s += " (debug: " + l.fe.DebugField + ")"
	}
	return s
}

func (l *logged) Unwrap() error { return l.err }

// errUnsafe is the cause recorded for an error chain unsafeChain refuses,
// whose own text cannot be read safely.
var errUnsafe = errors.New("fositeauthredirect: an error holding a nil *fosite.RFC6749Error, or whose Unwrap chain does not end, was not inspected")

// unsafeChain reports whether errors.As and errors.Is must not walk err:
// its chain holds a nil *fosite.RFC6749Error (var e *fosite.RFC6749Error;
// return e), whose value methods Unwrap and Error panic on a nil pointer,
// or goes on past codes.MaxUnwrap errors (an Unwrap that loops, which
// would never end).
func unsafeChain(err error) bool {
	budget := codes.MaxUnwrap
	return unsafeWalk(err, &budget)
}

func unsafeWalk(err error, budget *int) bool {
	for ; err != nil; *budget-- {
		if *budget <= 0 {
			return true
		}
		if fe, ok := err.(*fosite.RFC6749Error); ok && fe == nil {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if unsafeWalk(e, budget) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// unknownClient is the answer when fosite failed to find or authenticate
// the client id: the storage says which. A client the storage does not
// know is client_id_not_found; a storage that fails is server_error, which
// fosite would have called invalid_client; a known client failed to
// authenticate and keeps code.
func (a *Adapter) unknownClient(ctx context.Context, id string, err error, code codes.Code) error {
	if id == "" {
		return code.WithCause(err) // the contract's "missing client id"
	}
	if errors.Is(err, fosite.ErrNotFound) {
		return code.With(codes.ClientIDNotFound).WithCause(err)
	}
	switch _, lookup := a.clients.GetClient(ctx, id); {
	case errors.Is(lookup, fosite.ErrNotFound):
		return code.With(codes.ClientIDNotFound).WithCause(err)
	case lookup != nil:
		return codes.ServerError.WithCause(errors.Join(err, lookup))
	}
	return code.WithCause(err)
}

// redirectURIDetail says why a request fosite found the client of but did
// not validate the redirect_uri of cannot be redirected: the client has no
// redirect URI, or the one given is not the client's. It asks fosite's own
// matcher, so that the answer is the one fosite gave.
func redirectURIDetail(ar fosite.AuthorizeRequester) (codes.Detail, bool) {
	client := ar.GetClient()
	if client == nil || ar.GetRedirectURI() != nil {
		return codes.Detail{}, false
	}
	if len(client.GetRedirectURIs()) == 0 {
		return codes.RedirectURINotSet, true
	}
	raw := requestForm(ar).Get("redirect_uri")
	if raw == "" {
		return codes.Detail{}, false // a missing parameter: invalid_request
	}
	if u, err := fosite.MatchRedirectURIWithClientRedirectURIs(raw, client); err != nil || !fosite.IsValidRedirectURI(u) {
		return codes.InvalidRedirectURI, true
	}
	return codes.Detail{}, false
}

// requestForm is ar's form, empty when there is none (fosite returns a
// request without one when the body does not parse).
func requestForm(ar fosite.Requester) url.Values {
	if ar == nil {
		return nil
	}
	return ar.GetRequestForm()
}

// hasCredentials reports whether a token request names its client in any
// way fosite reads: HTTP Basic, client_id, or a client assertion.
func hasCredentials(r *http.Request) bool {
	if _, _, ok := r.BasicAuth(); ok {
		return true
	}
	return r.PostForm.Get("client_id") != "" || r.PostForm.Get("client_assertion") != "" || r.PostForm.Get("client_assertion_type") != ""
}

// tokenClientID is the client id of a token request as fosite reads it:
// HTTP Basic (form-decoded, RFC 6749 §2.3.1) first, then the form.
func tokenClientID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		if dec, err := url.QueryUnescape(id); err == nil {
			return dec
		}
		return ""
	}
	return r.PostForm.Get("client_id")
}
