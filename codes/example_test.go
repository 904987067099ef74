package codes_test

import (
	"errors"
	"fmt"

	"github.com/authredirect/authredirect/codes"
)

func Example() {
	lookup := func(clientID string) error {
		// A handler returns contract errors like any other error.
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	}
	err := fmt.Errorf("authorize: %w", lookup("nope"))

	fmt.Println(errors.Is(err, codes.UnauthorizedClient))
	e, _ := codes.As(err)
	fmt.Println(e.Code().Kind().Param(), e.Code().Name(), e.Detail())
	// Output:
	// true
	// oauth_exception unauthorized_client client_id_not_found
}

func ExampleError_WithCause() {
	err := codes.IdentityServerError.WithCause(errors.New("users table: connection refused"))
	e, _ := codes.As(err)
	// The cause is for logs: Error names it, the wire never does.
	fmt.Println(e.Code().Kind().Param(), e.Code().Name())
	fmt.Println(err)
	// Output:
	// identity_exception server_error
	// authentication error server_error: users table: connection refused
}

func ExampleParse() {
	c, err := codes.Parse(codes.Authentication, "identity_lost")
	fmt.Println(c.Name(), c.HTTPStatus(), err)
	_, err = codes.Parse(codes.Authentication, "invalid_scope")
	fmt.Println(err)
	// Output:
	// identity_lost 401 <nil>
	// codes: unknown wire name: "invalid_scope" is not an authentication code
}

func ExampleAs() {
	// Whatever wraps it, the contract error is found, with its detail.
	err := errors.Join(
		errors.New("audit log: write failed"),
		fmt.Errorf("authorize: %w", codes.UnauthorizedClient.With(codes.RedirectURINotSet)),
	)
	if e, ok := codes.As(err); ok {
		fmt.Println(e.Code().Kind(), e.Code().Name(), e.Detail())
	}
	_, ok := codes.As(errors.New("not a contract error"))
	fmt.Println(ok)
	// Output:
	// authorization unauthorized_client redirect_uri_not_set
	// false
}
