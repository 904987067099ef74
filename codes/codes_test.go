package codes_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
)

// The contract's seventeen codes, with family, wire name and JSON status
// (statuses follow RFC 6749 §5.2).
var contract = []struct {
	code   codes.Code
	kind   codes.Kind
	name   string
	status int
}{
	{codes.InvalidRequest, codes.Authorization, "invalid_request", 400},
	{codes.UnauthorizedClient, codes.Authorization, "unauthorized_client", 400},
	{codes.AccessDenied, codes.Authorization, "access_denied", 403},
	{codes.UnsupportedResponseType, codes.Authorization, "unsupported_response_type", 400},
	{codes.InvalidScope, codes.Authorization, "invalid_scope", 400},
	{codes.ServerError, codes.Authorization, "server_error", 500},
	{codes.TemporarilyUnavailable, codes.Authorization, "temporarily_unavailable", 503},
	{codes.UnsupportedGrantType, codes.Authorization, "unsupported_grant_type", 400},
	{codes.InvalidGrant, codes.Authorization, "invalid_grant", 400},
	{codes.InvalidClient, codes.Authorization, "invalid_client", 401},
	{codes.MissingGrant, codes.Authorization, "missing_grant", 403},
	{codes.IdentityInvalidRequest, codes.Authentication, "invalid_request", 400},
	{codes.Unauthorized, codes.Authentication, "unauthorized", 401},
	{codes.IdentityServerError, codes.Authentication, "server_error", 500},
	{codes.IdentityAccessDenied, codes.Authentication, "access_denied", 403},
	{codes.IdentityLost, codes.Authentication, "identity_lost", 401},
	{codes.CredentialsLoginDisabled, codes.Authentication, "credentials_login_disabled", 403},
}

func TestCode_Contract(t *testing.T) {
	require.Len(t, codes.All(), 17)
	assert.Equal(t, len(contract), len(codes.All()))
	for i, tc := range contract {
		t.Run(tc.kind.String()+"/"+tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, codes.All()[i], "All keeps the contract's order")
			assert.True(t, tc.code.Valid())
			assert.Equal(t, tc.kind, tc.code.Kind())
			assert.Equal(t, tc.name, tc.code.Name())
			assert.Equal(t, tc.status, tc.code.HTTPStatus())
			assert.NotEmpty(t, tc.code.Description())
			got, err := codes.Parse(tc.kind, tc.name)
			require.NoError(t, err)
			assert.Equal(t, tc.code, got)
		})
	}
}

func TestCode_SameNameDifferentFamily(t *testing.T) {
	pairs := [][2]codes.Code{
		{codes.InvalidRequest, codes.IdentityInvalidRequest},
		{codes.ServerError, codes.IdentityServerError},
		{codes.AccessDenied, codes.IdentityAccessDenied},
	}
	for _, p := range pairs {
		assert.NotEqual(t, p[0], p[1])
		assert.Equal(t, p[0].Name(), p[1].Name())
		assert.False(t, errors.Is(p[0], p[1]))
		assert.Equal(t, p[1], p[0].Err().OnRoute(codes.Authentication).Code(), "on a login route")
		assert.Equal(t, p[1], p[1].Err().OnRoute(codes.Authorization).Code(), "an Identity name everywhere")
	}
	assert.Equal(t, codes.UnsupportedResponseType, codes.UnsupportedResponseType.Err().OnRoute(codes.Authentication).Code())
}

func TestCode_Zero(t *testing.T) {
	var zero codes.Code
	assert.False(t, zero.Valid())
	assert.Equal(t, "", zero.Name())
	assert.Equal(t, http.StatusInternalServerError, zero.HTTPStatus())
	assert.Equal(t, "invalid error code", zero.Error())
	_, ok := codes.As(zero)
	assert.False(t, ok, "the zero Code is not a contract error")
}

func TestParse_RefusesUnknown(t *testing.T) {
	for _, tc := range []struct {
		kind codes.Kind
		name string
	}{
		{codes.Authorization, "unauthorized"},
		{codes.Authentication, "invalid_scope"},
		{codes.Authorization, "INVALID_REQUEST"},
		{codes.Authorization, ""},
		{codes.Kind(9), "invalid_request"},
	} {
		_, err := codes.Parse(tc.kind, tc.name)
		require.Error(t, err, "%s %q", tc.kind, tc.name)
		assert.ErrorIs(t, err, codes.ErrUnknown)
	}
	_, err := codes.Parse(codes.Authorization, "bogus")
	assert.EqualError(t, err, `codes: unknown wire name: "bogus" is not an authorization code`)
}

func TestDetail_Contract(t *testing.T) {
	want := []string{"client_id_not_found", "redirect_uri_not_set", "invalid_redirect_uri", "to_many_redirects"}
	all := codes.Details()
	require.Len(t, all, len(want))
	for i, name := range want {
		assert.Equal(t, name, all[i].Name())
		assert.NotEmpty(t, all[i].Description())
		d, err := codes.ParseDetail(name)
		require.NoError(t, err)
		assert.Equal(t, all[i], d)
	}
	d, err := codes.ParseDetail("too_many_redirects")
	require.NoError(t, err)
	assert.Equal(t, codes.TooManyRedirects, d, "the newer spelling parses too")
	_, err = codes.ParseDetail("redirect_loop")
	assert.ErrorIs(t, err, codes.ErrUnknown)
	var zero codes.Detail
	assert.False(t, zero.Valid())
	assert.Equal(t, "", zero.Name())
	assert.Equal(t, "none", zero.String())
}

