package codes

import (
	"errors"
	"log/slog"
)

// Error is a contract error: a code, an optional detail, an optional entity
// id and an optional cause. The builders return a new *Error and never
// change the receiver, and every *Error the package returns is new (or the
// one given to it, as [As] finds it), so an *Error can be shared freely:
// no pointer the package hands out leads into state that another caller
// sees, and overwriting one (*e = ...) changes that value only.
//
// Only the code, detail and entity id ever reach a client. The cause is for
// logs: [Error.Error] and [Error.LogValue] name it, the renderers never do.
type Error struct {
	code     Code
	detail   Detail
	entityID string
	cause    error
}

// Err returns c as a new [*Error] with no detail, entity id or cause.
func (c Code) Err() *Error { return &Error{code: c} }

// With returns a new error of code c with detail d.
func (c Code) With(d Detail) *Error { return &Error{code: c, detail: d} }

// WithEntityID returns the error c carrying the identity's id; see
// [Error.WithEntityID].
func (c Code) WithEntityID(id string) *Error { return &Error{code: c, entityID: id} }

// WithCause returns the error c with cause as its cause; see [Error.WithCause].
func (c Code) WithCause(cause error) *Error { return &Error{code: c, cause: cause} }

// The builders treat a nil *Error as the invalid zero error: a handler's
// typed nil (var e *codes.Error; return e) must never crash a request.

// With returns a copy of e with detail d. The zero Detail removes the detail.
func (e *Error) With(d Detail) *Error {
	c := e.value()
	c.detail = d
	return &c
}

// WithEntityID returns a copy of e carrying the id of the identity the error
// is about, sent as entity_id with unauthorized (the identity is known but
// the credentials are wrong) and kept for logs with any other code. An id
// that is not a valid identifier (see [Error.EntityID]) is never sent.
func (e *Error) WithEntityID(id string) *Error {
	c := e.value()
	c.entityID = id
	return &c
}

// WithCause returns a copy of e whose cause is cause: what really went
// wrong, for the logs. errors.Is and errors.As see the cause through
// [Error.Unwrap].
func (e *Error) WithCause(cause error) *Error {
	c := e.value()
	c.cause = cause
	return &c
}

// OnRoute returns e as a route of family k answers it. The three wire names
// that both families have (invalid_request, access_denied, server_error)
// follow the route: on an authentication route the plain Go names
// InvalidRequest, AccessDenied and ServerError become IdentityInvalidRequest,
// IdentityAccessDenied and IdentityServerError, so that a login handler's
// natural code lands on the login page. Every other error, and every
// Identity name, is returned unchanged (e itself). Detail, entity id and
// cause are kept.
func (e *Error) OnRoute(k Kind) *Error {
	if k != Authentication || e.Code().Kind() != Authorization {
		return e
	}
	c, ok := e.Code().in(Authentication)
	if !ok {
		return e
	}
	moved := e.value()
	moved.code = c
	return &moved
}

// value is a copy of *e; the zero Error for a nil e.
func (e *Error) value() Error {
	if e == nil {
		return Error{}
	}
	return *e
}

// Code is the error's code; the invalid zero Code for a nil e.
func (e *Error) Code() Code { return e.value().code }

// Detail is the error's exception detail; the zero Detail when it has none.
func (e *Error) Detail() Detail { return e.value().detail }

// EntityID is the entity id the contract sends for e: the id it carries
// when e is unauthorized (the identity is known, the credentials are
// wrong) and the id is 1 to 128 ASCII letters, digits, '-', '_' or '.'
// (so it needs no escaping in a URL, JSON or HTML); "" otherwise.
func (e *Error) EntityID() string {
	if v := e.value(); v.code == Unauthorized && validEntityID(v.entityID) {
		return v.entityID
	}
	return ""
}

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.value().cause }

// Error describes e for logs and developers: family, code, detail, entity id
// and cause. Warning: the text may hold the cause's message; never send it
// to a client.
func (e *Error) Error() string {
	if e == nil {
		return "nil *codes.Error"
	}
	s := e.code.Error()
	if e.detail.Valid() {
		s += " (" + e.detail.Name() + ")"
	}
	if e.entityID != "" {
		s += " for entity " + e.entityID
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Is makes errors.Is match a contract error by code: errors.Is(err,
// codes.InvalidScope) holds for codes.InvalidScope.With(...) and anything
// that wraps it. A target *Error also matches by detail when it names one.
func (e *Error) Is(target error) bool {
	if e == nil {
		return false
	}
	switch t := target.(type) {
	case Code:
		return e.code == t
	case *Error:
		return t != nil && e.code == t.code && (!t.detail.Valid() || e.detail == t.detail)
	}
	return false
}

// LogValue implements [slog.LogValuer]: a group with the family, code,
// detail, entity id and cause, each only when present.
func (e *Error) LogValue() slog.Value {
	if e == nil {
		return slog.StringValue("nil *codes.Error")
	}
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs, slog.String("kind", e.code.Kind().String()), slog.String("code", e.code.Name()))
	if e.detail.Valid() {
		attrs = append(attrs, slog.String("detail", e.detail.Name()))
	}
	if e.entityID != "" {
		attrs = append(attrs, slog.String("entity_id", e.entityID))
	}
	if e.cause != nil {
		attrs = append(attrs, slog.String("cause", e.cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

// As finds the first contract error in err's tree (an *Error or a Code),
// walking it as errors.As would: each error is matched by its type, then by
// its own As method, then its Unwrap is followed (every branch of a join,
// depth first). A Code found alone becomes a new *Error of that code.
//
// The walk looks at [MaxUnwrap] errors at most, so that a tree whose
// Unwrap loops (returns an error it came from) or never ends still ends
// the walk: a contract error past that is not found.
func As(err error) (*Error, bool) {
	budget := MaxUnwrap
	return as(err, &budget)
}

// MaxUnwrap is how many errors [As] looks at in a tree; the middleware
// package bounds its own walks over errors and writers by it too.
const MaxUnwrap = 64

func as(err error, budget *int) (*Error, bool) {
	for ; err != nil && *budget > 0; err = errors.Unwrap(err) {
		*budget--
		switch e := err.(type) {
		case *Error:
			if e == nil {
				return nil, false
			}
			if e.code.Valid() {
				return e, true
			}
		case Code:
			if e.Valid() {
				return e.Err(), true
			}
		}
		if x, ok := err.(interface{ As(any) bool }); ok {
			if e, ok := asMethod(x); ok {
				return e, true
			}
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				if found, ok := as(inner, budget); ok {
					return found, true
				}
			}
			return nil, false
		}
	}
	return nil, false
}

// asMethod asks an error's own As method for an *Error, then for a Code.
func asMethod(x interface{ As(any) bool }) (*Error, bool) {
	var e *Error
	if x.As(&e) && e != nil && e.code.Valid() {
		return e, true
	}
	var c Code
	if x.As(&c) && c.Valid() {
		return c.Err(), true
	}
	return nil, false
}

// validEntityID reports whether id may be sent as entity_id.
func validEntityID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
