package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func demoConfig(base string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     "demo",
		ClientSecret: "demo-secret",
		RedirectURL:  base + "/demo/callback",
		Scopes:       []string{"profile"},
		Endpoint:     oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token"},
	}
}

// The token endpoint works with the standard Go OAuth 2.0 client, both for
// an authorization code and a refresh token, and its errors are the ones
// the client library reports.
func TestOAuth2Client(t *testing.T) {
	base := startExample(t)
	cfg := demoConfig(base)
	ctx := context.Background()

	// A signed-in browser gets a code for the demo client.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.PostForm(base+"/login", url.Values{"email": {"jane@example.com"}, "password": {"jane-password"}})
	require.NoError(t, err)
	res.Body.Close()
	res, err = browser.Get(cfg.AuthCodeURL("st4te"))
	require.NoError(t, err)
	res.Body.Close()
	callback, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "st4te", callback.Query().Get("state"))

	tok, err := cfg.Exchange(ctx, callback.Query().Get("code"))
	require.NoError(t, err)
	assert.True(t, tok.Valid())
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.NotEmpty(t, tok.RefreshToken)

	_, err = cfg.Exchange(ctx, callback.Query().Get("code"))
	var re *oauth2.RetrieveError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "invalid_grant", re.ErrorCode, "a code is good once")

	fresh, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "rt-demo"}).Token()
	require.NoError(t, err)
	assert.True(t, fresh.Valid())
	assert.Equal(t, "rt-demo", fresh.RefreshToken)

	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "rt-expired"}).Token()
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
	assert.Equal(t, http.StatusBadRequest, re.Response.StatusCode)

	wrong := demoConfig(base)
	wrong.ClientSecret = "nope"
	_, err = wrong.TokenSource(ctx, &oauth2.Token{RefreshToken: "rt-demo"}).Token()
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "unauthorized_client", re.ErrorCode)
}
