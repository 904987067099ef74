package render

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/authredirect/authredirect/codes"
)

// ErrNoException is returned by the parsers when the query holds neither
// oauth_exception nor identity_exception: there is no error to read.
var ErrNoException = errors.New("render: no oauth_exception or identity_exception in the query")

// ErrMalformed is wrapped by the parsers' errors for a query that breaks the
// contract: a repeated parameter, both families at once, an entity id that
// is invalid or sent with a code other than unauthorized, or bad escaping.
// Unknown codes and details wrap [codes.ErrUnknown] instead.
var ErrMalformed = errors.New("render: malformed error query")

// ParseLocation reads the error out of a redirect's Location (or any URL
// whose query follows the contract). See [ParseQuery].
func ParseLocation(location string) (*codes.Error, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("%w: the location does not parse", ErrMalformed)
	}
	return ParseQuery(u.RawQuery)
}

// ParseQuery reads the error out of a raw query such as an error page
// receives. Both families and both spellings of the loop detail are read;
// other parameters (a target's own query) are ignored. Whatever it accepts,
// [Renderer.Location] renders back to the same parameters.
func ParseQuery(rawQuery string) (*codes.Error, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: bad escaping", ErrMalformed)
	}
	for _, p := range contractParams {
		if n := len(q[p]); n > 1 {
			return nil, fmt.Errorf("%w: %s given %d times", ErrMalformed, p, n)
		}
	}
	oauth, identity := q.Has("oauth_exception"), q.Has("identity_exception")
	var kind codes.Kind
	switch {
	case oauth && identity:
		return nil, fmt.Errorf("%w: both oauth_exception and identity_exception", ErrMalformed)
	case oauth:
		kind = codes.Authorization
	case identity:
		kind = codes.Authentication
	default:
		if q.Has("exception_details") || q.Has("entity_id") {
			return nil, fmt.Errorf("%w: exception_details or entity_id without a code", ErrMalformed)
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
			return nil, fmt.Errorf("%w: entity_id with %s, not unauthorized", ErrMalformed, code.Name())
		case id == "" || codes.Unauthorized.WithEntityID(id).EntityID() != id:
			return nil, fmt.Errorf("%w: entity_id is not a valid identifier", ErrMalformed)
		}
		e = e.WithEntityID(id)
	}
	return e, nil
}
