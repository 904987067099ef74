package zitadel

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// newBrowser starts headless Chromium (Debian's package) with the flags of
// e2e/browser_test.go, and returns a context for chromedp.
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

// startExample serves the example with one more client, whose redirect URI
// is a page of this test that shows what the client received.
func startExample(t *testing.T) (base, callback string) {
	t.Helper()
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>client</title><p id="code">%s</p><p id="state">%s</p>`,
			html.EscapeString(r.URL.Query().Get("code")), html.EscapeString(r.URL.Query().Get("state")))
	}))
	t.Cleanup(client.Close)
	callback = client.URL + "/callback"

	srv := httptest.NewUnstartedServer(nil)
	base = "http://" + srv.Listener.Addr().String()
	clients := app.DemoClients()
	clients["browser"] = storage.WebClient("browser", "browser-secret", callback)
	h, err := app.New(app.Config{Base: base, Storage: app.NewStorage(base, clients), Observer: middleware.Quiet,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return base, callback
}

// TestBrowser_UnknownClientEndsOnTheErrorPage: the browser follows the
// contract's redirect to the error page, which names the error.
func TestBrowser_UnknownClientEndsOnTheErrorPage(t *testing.T) {
	base, _ := startExample(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/oauth/authorize?response_type=code&client_id=nope&redirect_uri="+
			url.QueryEscape(app.RedirectURI)+"&scope=openid"),
		chromedp.WaitVisible("main h1"),
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, base+"/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", location)
	assert.NotEmpty(t, title)
}

// TestBrowser_SignInReachesTheClientWithACode: the whole flow, through the
// login form, ends at the client's redirect URI with a code and the state.
func TestBrowser_SignInReachesTheClientWithACode(t *testing.T) {
	base, callback := startExample(t)
	ctx := newBrowser(t)
	u, err := url.Parse(base)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/oauth/authorize?response_type=code&client_id=browser&redirect_uri="+
			url.QueryEscape(callback)+"&scope=openid+profile&state=from-the-browser"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", "test-user@"+u.Hostname()),
		chromedp.SendKeys("#password", "verysecure"),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#code"),
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	code, err := chromedp.Run(ctx, chromedp.Text("#code"))
	require.NoError(t, err)
	state, err := chromedp.Run(ctx, chromedp.Text("#state"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(location, callback+"?"), location)
	assert.NotEmpty(t, code)
	assert.Equal(t, "from-the-browser", state)
}
