package render_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// parseWithValues is ParseQuery as it was written on url.ParseQuery's map,
// the reference the map-free reading must agree with.
func parseWithValues(rawQuery string) (*codes.Error, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: bad escaping", render.ErrMalformed)
	}
	for _, p := range []string{"oauth_exception", "identity_exception", "exception_details", "entity_id"} {
		if n := len(q[p]); n > 1 {
			return nil, fmt.Errorf("%w: %s given %d times", render.ErrMalformed, p, n)
		}
	}
	oauth, identity := q.Has("oauth_exception"), q.Has("identity_exception")
	var kind codes.Kind
	switch {
	case oauth && identity:
		return nil, fmt.Errorf("%w: both", render.ErrMalformed)
	case oauth:
		kind = codes.Authorization
	case identity:
		kind = codes.Authentication
	default:
		if q.Has("exception_details") || q.Has("entity_id") {
			return nil, fmt.Errorf("%w: no code", render.ErrMalformed)
		}
		return nil, render.ErrNoException
	}
	code, err := codes.Parse(kind, q.Get(kind.Param()))
	if err != nil {
		return nil, err
	}
	e := code.Err()
	if q.Has("exception_details") {
		d, err := codes.ParseDetail(q.Get("exception_details"))
		if err != nil {
			return nil, err
		}
		e = e.With(d)
	}
	if q.Has("entity_id") {
		id := q.Get("entity_id")
		if code != codes.Unauthorized || id == "" || codes.Unauthorized.WithEntityID(id).EntityID() != id {
			return nil, fmt.Errorf("%w: entity_id", render.ErrMalformed)
		}
		e = e.WithEntityID(id)
	}
	return e, nil
}

// sameAsValues checks ParseQuery against the reference on raw: the same
// error, or an error of the same class.
func sameAsValues(t *testing.T, raw string) {
	t.Helper()
	got, err := render.ParseQuery(raw)
	want, wantErr := parseWithValues(raw)
	if wantErr != nil {
		require.Error(t, err, raw)
		for _, class := range []error{render.ErrMalformed, render.ErrNoException, codes.ErrUnknown} {
			assert.Equal(t, errors.Is(wantErr, class), errors.Is(err, class), "%q: %v, want %v", raw, err, wantErr)
		}
		return
	}
	require.NoError(t, err, raw)
	assert.Equal(t, want.Code(), got.Code(), raw)
	assert.Equal(t, want.Detail(), got.Detail(), raw)
	assert.Equal(t, want.EntityID(), got.EntityID(), raw)
}

func TestParseQuery_AsURLValues(t *testing.T) {
	for _, raw := range []string{
		"", "&", "oauth_exception=invalid_scope", "oauth%5Fexception=invalid_scope", "oauth_exception=invalid%5Fscope",
		"oauth_exception=invalid_scope;x=1", "x=1;y=2&oauth_exception=invalid_scope", "oauth_exception=%zz",
		"oauth_exception", "oauth_exception=&exception_details=", "oauth_exception=invalid_scope&exception_details",
		"oauth_exception=invalid_scope&&exception_details=client_id_not_found&",
		"identity_exception=unauthorized&entity_id=u-1", "identity_exception=unauthorized&entity%5Fid=u-1&entity_id=u-2",
		"identity_exception=unauthorized&entity_id", "identity_exception=unauthorized&entity_id=u+1",
		"identity_exception=invalid_request&exception_details=too_many_redirects",
		"xoauth_exception=invalid_scope", "oauth_exceptionx=invalid_scope", "oauth_exception=invalid_scope&x=oauth_exception",
		"oauth_exception=invalid_scope&identity_exception=unauthorized", "exception_details=client_id_not_found",
	} {
		sameAsValues(t, raw)
	}
}

func FuzzParseQuery_AsURLValues(f *testing.F) {
	for _, seed := range []string{
		"oauth_exception=unauthorized_client&exception_details=client_id_not_found&state=x",
		"identity_exception=unauthorized&entity_id=u-jane", "oauth%5Fexception=server%5Ferror", "entity_id=%00;",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) { sameAsValues(t, raw) })
}

// TestParseQuery_Allocations: an error page's query is read with one
// allocation, the error itself.
func TestParseQuery_Allocations(t *testing.T) {
	raw := "oauth_exception=unauthorized_client&exception_details=client_id_not_found&response_type=code&client_id=demo&state=xyz"
	assert.Equal(t, 1.0, testing.AllocsPerRun(200, func() {
		if _, err := render.ParseQuery(raw); err != nil {
			t.Fatal(err)
		}
	}))
}
