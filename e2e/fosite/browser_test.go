package fosite

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/fositeauthredirect/example/app"
)

// newBrowser starts headless Chromium (Debian's package) with the flags
// this closed network needs, and returns a context for chromedp.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "headless Chromium is needed: apt-get install chromium (.ci/run does)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// startExample serves the example's handler on a loopback listener, with
// the demo client's redirect URI on a client server of the test's own,
// which shows the code it receives.
func startExample(t *testing.T) (base, callback string) {
	t.Helper()
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Client</title><p id="code">` +
			url.QueryEscape(r.URL.Query().Get("code")) + `</p>`))
	}))
	t.Cleanup(client.Close)
	callback = client.URL + "/callback"
	h, err := app.New(app.Config{RedirectURI: callback, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, callback
}

// text reads the text of sel and the page's address.
func text(t *testing.T, ctx context.Context, sel string) (string, string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err)
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	return got, location
}

func TestBrowser_UnknownClientEndsOnTheErrorPage(t *testing.T) {
	base, callback := startExample(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/oauth/authorize?response_type=code&client_id=nope&redirect_uri="+url.QueryEscape(callback)+"&scope=openid"),
		chromedp.WaitVisible("#error"), // the error, role="alert"
	))
	page, location := text(t, ctx, "main")
	assert.Equal(t, base+"/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", location)
	assert.Contains(t, page, "unauthorized_client")
	assert.Contains(t, page, "client_id_not_found")
}

func TestBrowser_SignInReachesTheClientWithACode(t *testing.T) {
	base, callback := startExample(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/oauth/authorize?response_type=code&client_id=demo&redirect_uri="+url.QueryEscape(callback)+
			"&scope=openid+profile&state=state-12345678"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", app.UserEmail),
		chromedp.SendKeys("#password", app.UserPassword),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#code"),
	))
	code, location := text(t, ctx, "#code")
	u, err := url.Parse(location)
	require.NoError(t, err)
	assert.Equal(t, callback, u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, "state-12345678", u.Query().Get("state"))
	assert.NotEmpty(t, code)
	assert.Equal(t, u.Query().Get("code"), code)
}

// TestBrowser_FailedSignInKeepsTheFlow: a wrong password lands on the login
// page with the error, the authorization request (PKCE's and OpenID
// Connect's parameters included) carried; the right one then reaches the
// client with a code and the state.
func TestBrowser_FailedSignInKeepsTheFlow(t *testing.T) {
	base, callback := startExample(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/oauth/authorize?response_type=code&client_id=demo&redirect_uri="+url.QueryEscape(callback)+
			"&scope=openid&state=state-12345678&nonce=nonce-12345678&code_challenge_method=S256"+
			"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", app.UserEmail),
		chromedp.SendKeys("#password", "wrong"),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#error"),
	))
	_, location := text(t, ctx, "#error")
	u, err := url.Parse(location)
	require.NoError(t, err)
	assert.Equal(t, "/", u.Path)
	assert.Equal(t, "unauthorized", u.Query().Get("identity_exception"))
	assert.Equal(t, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", u.Query().Get("code_challenge"))
	assert.Equal(t, "nonce-12345678", u.Query().Get("nonce"))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys("#email", app.UserEmail),
		chromedp.SendKeys("#password", app.UserPassword),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#code"),
	))
	code, location := text(t, ctx, "#code")
	u, err = url.Parse(location)
	require.NoError(t, err)
	assert.Equal(t, callback, u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, "state-12345678", u.Query().Get("state"))
	assert.NotEmpty(t, code)
}

// TestBrowser_LoopEndsOnTheErrorPage: the 4th arrival for one client within
// 30 seconds ends on the error page with to_many_redirects.
func TestBrowser_LoopEndsOnTheErrorPage(t *testing.T) {
	base, callback := startExample(t)
	ctx := newBrowser(t)
	authorize := base + "/oauth/authorize?response_type=code&client_id=demo&redirect_uri=" + url.QueryEscape(callback) +
		"&scope=openid&state=state-12345678"
	for range 3 {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(authorize), chromedp.WaitVisible("#email")))
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(authorize), chromedp.WaitVisible("#error")))
	_, location := text(t, ctx, "main")
	assert.Equal(t, base+"/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects", location)
}
