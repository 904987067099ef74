package render

import (
	"errors"
	"fmt"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/internal/query"
)

// ErrNoException is returned by [ParseQuery] when the query holds neither
// oauth_exception nor identity_exception: there is no error to read.
var ErrNoException = errors.New("render: no oauth_exception or identity_exception in the query")

// errMalformed is wrapped by ParseQuery's errors for a query that breaks the
// contract.
var errMalformed = errors.New("render: malformed error query")

// ParseQuery reads the error out of a raw query such as an error page
// receives (for a redirect's Location, the RawQuery of its url.Parse).
// Both families and both spellings of the loop detail are read; other
// parameters (a target's own query) are ignored. Whatever it accepts,
// [Renderer.Location] renders back to the same parameters. Unknown codes
// and details wrap [codes.ErrUnknown]; a query with neither family's code
// is [ErrNoException]; any other error is a query that breaks the
// contract: a repeated parameter, both families at once, an entity id that
// is invalid or sent with a code other than unauthorized, or bad escaping.
func ParseQuery(rawQuery string) (*codes.Error, error) {
	// Read as url.ParseQuery would, without a map of every parameter: an
	// error page reads this on every request.
	var first [len(contractParams)]string
	var count [len(contractParams)]int
	if !query.Pick(rawQuery, contractParams[:], first[:], count[:]) {
		return nil, fmt.Errorf("%w: bad escaping", errMalformed)
	}
	for i, p := range contractParams {
		if count[i] > 1 {
			return nil, fmt.Errorf("%w: %s given %d times", errMalformed, p, count[i])
		}
	}
	const oauth, identity, details, entity = 0, 1, 2, 3 // contractParams' order
	var kind codes.Kind
	var name string
	switch {
	case count[oauth] == 1 && count[identity] == 1:
		return nil, fmt.Errorf("%w: both oauth_exception and identity_exception", errMalformed)
	case count[oauth] == 1:
		kind, name = codes.Authorization, first[oauth]
	case count[identity] == 1:
		kind, name = codes.Authentication, first[identity]
	default:
		if count[details] == 1 || count[entity] == 1 {
			return nil, fmt.Errorf("%w: exception_details or entity_id without a code", errMalformed)
		}
		return nil, ErrNoException
	}
	code, err := codes.Parse(kind, name)
	if err != nil {
		return nil, err
	}
	var d codes.Detail
	if count[details] == 1 {
		if d, err = codes.ParseDetail(first[details]); err != nil {
			return nil, err
		}
	}
	e := code.With(d) // the zero Detail is none
	if count[entity] == 1 {
		id := first[entity]
		switch {
		case code != codes.Unauthorized:
			return nil, fmt.Errorf("%w: entity_id with %s, not unauthorized", errMalformed, code.Name())
		case id == "" || codes.Unauthorized.WithEntityID(id).EntityID() != id:
			return nil, fmt.Errorf("%w: entity_id is not a valid identifier", errMalformed)
		}
		e = e.WithEntityID(id)
	}
	return e, nil
}