func TestError_BuildersCopy(t *testing.T) {
	base := codes.Unauthorized.Err()
	withID := base.WithEntityID("u-jane")
	assert.Equal(t, "", base.EntityID(), "the receiver is unchanged")
	assert.Equal(t, "u-jane", withID.EntityID())

	cause := errors.New("storage: connection refused")
	wrapped := withID.WithCause(cause)
	assert.Nil(t, withID.Unwrap())
	assert.Same(t, cause, wrapped.Unwrap())
	assert.Equal(t, "u-jane", wrapped.EntityID())

	detailed := wrapped.With(codes.ClientIDNotFound)
	assert.Equal(t, codes.Detail{}, wrapped.Detail())
	assert.Equal(t, codes.ClientIDNotFound, detailed.Detail())
	assert.Same(t, cause, detailed.Unwrap())
	assert.Equal(t, codes.Unauthorized, detailed.Code())
	assert.Equal(t, codes.Authentication, detailed.Code().Kind())
}

func TestError_Is(t *testing.T) {
	e := codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	wrapped := fmt.Errorf("authorize: %w", e)
	assert.ErrorIs(t, wrapped, codes.UnauthorizedClient)
	assert.ErrorIs(t, wrapped, codes.UnauthorizedClient.With(codes.ClientIDNotFound))
	assert.ErrorIs(t, wrapped, codes.UnauthorizedClient.Err(), "a target without detail matches any detail")
	assert.NotErrorIs(t, wrapped, codes.UnauthorizedClient.With(codes.InvalidRedirectURI))
	assert.NotErrorIs(t, wrapped, codes.InvalidClient)
	assert.ErrorIs(t, fmt.Errorf("x: %w", codes.InvalidScope), codes.InvalidScope)

	cause := errors.New("db down")
	assert.ErrorIs(t, codes.ServerError.WithCause(cause), cause, "the cause is reachable")
}

func TestAs(t *testing.T) {
	e := codes.Unauthorized.WithEntityID("u-1")
	got, ok := codes.As(fmt.Errorf("login: %w", e))
	require.True(t, ok)
	assert.Same(t, e, got)

	got, ok = codes.As(fmt.Errorf("scope: %w", codes.InvalidScope))
	require.True(t, ok)
	assert.Equal(t, codes.InvalidScope, got.Code())
	assert.Equal(t, codes.Detail{}, got.Detail())

	got, ok = codes.As(errors.Join(errors.New("other"), fmt.Errorf("w: %w", codes.MissingGrant)))
	require.True(t, ok)
	assert.Equal(t, codes.MissingGrant, got.Code())

	_, ok = codes.As(errors.New("plain"))
	assert.False(t, ok)
	_, ok = codes.As(nil)
	assert.False(t, ok)
	var nilErr *codes.Error
	_, ok = codes.As(nilErr)
	assert.False(t, ok)
}

func TestError_Text(t *testing.T) {
	e := codes.Unauthorized.WithEntityID("u-jane").With(codes.ClientIDNotFound).WithCause(errors.New("bad password"))
	assert.Equal(t, "authentication error unauthorized (client_id_not_found) for entity u-jane: bad password", e.Error())
	assert.Equal(t, "authorization error invalid_scope", codes.InvalidScope.Error())
}

func TestError_LogValue(t *testing.T) {
	e := codes.ServerError.With(codes.TooManyRedirects).WithCause(errors.New("boom"))
	v := e.LogValue()
	require.Equal(t, slog.KindGroup, v.Kind())
	got := map[string]string{}
	for _, a := range v.Group() {
		got[a.Key] = a.Value.String()
	}
	assert.Equal(t, map[string]string{"kind": "authorization", "code": "server_error", "detail": "to_many_redirects", "cause": "boom"}, got)
}

// An entity id is sent only with unauthorized, and only when it is an
// identifier that needs no escaping.
func TestError_EntityIDIsWhatIsSent(t *testing.T) {
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	for id, want := range map[string]bool{
		"u-jane": true, "A.b_c-9": true, string(long[:128]): true,
		"": false, string(long): false, "jane@example.com": false, "a b": false,
		"a\nb": false, "<script>": false, "é": false, "a%20": false,
	} {
		got := codes.Unauthorized.WithEntityID(id).EntityID()
		assert.Equal(t, want, got == id && id != "", "%q", id)
		assert.Empty(t, codes.InvalidRequest.WithEntityID(id).EntityID(), "%q with invalid_request", id)
	}
}

