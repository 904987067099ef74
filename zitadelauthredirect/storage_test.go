package zitadelauthredirect_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// TestExampleStorage_NoGlue: a new user's app on zitadel's own example
// storage, unchanged, with one line of configuration (Config.NotFound):
// prompt=none is login_required at the client as op sends it, and the
// storage's plain "not found" errors earn the contract's reasons.
func TestExampleStorage_NoGlue(t *testing.T) {
	const base = "http://op.example"
	store := storage.NewStorageWithClients(storage.NewUserStore(base), map[string]*storage.Client{
		app.ClientID: storage.WebClient(app.ClientID, app.ClientSecret, app.RedirectURI),
	})
	provider := newProvider(t, base, store)
	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{
		Provider: provider,
		NotFound: func(error) bool { return true }, // the example storage's lookups cannot fail
	})
	require.NoError(t, err)
	rc, err := middleware.New(middleware.Config{Render: pages, Observer: middleware.Quiet})
	require.NoError(t, err)
	authorize := op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(rc.Authorization(a.Authorize()))
	token := op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(rc.JSON(a.Token()))
	callback := op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(rc.Authorization(a.Callback()))

	get := func(h http.Handler, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, base+target, nil))
		return rec
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		token.ServeHTTP(rec, req)
		return rec
	}

	t.Run("prompt=none", func(t *testing.T) {
		rec := get(authorize, "/oauth/authorize?"+authorizeQuery(map[string]string{"prompt": "none"}))
		assert.Equal(t, http.StatusSeeOther, rec.Code)
		assert.Equal(t, app.RedirectURI+"?error=login_required&state=st-1", rec.Header().Get("Location"))
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	})
	t.Run("unknown client", func(t *testing.T) {
		rec := get(authorize, "/oauth/authorize?"+authorizeQuery(map[string]string{"client_id": "nope"}))
		assert.Equal(t, http.StatusSeeOther, rec.Code)
		assert.Equal(t, ooops+"unauthorized_client&exception_details=client_id_not_found", rec.Header().Get("Location"))
	})
	t.Run("unknown auth request at the callback", func(t *testing.T) {
		rec := get(callback, "/oauth/authorize/callback?id=nope")
		assert.Equal(t, ooops+"invalid_request", rec.Header().Get("Location"))
	})
	for _, tt := range []struct {
		name string
		form url.Values
		want *codes.Error
	}{
		{"unknown client at the token endpoint",
			url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {app.RedirectURI}, "client_id": {"nope"}, "client_secret": {"s"}},
			codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
		{"unknown code",
			url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {app.RedirectURI}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}},
			codes.InvalidGrant.Err()},
		{"unknown refresh token",
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}},
			codes.UnauthorizedClient.Err()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.form)
			want := httptest.NewRecorder()
			rc.Renderer().JSON(want, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), tt.want)
			assert.Equal(t, want.Code, rec.Code)
			assert.Equal(t, want.Body.String(), rec.Body.String())
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}
