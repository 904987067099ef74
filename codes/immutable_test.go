package codes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/codes"
)

// No pointer the package hands out leads into shared state: overwriting
// what Err, With, As or OnRoute returned changes that value only, never
// what any later call returns.
func TestError_OverwriteThroughAReturnedPointerChangesNothingElse(t *testing.T) {
	denied := *codes.AccessDenied.Err()
	*codes.InvalidScope.Err() = denied
	*codes.InvalidScope.With(codes.ClientIDNotFound) = denied
	*codes.UnauthorizedClient.With(codes.ClientIDNotFound) = denied
	*codes.InvalidRequest.With(codes.TooManyRedirects).OnRoute(codes.Authentication) = denied
	if e, ok := codes.As(fmt.Errorf("wrapped: %w", codes.ServerError)); assert.True(t, ok) {
		*e = denied
	}
	if e, ok := codes.As(codes.InvalidGrant); assert.True(t, ok) {
		*e = denied
	}

	assert.Equal(t, codes.InvalidScope, codes.InvalidScope.Err().Code())
	assert.Equal(t, codes.Detail{}, codes.InvalidScope.Err().Detail())
	assert.Equal(t, codes.ClientIDNotFound, codes.InvalidScope.With(codes.ClientIDNotFound).Detail())
	e := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	assert.Equal(t, codes.UnauthorizedClient, e.Code())
	assert.Equal(t, codes.ClientIDNotFound, e.Detail())
	assert.Equal(t, codes.IdentityInvalidRequest, codes.InvalidRequest.With(codes.TooManyRedirects).OnRoute(codes.Authentication).Code())
	for _, c := range codes.All() {
		got, ok := codes.As(c)
		assert.True(t, ok)
		assert.Equal(t, c, got.Code())
		assert.Equal(t, c, c.Err().Code())
		assert.True(t, errors.Is(c.Err(), c))
	}
	assert.Equal(t, codes.AccessDenied, codes.AccessDenied.Err().Code())
}

// endless's Unwrap returns itself: As gives up, rather than spin.
type endless struct{}

func (*endless) Error() string   { return "endless" }
func (e *endless) Unwrap() error { return e }

func TestAs_EndlessChainEnds(t *testing.T) {
	done := make(chan bool)
	go func() {
		_, ok := codes.As(&endless{})
		done <- ok
	}()
	select {
	case ok := <-done:
		assert.False(t, ok, "no contract error found")
	case <-time.After(10 * time.Second): // a generous guard, not a measure
		t.Fatal("As never returned: an endless walk")
	}
}
