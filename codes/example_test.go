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
	fmt.Println(e.Kind().Param(), e.Code().Name(), e.Detail())
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
