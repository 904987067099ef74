package codes

// Kind is an error family. It decides where an error is sent and which query
// parameter carries its code.
type Kind uint8

const (
	// Authorization errors go to the error page as ?oauth_exception=CODE.
	Authorization Kind = iota + 1
	// Authentication errors go to the login page as ?identity_exception=CODE.
	Authentication
)

// Param is the query parameter that carries a code of this family:
// "oauth_exception" or "identity_exception". It is "" for an invalid Kind.
func (k Kind) Param() string {
	switch k {
	case Authorization:
		return "oauth_exception"
	case Authentication:
		return "identity_exception"
	}
	return ""
}

// Valid reports whether k is Authorization or Authentication.
func (k Kind) Valid() bool { return k == Authorization || k == Authentication }

// String is "authorization", "authentication" or "invalid".
func (k Kind) String() string {
	switch k {
	case Authorization:
		return "authorization"
	case Authentication:
		return "authentication"
	}
	return "invalid"
}
