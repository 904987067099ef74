//go:debug urlmaxqueryparams=5

// Package godebugtest tests package query in a program with a limit on a
// query's parameters built in, as go.mod's godebug lines build one; its
// own tests run without.
package godebugtest

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/internal/query"
)

// TestPick_BuiltInLimit: a limit that GODEBUG's environment variable does
// not hold is net/url's limit all the same, and Pick's.
func TestPick_BuiltInLimit(t *testing.T) {
	for _, raw := range []string{"a=1&b=2&c=3&client_id=x", "a=1&b=2&c=3&d=4&client_id=x", "a=1&b=2&c=3&d=4&e=5&client_id=x"} {
		want, err := url.ParseQuery(raw)
		first, count := make([]string, 1), make([]int, 1)
		assert.Equal(t, err == nil, query.Pick(raw, []string{"client_id"}, first, count), raw)
		assert.Equal(t, want.Get("client_id"), first[0], raw)
		assert.Equal(t, len(want["client_id"]), count[0], raw)
	}
}
