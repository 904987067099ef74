package fositeauthredirect

import (
	"net/http"

	"github.com/ory/fosite"

	"github.com/authredirect/authredirect/codes"
)

// The error names (RFC6749Error.ErrorField) the adapter's logic refers to.
const (
	errInvalidClient = "invalid_client"

	// OpenID Connect Core §3.1.2.6: the answers of a prompt=none request.
	errLoginRequired            = "login_required"
	errConsentRequired          = "consent_required"
	errInteractionRequired      = "interaction_required"
	errAccountSelectionRequired = "account_selection_required"
)

// table maps every error name fosite v0.49 can answer on its authorize and
// token endpoints to its contract code: README's mapping table, row by row.
// authorizeCode says how the authorize endpoint reads two of the codes.
var table = map[string]codes.Code{
	// RFC 6749 §4.1.2.1 and §5.2.
	"invalid_request":           codes.InvalidRequest,
	"unauthorized_client":       codes.UnauthorizedClient,
	"access_denied":             codes.AccessDenied,
	"unsupported_response_type": codes.UnsupportedResponseType,
	"invalid_scope":             codes.InvalidScope,
	"server_error":              codes.ServerError,
	"temporarily_unavailable":   codes.TemporarilyUnavailable,
	"unsupported_grant_type":    codes.UnsupportedGrantType,
	"invalid_grant":             codes.InvalidGrant,
	errInvalidClient:            codes.InvalidClient,
	// OpenID Connect Core §3.1.2.6, when sent to the error page.
	errLoginRequired:             codes.AccessDenied,
	errInteractionRequired:       codes.AccessDenied,
	errAccountSelectionRequired:  codes.AccessDenied,
	errConsentRequired:           codes.MissingGrant,
	"invalid_request_uri":        codes.InvalidRequest,
	"invalid_request_object":     codes.InvalidRequest,
	"request_not_supported":      codes.InvalidRequest,
	"request_uri_not_supported":  codes.InvalidRequest,
	"registration_not_supported": codes.InvalidRequest,
	// fosite's own names.
	"unsupported_response_mode": codes.InvalidRequest,
	"invalid_state":             codes.InvalidRequest,
	"insufficient_entropy":      codes.InvalidRequest,
	"misconfiguration":          codes.ServerError,
	"error":                     codes.ServerError, // unrecognised errors and storage serialization failures
	"request_forbidden":         codes.AccessDenied,
	"scope_not_granted":         codes.AccessDenied,
	"request_unauthorized":      codes.InvalidClient,
	"jti_known":                 codes.InvalidGrant,
	"not_found":                 codes.InvalidGrant,
	// RFC 6750 §3.1 and fosite's token validation names: a token or code
	// that does not validate is a grant that does not.
	"invalid_token":            codes.InvalidGrant,
	"token_inactive":           codes.InvalidGrant,
	"token_signature_mismatch": codes.InvalidGrant,
	"token_claim":              codes.InvalidGrant,
}

// contractCode is the contract code of fe: its row in table, or, for a name fosite
// does not define (an application's own), server_error when its status is
// a server's and invalid_request otherwise.
func contractCode(fe *fosite.RFC6749Error) codes.Code {
	if c, ok := table[fe.ErrorField]; ok {
		return c
	}
	if fe.CodeField >= http.StatusInternalServerError || fe.CodeField < http.StatusBadRequest {
		return codes.ServerError
	}
	return codes.InvalidRequest
}

// authorizeCode is contractCode on the authorize endpoint, whose errors
// (RFC 6749 §4.1.2.1) include neither invalid_client nor invalid_grant:
// fosite says invalid_client there when it cannot find the client, and
// invalid_grant when the client may not use the flow's grant type. Both,
// and every name that maps to them, are unauthorized_client.
func authorizeCode(fe *fosite.RFC6749Error) codes.Code {
	c := contractCode(fe)
	if c == codes.InvalidClient || c == codes.InvalidGrant {
		return codes.UnauthorizedClient
	}
	return c
}

// isPromptNone reports whether name is one of OpenID Connect's answers to
// a request that may not interact with the user.
func isPromptNone(name string) bool {
	switch name {
	case errLoginRequired, errConsentRequired, errInteractionRequired, errAccountSelectionRequired:
		return true
	}
	return false
}

// promptNoneAnswers are the errors the provider writes to the client for a
// prompt=none answer: name, fosite's fixed description and status, and
// never the hint or debug text an error picked up on its way.
var promptNoneAnswers = map[string]*fosite.RFC6749Error{
	errLoginRequired:       clean(fosite.ErrLoginRequired),
	errConsentRequired:     clean(fosite.ErrConsentRequired),
	errInteractionRequired: clean(fosite.ErrInteractionRequired),
	errAccountSelectionRequired: {
		ErrorField:       errAccountSelectionRequired,
		DescriptionField: "The End-User is required to select a session at the Authorization Server.",
		CodeField:        http.StatusBadRequest,
	},
}

func clean(e *fosite.RFC6749Error) *fosite.RFC6749Error {
	return &fosite.RFC6749Error{ErrorField: e.ErrorField, DescriptionField: e.DescriptionField, CodeField: e.CodeField}
}

// promptNoneAnswer returns a copy, since fosite's writer may set fields.
func promptNoneAnswer(name string) *fosite.RFC6749Error {
	e := *promptNoneAnswers[name]
	return &e
}
