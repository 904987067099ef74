package codes

import (
	"errors"
	"fmt"
)

// ErrUnknown is wrapped by every error that Parse and ParseDetail return.
var ErrUnknown = errors.New("codes: unknown wire name")

// Parse returns the code of family k with the given wire name, or an error
// wrapping [ErrUnknown] that says which name was refused.
func Parse(k Kind, name string) (Code, error) {
	if c, ok := Lookup(k, name); ok {
		return c, nil
	}
	if !k.Valid() {
		return Code{}, fmt.Errorf("%w: invalid family for code %q", ErrUnknown, name)
	}
	return Code{}, fmt.Errorf("%w: %q is not an %s code", ErrUnknown, name, k)
}

// ParseDetail returns the detail with the given wire name (both spellings of
// the loop detail), or an error wrapping [ErrUnknown].
func ParseDetail(name string) (Detail, error) {
	if d, ok := LookupDetail(name); ok {
		return d, nil
	}
	return Detail{}, fmt.Errorf("%w: %q is not an exception detail", ErrUnknown, name)
}
