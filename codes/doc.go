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
//
// Codes and details are comparable values, and every [*Error] the package
// returns is a new one: nothing it hands out points into state another
// request sees. The exported codes and details are variables, because Go
// has no constants of a struct type; like io.EOF they can be reassigned,
// and no program may do so: such a line changes what the name means for
// the whole process, the library's own guards and adapters included,
// which is a bug the compiler cannot refuse. Compare with a name
// (err == codes.InvalidScope, errors.Is), never store into one.
package codes
