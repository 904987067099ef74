package middleware

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/authredirect/authredirect/codes"
)

// Guards turns the contract's "possible reasons" into checks that run before
// a handler. Each method returns a middleware shaped like alice.Constructor
// that fails a malformed request with the contract's code, handed to the
// Recover above like a handler's error; the Check methods are the same
// checks for a handler to call. Kind is the route's family: on a login
// route (codes.Authentication) a malformed request is the authentication
// invalid_request. The zero Guards is for authorization routes.
type Guards struct {
	Kind codes.Kind
}

func (g Guards) invalidRequest() codes.Code {
	if g.Kind == codes.Authentication {
		return codes.IdentityInvalidRequest
	}
	return codes.InvalidRequest
}

// DefaultMaxFormBytes bounds a form body when Guards.Form is given 0.
const DefaultMaxFormBytes = 64 << 10

// Guard makes a middleware shaped like alice.Constructor of a check that
// runs before a handler: Guard(check)(next) calls check and, when it
// returns an error, hands that error to the Recover above exactly as [Wrap]
// would (next is not served); when it returns nil, it serves next. Every
// check-then-fail middleware of authredirect, the loop guard's included,
// is built with it.
func Guard(check func(http.ResponseWriter, *http.Request) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := check(w, r); err != nil {
				handUp(w, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckMethod fails a request whose method is not one of methods with
// invalid_request ("wrong HTTP method").
func (g Guards) CheckMethod(r *http.Request, methods ...string) error {
	if slices.Contains(methods, r.Method) {
		return nil
	}
	return g.invalidRequest().Wrap(errors.New("wrong HTTP method " + r.Method))
}

// Methods is the middleware of [Guards.CheckMethod].
func (g Guards) Methods(methods ...string) func(http.Handler) http.Handler {
	methods = slices.Clone(methods)
	return Guard(func(_ http.ResponseWriter, r *http.Request) error { return g.CheckMethod(r, methods...) })
}

// CheckForm parses a form body of at most maxBytes (DefaultMaxFormBytes when
// 0) into r.PostForm and r.Form, failing with invalid_request ("invalid
// HTTP body encoding") when it is too large or does not parse, or when the
// query does not.
func (g Guards) CheckForm(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFormBytes
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	}
	if err := r.ParseForm(); err != nil {
		return g.invalidRequest().Wrap(err)
	}
	return nil
}

// Form is the middleware of [Guards.CheckForm].
func (g Guards) Form(maxBytes int64) func(http.Handler) http.Handler {
	return Guard(func(w http.ResponseWriter, r *http.Request) error { return g.CheckForm(w, r, maxBytes) })
}

// CheckSingle fails with invalid_request when one of names (every parameter
// when none are named) is given more than once in the query or, once the
// form is parsed (put [Guards.Form] first), in the body, or in both.
func (g Guards) CheckSingle(r *http.Request, names ...string) error {
	query := r.URL.Query()
	count := func(name string) int { return len(query[name]) + len(r.PostForm[name]) }
	check := func(name string) error {
		if count(name) > 1 {
			return g.invalidRequest().Wrap(errors.New("parameter given more than once: " + name))
		}
		return nil
	}
	if len(names) > 0 {
		for _, n := range names {
			if err := check(n); err != nil {
				return err
			}
		}
		return nil
	}
	for n := range query {
		if err := check(n); err != nil {
			return err
		}
	}
	for n := range r.PostForm {
		if err := check(n); err != nil {
			return err
		}
	}
	return nil
}

// Single is the middleware of [Guards.CheckSingle].
func (g Guards) Single(names ...string) func(http.Handler) http.Handler {
	names = slices.Clone(names)
	return Guard(func(_ http.ResponseWriter, r *http.Request) error { return g.CheckSingle(r, names...) })
}

// CheckResponseType fails with unsupported_response_type when the
// response_type query parameter is not one of allowed (default "code" and
// "token"), and with invalid_request when it is missing. The code is an
// authorization code whatever the Kind: only the authorization family has it.
func (g Guards) CheckResponseType(r *http.Request, allowed ...string) error {
	if len(allowed) == 0 {
		allowed = []string{"code", "token"}
	}
	rt := r.URL.Query()["response_type"]
	switch {
	case len(rt) == 0 || rt[0] == "":
		return codes.InvalidRequest.Wrap(errors.New("response_type is missing"))
	case !slices.Contains(allowed, rt[0]):
		return codes.UnsupportedResponseType
	}
	return nil
}

// ResponseTypes is the middleware of [Guards.CheckResponseType].
func (g Guards) ResponseTypes(allowed ...string) func(http.Handler) http.Handler {
	allowed = slices.Clone(allowed)
	return Guard(func(_ http.ResponseWriter, r *http.Request) error { return g.CheckResponseType(r, allowed...) })
}

// CheckGrantType fails with unsupported_grant_type when the grant_type form
// parameter is not one of enabled, and with invalid_request when it is
// missing or the form does not parse. It parses the form if no guard has.
func (g Guards) CheckGrantType(w http.ResponseWriter, r *http.Request, enabled ...string) error {
	if r.PostForm == nil {
		if err := g.CheckForm(w, r, 0); err != nil {
			return err
		}
	}
	gt := strings.TrimSpace(r.PostForm.Get("grant_type"))
	switch {
	case gt == "":
		return codes.InvalidRequest.Wrap(errors.New("grant_type is missing"))
	case !slices.Contains(enabled, gt):
		return codes.UnsupportedGrantType
	}
	return nil
}

// GrantTypes is the middleware of [Guards.CheckGrantType].
func (g Guards) GrantTypes(enabled ...string) func(http.Handler) http.Handler {
	enabled = slices.Clone(enabled)
	return Guard(func(w http.ResponseWriter, r *http.Request) error { return g.CheckGrantType(w, r, enabled...) })
}
