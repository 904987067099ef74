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
	if id, ok := find(len(codeTable), func(id uint8) bool {
		return codeTable[id].kind == k && codeTable[id].name == name
	}); ok {
		return Code{id}, nil
	}
	if !k.Valid() {
		return Code{}, fmt.Errorf("%w: invalid family for code %q", ErrUnknown, name)
	}
	return Code{}, fmt.Errorf("%w: %q is not an %s code", ErrUnknown, name, k)
}

// ParseDetail returns the detail with the given wire name, or an error
// wrapping [ErrUnknown]. Both spellings of the loop detail are read:
// the contract's "to_many_redirects" and the newer "too_many_redirects".
func ParseDetail(name string) (Detail, error) {
	if name == "too_many_redirects" {
		return TooManyRedirects, nil
	}
	if id, ok := find(len(detailTable), func(id uint8) bool { return detailTable[id].name == name }); ok {
		return Detail{id}, nil
	}
	return Detail{}, fmt.Errorf("%w: %q is not an exception detail", ErrUnknown, name)
}
