package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// TestExample_RelyingParty: zitadel's own relying party signs in through
// what the example serves besides the adapter: discovery, the keys that
// verify the id_token, and userinfo.
func TestExample_RelyingParty(t *testing.T) {
	base, client := serve(t)
	party, err := rp.NewRelyingPartyOIDC(t.Context(), base, app.ClientID, app.ClientSecret, app.RedirectURI,
		[]string{oidc.ScopeOpenID, oidc.ScopeProfile}, rp.WithHTTPClient(client))
	require.NoError(t, err)

	res, _ := send(t, client, http.MethodGet, rp.AuthURL("st-rp", party), "", "")
	require.Equal(t, http.StatusFound, res.StatusCode)
	login, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	res, _ = send(t, client, http.MethodPost, base+"/login?"+login.RawQuery, "application/x-www-form-urlencoded",
		"email=test-user%40127.0.0.1&password=verysecure")
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, _ = send(t, client, http.MethodGet, base+res.Header.Get("Location"), "", "")
	require.Equal(t, http.StatusFound, res.StatusCode)
	callback, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(callback.String(), app.RedirectURI+"?"))

	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](t.Context(), callback.Query().Get("code"), party)
	require.NoError(t, err) // the id_token verified with /keys
	assert.Equal(t, "id1", tokens.IDTokenClaims.GetSubject())
	info, err := rp.Userinfo[*oidc.UserInfo](t.Context(), tokens.AccessToken, tokens.TokenType, tokens.IDTokenClaims.GetSubject(), party)
	require.NoError(t, err)
	assert.Equal(t, "id1", info.Subject)
}
