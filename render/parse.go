package render

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/authredirect/authredirect/codes"
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
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: bad escaping", errMalformed)
	}
	for _, p := range contractParams {
		if n := len(q[p]); n > 1 {
			return nil, fmt.Errorf("%w: %s given %d times", errMalformed, p, n)
		}
	}
	oauth, identity := q.Has("oauth_exception"), q.Has("identity_exception")
	var kind codes.Kind
	switch {
	case oauth && identity:
		return nil, fmt.Errorf("%w: both oauth_exception and identity_exception", errMalformed)
	case oauth:
		kind = codes.Authorization
	case identity:
		kind = codes.Authentication
	default:
		if q.Has("exception_details") || q.Has("entity_id") {
			return nil, fmt.Errorf("%w: exception_details or entity_id without a code", errMalformed)
		}
		return nil, ErrNoException
	}
	code, err := codes.Parse(kind, q.Get(kind.Param()))
	if err != nil {
		return nil, err
	}
	e := code.Err()
	if q.Has("exception_details") {
		d, err := codes.ParseDetail(q.Get("exception_details"))
		if err != nil {
			return nil, err
		}
		e = e.With(d)
	}
	if q.Has("entity_id") {
		id := q.Get("entity_id")
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
