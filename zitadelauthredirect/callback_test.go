package zitadelauthredirect_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// TestCallback_Table: the login UI's return to the provider.
func TestCallback_Table(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	res, _ := e.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	notDone := loc.Query().Get("authRequestID")

	for _, tt := range []struct {
		name, query string
		want        *codes.Error
		location    string
	}{
		{"no id", "", codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"unknown id", "id=nope", codes.InvalidRequest.Err(), ooops + "invalid_request"},
		{"repeated id", "id=a&id=b", codes.InvalidRequest.Err(), ooops + "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.do(http.MethodGet, "/oauth/authorize/callback?"+tt.query, nil)
			assertRedirect(t, res, body, tt.want, tt.location)
		})
	}
	t.Run("not signed in: interaction_required to the client", func(t *testing.T) {
		res, _ := e.do(http.MethodGet, "/oauth/authorize/callback?id="+url.QueryEscape(notDone), nil)
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, app.RedirectURI+"?error=interaction_required&state=st-1", res.Header.Get("Location"))
	})
}

// TestCallback_NotDoneToTheErrorPage: with PromptErrorsToErrorPage the
// callback's interaction_required is access_denied on the error page.
func TestCallback_NotDoneToTheErrorPage(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{PromptErrorsToErrorPage: true})
	res, _ := e.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	res, body := e.do(http.MethodGet, "/oauth/authorize/callback?id="+url.QueryEscape(loc.Query().Get("authRequestID")), nil)
	assertRedirect(t, res, body, codes.AccessDenied.Err(), ooops+"access_denied")
}

// TestCallback_Success: a signed-in request reaches the client with a code
// and its state, as op.AuthorizeCallback sends it (302).
func TestCallback_Success(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	id := e.login(authorizeQuery(nil))
	res, _ := e.do(http.MethodGet, "/oauth/authorize/callback?id="+url.QueryEscape(id), nil)
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, app.RedirectURI, loc.Scheme+"://"+loc.Host+loc.Path)
	assert.NotEmpty(t, loc.Query().Get("code"))
	assert.Equal(t, "st-1", loc.Query().Get("state"))
	assert.Len(t, loc.Query(), 2)
}

// TestCallback_LibraryFailures: a Storage that cannot save the code is
// server_error on the error page, not an error sent to the client.
func TestCallback_LibraryFailures(t *testing.T) {
	e := newEnv(t, zitadelauthredirect.Config{})
	id := e.login(authorizeQuery(nil))
	e.f.saveCodeDown.Store(true)
	res, body := e.do(http.MethodGet, "/oauth/authorize/callback?id="+url.QueryEscape(id), nil)
	assertRedirect(t, res, body, codes.ServerError.Err(), ooops+"server_error")

	e.f.saveCodeDown.Store(false)
	e.f.clientDown.Store(true)
	res, body = e.do(http.MethodGet, "/oauth/authorize/callback?id="+url.QueryEscape(id), nil)
	assertRedirect(t, res, body, codes.ServerError.Err(), ooops+"server_error")
}

// TestReject_Table: the OpenID Connect names a login UI hands the adapter
// (OpenID Connect Core 3.1.2.6), by routing policy.
func TestReject_Table(t *testing.T) {
	toClient := newEnv(t, zitadelauthredirect.Config{})
	toPage := newEnv(t, zitadelauthredirect.Config{PromptErrorsToErrorPage: true})
	for _, tt := range []struct {
		name     string
		client   bool // by default the answer goes to the client
		want     *codes.Error
		location string
	}{
		{"login_required", true, codes.AccessDenied.Err(), ooops + "access_denied"},
		{"interaction_required", true, codes.AccessDenied.Err(), ooops + "access_denied"},
		{"consent_required", true, codes.MissingGrant.Err(), ooops + "missing_grant"},
		{"account_selection_required", true, codes.AccessDenied.Err(), ooops + "access_denied"},
		{"access_denied", false, codes.AccessDenied.Err(), ooops + "access_denied"},
		{"temporarily_unavailable", false, codes.TemporarilyUnavailable.Err(), ooops + "temporarily_unavailable"},
		{"server_error", false, codes.ServerError.Err(), ooops + "server_error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := toClient.login(authorizeQuery(nil))
			res, body := toClient.do(http.MethodGet, "/reject?error="+tt.name+"&id="+url.QueryEscape(id), nil)
			if tt.client {
				assert.Equal(t, http.StatusSeeOther, res.StatusCode)
				assert.Equal(t, app.RedirectURI+"?error="+tt.name+"&state=st-1", res.Header.Get("Location"))
			} else {
				assertRedirect(t, res, body, tt.want, tt.location)
			}
			id = toPage.login(authorizeQuery(nil))
			res, body = toPage.do(http.MethodGet, "/reject?error="+tt.name+"&id="+url.QueryEscape(id), nil)
			assertRedirect(t, res, body, tt.want, tt.location)
		})
	}
}
