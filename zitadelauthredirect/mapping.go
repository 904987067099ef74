package zitadelauthredirect

import (
	"errors"
	"reflect"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
)

// The OpenID Connect answers to a prompt=none request (OpenID Connect Core
// 3.1.2.6) that op has no constant for.
const (
	consentRequired          = "consent_required"
	accountSelectionRequired = "account_selection_required"
)

// table maps every error name the library can produce (its oidc error
// types, and the RFC 6749 and OpenID Connect names a Storage or login UI can
// hand it) to the contract's code. Names the table lacks are server_error.
var table = map[string]codes.Code{
	string(oidc.InvalidRequest):       codes.InvalidRequest,
	"unsupported_response_type":       codes.UnsupportedResponseType,
	string(oidc.InvalidScope):         codes.InvalidScope,
	string(oidc.InvalidClient):        codes.InvalidClient,
	string(oidc.InvalidGrant):         codes.InvalidGrant,
	string(oidc.UnauthorizedClient):   codes.UnauthorizedClient,
	string(oidc.UnsupportedGrantType): codes.UnsupportedGrantType,
	string(oidc.ServerError):          codes.ServerError,
	"temporarily_unavailable":         codes.TemporarilyUnavailable,
	string(oidc.AccessDenied):         codes.AccessDenied,
	string(oidc.LoginRequired):        codes.AccessDenied,
	string(oidc.InteractionRequired):  codes.AccessDenied,
	accountSelectionRequired:          codes.AccessDenied,
	consentRequired:                   codes.MissingGrant,
	string(oidc.RequestNotSupported):  codes.InvalidRequest,
	"request_uri_not_supported":       codes.InvalidRequest,
	"registration_not_supported":      codes.InvalidRequest,
	"invalid_request_uri":             codes.InvalidRequest,
	"invalid_request_object":          codes.InvalidRequest,
	string(oidc.InvalidTarget):        codes.InvalidRequest,
	string(oidc.AuthorizationPending): codes.InvalidGrant,
	string(oidc.SlowDown):             codes.InvalidGrant,
	string(oidc.ExpiredToken):         codes.InvalidGrant,
}

// Map returns the contract error for a library error, with err as the cause
// (for logs only). The library's own classification
// (oidc.DefaultToServerError, on types and sentinel errors) names the
// error: the first *oidc.Error in err's tree, else oidc.ErrParse is
// invalid_request and the token verification errors (oidc.ErrExpired,
// oidc.ErrSignatureInvalid, ...) invalid_grant; that name is looked up in
// the table of the README. Any other error, a nil *oidc.Error, and one whose
// tree holds a server_error anywhere (a Storage failure the library wrapped
// in a client-side type) is server_error. Map never reads a description.
func Map(err error) *codes.Error {
	var oe *oidc.Error
	if err == nil || endless(err) || (errors.As(err, &oe) && oe == nil) || serverFault(err) {
		return codes.ServerError.WithCause(err)
	}
	c, ok := table[string(oidc.DefaultToServerError(err, "").ErrorType)]
	if !ok {
		return codes.ServerError.WithCause(err)
	}
	return c.WithCause(err)
}

// serverFault reports whether any *oidc.Error in err's chain is a
// server_error: op wraps a Storage's own server_error in invalid_grant or
// invalid_client on some paths, and a failing store is the server's fault.
// A chain that does not end (see endless) is the server's fault too.
func serverFault(err error) bool {
	if endless(err) {
		return true
	}
	for n := 0; err != nil && n < codes.MaxUnwrap; n++ {
		var oe *oidc.Error
		if !errors.As(err, &oe) || oe == nil {
			return false
		}
		if oe.ErrorType == oidc.ServerError {
			return true
		}
		err = oe.Parent
	}
	return false
}

// notFound reports whether a Storage said that what it was asked for does
// not exist: in op's typed way (op.StorageNotFoundError), or as
// Config.NotFound recognizes.
func (a *Adapter) notFound(err error) bool {
	if endless(err) {
		return false
	}
	var nf op.StorageNotFoundError
	return errors.As(err, &nf) || (a.isNotFound != nil && a.isNotFound(err))
}

// lookupError answers a failed Storage lookup: server_error when a
// server_error is in err's chain, the table's code for an *oidc.Error the
// Storage chose, ifMissing when the Storage reports what was asked for as
// not found (see notFound), server_error for any other failure.
func (a *Adapter) lookupError(err error, ifMissing *codes.Error) *codes.Error {
	var oe *oidc.Error
	switch {
	case serverFault(err):
		return codes.ServerError.WithCause(err)
	case errors.As(err, &oe):
		return Map(err)
	case a.notFound(err):
		return ifMissing.WithCause(err)
	}
	return codes.ServerError.WithCause(err)
}

// promptAnswer reports whether err is one of OpenID Connect's answers to a
// request that cannot go on without the user, which belong to the client.
func promptAnswer(err error) (*oidc.Error, bool) {
	if endless(err) {
		return nil, false
	}
	var oe *oidc.Error
	if !errors.As(err, &oe) || oe == nil {
		return nil, false
	}
	switch oe.ErrorType {
	case oidc.LoginRequired, oidc.InteractionRequired, consentRequired, accountSelectionRequired:
		return oe, true
	}
	return nil, false
}

// endless reports whether err's Unwrap chain goes on past codes.MaxUnwrap
// errors (an Unwrap that loops): errors.As and errors.Is would never end on
// it, so it is not inspected, and answered as server_error.
func endless(err error) bool {
	budget := codes.MaxUnwrap
	return !ends(err, &budget)
}

func ends(err error, budget *int) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if *budget--; *budget < 0 {
			return false
		}
		if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
			return true // a nil pointer's methods are not called; callers answer it
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				if !ends(e, budget) {
					return false
				}
			}
			return true
		}
	}
	return true
}
