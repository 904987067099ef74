package codes

import "net/http"

// Code is one error code of one family. Codes are comparable values: two
// Codes are equal exactly when they have the same family and wire name, so
// InvalidRequest (authorization) and IdentityInvalidRequest (authentication)
// differ although both are sent as "invalid_request".
//
// A Code is itself an error, so a handler can return one directly. Converting
// a Code to an error does not allocate. The zero Code is not a valid code.
type Code struct{ id uint8 }

// The authorization codes, sent to the error page as oauth_exception.
var (
	InvalidRequest          = Code{1}
	UnauthorizedClient      = Code{2}
	AccessDenied            = Code{3}
	UnsupportedResponseType = Code{4}
	InvalidScope            = Code{5}
	ServerError             = Code{6}
	TemporarilyUnavailable  = Code{7}
	UnsupportedGrantType    = Code{8}
	InvalidGrant            = Code{9}
	InvalidClient           = Code{10}
	MissingGrant            = Code{11}
)

// The authentication codes, sent to the login page as identity_exception.
// Three of them share a wire name with an authorization code and carry the
// Identity prefix in Go: they are authentication errors on every route.
// The plain names of those three (InvalidRequest, AccessDenied,
// ServerError) follow the route's family instead: see [Error.OnRoute].
var (
	IdentityInvalidRequest   = Code{12}
	Unauthorized             = Code{13}
	IdentityServerError      = Code{14}
	IdentityAccessDenied     = Code{15}
	IdentityLost             = Code{16}
	CredentialsLoginDisabled = Code{17}
)

type codeInfo struct {
	kind        Kind
	name        string
	status      int
	description string
}

// codeTable is indexed by Code.id; entry 0 is the invalid zero Code.
var codeTable = [...]codeInfo{
	{},
	{Authorization, "invalid_request", http.StatusBadRequest,
		"The request is malformed: a required parameter is missing, a value is invalid, a parameter is repeated, or the body cannot be read."},
	{Authorization, "unauthorized_client", http.StatusBadRequest,
		"This client may not obtain a token this way."},
	{Authorization, "access_denied", http.StatusForbidden,
		"The resource owner or the authorization server refused the request."},
	{Authorization, "unsupported_response_type", http.StatusBadRequest,
		"The authorization server does not issue tokens with the requested response type."},
	{Authorization, "invalid_scope", http.StatusBadRequest,
		"The requested scope is unknown, malformed or not enough for this request."},
	{Authorization, "server_error", http.StatusInternalServerError,
		"The authorization server failed unexpectedly and could not complete the request."},
	{Authorization, "temporarily_unavailable", http.StatusServiceUnavailable,
		"The authorization server is overloaded or under maintenance; try again later."},
	{Authorization, "unsupported_grant_type", http.StatusBadRequest,
		"The authorization server does not accept this grant type."},
	{Authorization, "invalid_grant", http.StatusBadRequest,
		"The authorization code or refresh token is invalid, expired, revoked, bound to another redirect URI or issued to another client."},
	{Authorization, "invalid_client", http.StatusUnauthorized,
		"The client could not be authenticated."},
	{Authorization, "missing_grant", http.StatusForbidden,
		"The client lacks rights that the user has to grant first."},
	{Authentication, "invalid_request", http.StatusBadRequest,
		"The sign-in request is malformed: a required parameter is missing, a value is invalid, a parameter is repeated, or the body cannot be read."},
	{Authentication, "unauthorized", http.StatusUnauthorized,
		"The identity does not exist or the credentials are wrong. When the identity is known its id is sent as entity_id."},
	{Authentication, "server_error", http.StatusInternalServerError,
		"The server failed unexpectedly while establishing the identity."},
	{Authentication, "access_denied", http.StatusForbidden,
		"The identity is known but may not sign in for business reasons, for example because it is banned or on a wrong account version."},
	{Authentication, "identity_lost", http.StatusUnauthorized,
		"The identity's session ended: it logged out, reset its password or was logged out remotely."},
	{Authentication, "credentials_login_disabled", http.StatusForbidden,
		"This identity cannot sign in with a password; it must use another method such as Google OAuth or SAML."},
}

func (c Code) info() *codeInfo {
	if int(c.id) >= len(codeTable) {
		return &codeTable[0]
	}
	return &codeTable[c.id]
}

// Valid reports whether c is one of the seventeen codes of the contract.
func (c Code) Valid() bool { return c.id != 0 && int(c.id) < len(codeTable) }

// Kind is the family of c.
func (c Code) Kind() Kind { return c.info().kind }

// Name is the wire name of c, such as "invalid_scope".
func (c Code) Name() string { return c.info().name }

// Error makes a Code an error. The text names the family and the code, for
// example "authorization error invalid_scope"; it is also what fmt prints.
// [Code.Name] is the bare wire name.
func (c Code) Error() string {
	if !c.Valid() {
		return "invalid error code"
	}
	return c.info().kind.String() + " error " + c.info().name
}

// Description explains c in a sentence, fit to show a user or a developer.
func (c Code) Description() string { return c.info().description }

// HTTPStatus is the status used when c is answered as JSON rather than as a
// redirect: [http.StatusBadRequest] unless the code says otherwise
// (401, 403, 500 or 503).
func (c Code) HTTPStatus() int {
	if !c.Valid() {
		return http.StatusInternalServerError
	}
	return c.info().status
}

// in returns the code of family k that has the same wire name as c, and
// whether there is one. ServerError.in(Authentication) is IdentityServerError.
func (c Code) in(k Kind) (Code, bool) {
	if c.Valid() && c.Kind() == k {
		return c, true
	}
	id, ok := find(len(codeTable), func(id uint8) bool {
		return codeTable[id].kind == k && codeTable[id].name == c.Name()
	})
	return Code{id}, ok && c.Valid()
}

// All returns every valid code, authorization codes first, in the order of
// the contract. The slice is new on every call.
func All() []Code { return list(len(codeTable), func(id uint8) Code { return Code{id} }) }

// The tables of codes and details share one layout: entry 0 is the invalid
// zero value, entries 1 to n-1 are the contract's, in its order.

// list makes the valid values of a table of n entries.
func list[T any](n int, value func(id uint8) T) []T {
	all := make([]T, 0, n-1)
	for id := 1; id < n; id++ {
		all = append(all, value(uint8(id)))
	}
	return all
}

// find returns the first valid id of a table of n entries that matches.
func find(n int, match func(id uint8) bool) (uint8, bool) {
	for id := 1; id < n; id++ {
		if match(uint8(id)) {
			return uint8(id), true
		}
	}
	return 0, false
}
