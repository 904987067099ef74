// Package codes is the closed vocabulary of the accounts error contract: the
// two families ([Kind]), the seventeen codes ([Code]), the four exception
// details ([Detail]) and the typed error that carries them ([Error]). A
// handler returns a [Code] or an [*Error] like any other error:
//
//	return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
//
// Codes and details are comparable values, and every [*Error] the package
// returns is new: nothing it hands out points into state another request
// sees. The exported codes are variables (Go has no struct constants);
// like io.EOF they can be reassigned, and no program may do so, since that
// changes the name for the whole process. Compare with them, never store
// into one.
package codes