// Returning a Code allocates nothing; an *Error is a new value each time
// (one allocation), so that no caller can change another's; As finds one
// in a chain without allocating.
func TestAllocations(t *testing.T) {
	var sink error
	assert.Zero(t, testing.AllocsPerRun(100, func() { sink = codes.InvalidScope }), "a Code")
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { sink = codes.UnauthorizedClient.With(codes.ClientIDNotFound) }), "Code.With")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if _, ok := codes.As(sink); !ok {
			panic("not found")
		}
	}), "As of an *Error")
	_ = sink
}

// A handler's typed nil (var e *codes.Error; return e) must be safe to
// inspect, match and log: errors.Is calls its methods.
func TestError_NilIsSafe(t *testing.T) {
	var e *codes.Error
	var err error = e
	assert.NotPanics(t, func() {
		assert.False(t, errors.Is(err, codes.InvalidScope))
		assert.False(t, errors.Is(fmt.Errorf("w: %w", err), errors.New("x")))
		assert.Nil(t, e.Unwrap())
		assert.False(t, e.Code().Valid())
		assert.Equal(t, "nil *codes.Error", e.Error())
		assert.Equal(t, "nil *codes.Error", e.LogValue().String())
		assert.Equal(t, codes.Detail{}, e.Detail())
		assert.Equal(t, "", e.EntityID())
		assert.False(t, e.With(codes.ClientIDNotFound).Code().Valid())
		_, ok := codes.As(err)
		assert.False(t, ok)
	})
}

func TestError_OnRoute(t *testing.T) {
	cause := errors.New("db")
	for _, tc := range []struct {
		in   *codes.Error
		kind codes.Kind
		want *codes.Error
	}{
		{codes.InvalidRequest.Err(), codes.Authentication, codes.IdentityInvalidRequest.Err()},
		{codes.AccessDenied.With(codes.ClientIDNotFound), codes.Authentication, codes.IdentityAccessDenied.With(codes.ClientIDNotFound)},
		{codes.ServerError.WithCause(cause), codes.Authentication, codes.IdentityServerError.WithCause(cause)},
		{codes.ServerError.Err(), codes.Authorization, codes.ServerError.Err()},
		{codes.IdentityServerError.Err(), codes.Authorization, codes.IdentityServerError.Err()},
		{codes.InvalidScope.Err(), codes.Authentication, codes.InvalidScope.Err()},
	} {
		got := tc.in.OnRoute(tc.kind)
		assert.Equal(t, tc.want.Code(), got.Code(), "%v on %s", tc.in, tc.kind)
		assert.Equal(t, tc.want.Detail(), got.Detail())
		assert.Equal(t, tc.want.Unwrap(), got.Unwrap())
	}
	e := codes.InvalidRequest.With(codes.TooManyRedirects)
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = e.OnRoute(codes.Authentication) }), "a new error of the route's family")
}

// exposing is an error that, like many error libraries' types, offers a
// contract error through an As method rather than Unwrap.
type exposing struct {
	e *codes.Error
	c codes.Code
}

func (exposing) Error() string { return "storage: scope lookup failed" }
func (x exposing) As(target any) bool {
	switch p := target.(type) {
	case **codes.Error:
		*p = x.e
		return x.e != nil
	case *codes.Code:
		*p = x.c
		return x.c.Valid()
	}
	return false
}

// TestAs_AsksAsMethodsAsErrorsAsDoes: what errors.As finds through an As
// method, codes.As finds too (the route would answer server_error if not).
func TestAs_AsksAsMethodsAsErrorsAsDoes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want codes.Code
	}{
		{exposing{e: codes.InvalidScope.With(codes.ClientIDNotFound)}, codes.InvalidScope},
		{exposing{c: codes.Unauthorized}, codes.Unauthorized},
		{fmt.Errorf("wrapped: %w", exposing{c: codes.AccessDenied}), codes.AccessDenied},
		{errors.Join(errors.New("first"), exposing{e: codes.InvalidGrant.Err()}), codes.InvalidGrant},
	} {
		var std *codes.Error
		var stdCode codes.Code
		require.True(t, errors.As(tc.err, &std) || errors.As(tc.err, &stdCode), "errors.As finds it")
		got, ok := codes.As(tc.err)
		require.True(t, ok, "%v", tc.err)
		assert.Equal(t, tc.want, got.Code())
	}
	got, ok := codes.As(exposing{e: codes.InvalidScope.With(codes.ClientIDNotFound)})
	require.True(t, ok)
	assert.Equal(t, codes.ClientIDNotFound, got.Detail(), "the detail comes along")
	_, ok = codes.As(exposing{})
	assert.False(t, ok, "an As method that finds nothing")
}

func TestError_EntityID(t *testing.T) {
	assert.Equal(t, "u-jane", codes.Unauthorized.WithEntityID("u-jane").EntityID())
	assert.Equal(t, "", codes.Unauthorized.WithEntityID("jane@example.com").EntityID(), "not an identifier")
	assert.Equal(t, "", codes.IdentityLost.WithEntityID("u-jane").EntityID(), "kept for logs only")
	assert.Equal(t, "", codes.AccessDenied.WithEntityID("u-jane").EntityID())
	var e *codes.Error
	assert.Equal(t, "", e.EntityID())
}
