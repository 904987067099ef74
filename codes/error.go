package codes

import (
	"errors"
	"log/slog"
)

// Error is a contract error: a code, an optional detail, an optional entity
// id and an optional cause. It is immutable: the builders return a copy and
// never change the receiver, so an *Error can be shared freely.
//
// Only the code, detail and entity id ever reach a client. The cause is for
// logs: [Error.Error] and [Error.LogValue] name it, the renderers never do.
type Error struct {
	code     Code
	detail   Detail
	entityID string
	cause    error
}

// sharedErrors holds one immutable *Error for every code × detail, so that
// Code.With and As hand them out without allocating.
var sharedErrors [len(codeTable)][len(detailTable)]Error

func init() {
	for c := range sharedErrors {
		for d := range sharedErrors[c] {
			sharedErrors[c][d] = Error{code: Code{uint8(c)}, detail: Detail{uint8(d)}}
		}
	}
}

func (c Code) shared() *Error {
	if !c.Valid() {
		return &sharedErrors[0][0]
	}
	return &sharedErrors[c.id][0]
}

// With returns the error c with detail d. It does not allocate.
func (c Code) With(d Detail) *Error { return c.shared().With(d) }

// WithEntityID returns the error c carrying the identity's id; see
// [Error.WithEntityID].
func (c Code) WithEntityID(id string) *Error { return c.shared().WithEntityID(id) }

// Wrap returns the error c with cause as its cause; see [Error.Wrap].
func (c Code) Wrap(cause error) *Error { return c.shared().Wrap(cause) }

// With returns a copy of e with detail d. The zero Detail removes the detail.
func (e *Error) With(d Detail) *Error {
	if e.entityID == "" && e.cause == nil && e.code.Valid() && int(d.id) < len(detailTable) {
		return &sharedErrors[e.code.id][d.id]
	}
	c := *e
	c.detail = d
	return &c
}

// WithEntityID returns a copy of e carrying the id of the identity the error
// is about, sent as entity_id with authentication errors. An id that is not
// a valid identifier (see [ValidEntityID]) is kept here but never sent.
func (e *Error) WithEntityID(id string) *Error {
	c := *e
	c.entityID = id
	return &c
}

// Wrap returns a copy of e whose cause is cause: what really went wrong,
// for the logs. errors.Is and errors.As see the cause through [Error.Unwrap].
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Code is the error's code.
func (e *Error) Code() Code { return e.code }

// Kind is the family of the error's code.
func (e *Error) Kind() Kind { return e.code.Kind() }

// Detail is the error's exception detail; the zero Detail when it has none.
func (e *Error) Detail() Detail { return e.detail }

// EntityID is the id of the identity the error is about, or "".
func (e *Error) EntityID() string { return e.entityID }

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Error describes e for logs and developers: family, code, detail, entity id
// and cause. Warning: the text may hold the cause's message; never send it
// to a client.
func (e *Error) Error() string {
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

// As finds the first contract error in err's tree (an *Error or a Code, as
// errors.As would walk it) and returns it as an *Error. A Code found alone
// becomes the shared *Error of that code, without allocating.
func As(err error) (*Error, bool) {
	for err != nil {
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
				return e.shared(), true
			}
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				if found, ok := As(inner); ok {
					return found, true
				}
			}
			return nil, false
		}
		err = errors.Unwrap(err)
	}
	return nil, false
}

// ValidEntityID reports whether id may be sent as entity_id: 1 to 128
// characters, each an ASCII letter or digit, '-', '_' or '.'. Such an id
// needs no escaping in a URL, JSON or HTML.
func ValidEntityID(id string) bool {
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
