// Package codes is the closed vocabulary of the accounts error contract: the
// two error families ([Kind]), the seventeen error codes ([Code]), the four
// exception details ([Detail]) and the typed error that carries them
// ([Error]).
//
// A handler returns a [Code] or an [*Error] like any other error:
//
//	return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
//
// and the middleware package turns it into the redirect the contract
// prescribes. This package knows nothing of HTTP writing; it imports only the
// standard library.
package codes
