package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// artifacts is where the browser tests keep a screenshot of each end state.
const artifacts = "testdata/artifacts"

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
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(artifacts, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(artifacts, name), png, 0o644))
}

// text runs the steps, then reads the text of sel and the page's address.
func text(t *testing.T, ctx context.Context, sel string) (string, string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err)
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	return got, location
}

func signIn(email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", email),
		chromedp.SendKeys("#password", password),
		chromedp.Click("#submit"),
	)
}

func TestBrowser_WrongPasswordShowsUnauthorized(t *testing.T) {
	base := startExample(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		signIn("jane@example.com", "not-her-password"),
		chromedp.WaitVisible("#error"),
	))
	message, location := text(t, ctx, "#error")
	screenshot(t, ctx, "wrong-password.png")
	assert.Equal(t, base+"/?identity_exception=unauthorized&entity_id=u-jane", location)
	assert.Contains(t, message, "Wrong e-mail or password")
	assert.Contains(t, message, "Check both and try again.")
	assert.NotContains(t, message, "u-jane", "an internal identifier is never shown")
}

func TestBrowser_RedirectLoopEndsOnTheErrorPage(t *testing.T) {
	base := startExample(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		signIn("jane@example.com", "jane-password"),
		chromedp.WaitVisible("#who"),
	))
	who, _ := text(t, ctx, "#who")
	assert.Equal(t, "Signed in as jane@example.com", strings.TrimSpace(who))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/demo/loop"),
		chromedp.WaitVisible("#error"),
	))
	page, location := text(t, ctx, "main")
	screenshot(t, ctx, "redirect-loop.png")
	assert.Equal(t, base+"/ooops?oauth_exception=invalid_request&exception_details=to_many_redirects", location)
	assert.Contains(t, page, "Your browser was sent back and forth between the app and this service too many times.")
	assert.Contains(t, page, "Wait a minute, then open the app again.")
	assert.Contains(t, page, "invalid_request / to_many_redirects")
}
