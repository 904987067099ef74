package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// axeEnv names the axe-core script (axe.min.js, or the axe-core package
// directory holding it) that .ci/run installs from the npm registry.
const axeEnv = "AUTHREDIRECT_AXE_CORE"

// axeSource is axe-core's script: from $AUTHREDIRECT_AXE_CORE, else where
// .ci/run installs it. Without it the test fails: an accessibility check
// that silently skips checks nothing.
func axeSource(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv(axeEnv)}
	if cache, err := os.UserCacheDir(); err == nil {
		candidates = append(candidates, filepath.Join(cache, "authredirect", "axe", "node_modules", "axe-core"))
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "axe.min.js")
		}
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	t.Fatalf("axe-core is needed: npm install --prefix \"$HOME/.cache/authredirect/axe\" axe-core@4.14.1 (.ci/run does), or set %s to its axe.min.js", axeEnv)
	return ""
}

// violation is one axe-core rule a page breaks.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun injects axe-core into the page and runs the WCAG 2.1 A and AA
// rules and axe's best practices; it returns the serious and critical
// violations, and logs the others.
func axeRun(t *testing.T, ctx context.Context, src string) []violation {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true", chromedp.EvalAsValue))
	require.NoError(t, err, "injecting axe-core")
	all, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
		resultTypes: ["violations"]
	}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise, chromedp.EvalAsValue))
	require.NoError(t, err, "running axe-core")
	var bad []violation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v)
		} else {
			t.Logf("axe (%s): %s: %s %v", v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
	return bad
}

// acceptLanguage makes the browser ask for lang, as a browser set to it does.
func acceptLanguage(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": lang},
		})
		return err
	})
}

// focused makes the page behave as a focused window does, so that the
// focus ring a person sees is drawn in headless Chromium too.
func focused() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})
}

// noScript turns the page's JavaScript off: the pages must work without it.
func noScript() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}

func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAsValue))
	require.NoError(t, err, expr)
	return v
}

// startInPlace serves a login page that fails (its storage is down): the
// Recoverer cannot redirect to the page that failed, so it renders the
// library's page in place. It carries the flow like the example.
func startInPlace(t *testing.T) string {
	t.Helper()
	rc, err := middleware.New(middleware.Config{
		Render: render.Config{
			ErrorPage: "/ooops", LoginPage: "/login",
			Carry: []string{"response_type", "client_id", "redirect_uri", "state", "scope"},
			Page:  render.PageConfig{Home: "/", HomeName: "Example", Support: "mailto:support@example.com"},
		},
		Observer: func(middleware.Event) {},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/login", rc.Authentication(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("users: storage unavailable")
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowser_SignInKeepsItsPlace is the whole path in Chromium with
// JavaScript off: authorize → login → wrong password (the error is shown,
// the password field focused, the form keeps the flow) → right password →
// the client's redirect URI with a code.
func TestBrowser_SignInKeepsItsPlace(t *testing.T) {
	base := startExample(t)
	ctx := newBrowser(t)
	cb := base + "/demo/callback"
	flow := "response_type=code&client_id=demo&redirect_uri=" + url.QueryEscape(cb) + "&state=keep-me&scope=profile"
	require.NoError(t, chromedp.Do(ctx, noScript(), chromedp.Navigate(base+"/oauth/authorize?"+flow), chromedp.WaitVisible("#email")))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, base+"/?"+flow, location)

	require.NoError(t, chromedp.Do(ctx, signIn("jane@example.com", "not-her-password"), chromedp.WaitVisible("#error")))
	message, location := text(t, ctx, "#error")
	screenshot(t, ctx, "keeps-its-place-wrong-password.png")
	assert.Equal(t, base+"/?identity_exception=unauthorized&entity_id=u-jane&"+flow, location)
	assert.Contains(t, message, "Wrong e-mail or password")
	assert.NotContains(t, message, "u-jane")
	action, err := chromedp.Run(ctx, chromedp.AttributeValue("form", "action"))
	require.NoError(t, err)
	assert.Equal(t, "/login?"+flow, action.Value, "the form keeps the flow")
	email, err := chromedp.Run(ctx, chromedp.Value("#email"))
	require.NoError(t, err)
	assert.Equal(t, "jane@example.com", email, "the address this browser typed")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys("#password", "jane-password"),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#code"),
	))
	code, location := text(t, ctx, "#code")
	screenshot(t, ctx, "keeps-its-place-callback.png")
	got, err := url.Parse(location)
	require.NoError(t, err)
	assert.Equal(t, cb, got.Scheme+"://"+got.Host+got.Path)
	assert.Equal(t, "keep-me", got.Query().Get("state"))
	assert.True(t, strings.HasPrefix(code, "code-"), code)
	assert.Equal(t, code, got.Query().Get("code"))
}

// TestBrowser_PagesAreAccessible checks, in English and German, the error
// page, the login page with an error and the page rendered in place:
// axe-core finds no serious or critical violation; <html lang> is the
// language asked for; the error is an alert; the first field in error has
// the focus, visibly; at 320 px nothing scrolls sideways. Screenshots of
// each are in testdata/artifacts.
func TestBrowser_PagesAreAccessible(t *testing.T) {
	axe := axeSource(t)
	base := startExample(t)
	inPlace := startInPlace(t)
	pages := []struct {
		name, url string
		title     map[string]string // by language
		focus     string            // the id of the element focused on load
	}{
		{"error-page", base + "/ooops?oauth_exception=unauthorized_client&exception_details=invalid_redirect_uri",
			map[string]string{"en": "This app cannot sign you in", "de": "Diese App kann Sie nicht anmelden"}, ""},
		{"login-error", base + "/?identity_exception=unauthorized&response_type=code&client_id=demo",
			map[string]string{"en": "Wrong e-mail or password – Sign in", "de": "E-Mail-Adresse oder Passwort falsch – Anmelden"}, "email"},
		{"in-place", inPlace + "/login?client_id=demo&state=s",
			map[string]string{"en": "Something went wrong on our side", "de": "Bei uns ist etwas schiefgelaufen"}, ""},
	}
	for _, lang := range []string{"en", "de"} {
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				ctx := newBrowser(t)
				require.NoError(t, chromedp.Do(ctx, acceptLanguage(lang+";q=1, fr;q=0.5"), focused(), chromedp.Navigate(p.url), chromedp.WaitVisible("#error")))
				assert.Equal(t, lang, evaluate[string](t, ctx, `document.documentElement.lang`))
				assert.Equal(t, p.title[lang], evaluate[string](t, ctx, `document.title`))
				assert.Equal(t, "alert", evaluate[string](t, ctx, `document.getElementById("error").getAttribute("role")`))
				if p.focus != "" {
					assert.Equal(t, p.focus, evaluate[string](t, ctx, `document.activeElement.id`), "autofocus on the first field in error")
					assert.True(t, evaluate[bool](t, ctx, `document.activeElement.matches(":focus-visible")`))
					assert.Equal(t, "solid", evaluate[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`), "the focus is visible")
					assert.Equal(t, "true", evaluate[string](t, ctx, `document.activeElement.getAttribute("aria-invalid")`))
				}
				unlabelled := evaluate[[]string](t, ctx, `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)`)
				assert.Empty(t, unlabelled, "every field has a label")
				screenshot(t, ctx, p.name+"-"+lang+".png")
				bad := axeRun(t, ctx, axe)
				assert.Empty(t, bad, "axe-core: serious or critical violations")

				require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(320, 640), chromedp.Navigate(p.url), chromedp.WaitVisible("#error")))
				assert.LessOrEqual(t, evaluate[int](t, ctx, `document.documentElement.scrollWidth`), 320, "nothing scrolls sideways at 320 px")
				screenshot(t, ctx, p.name+"-"+lang+"-320px.png")
			})
		}
	}
}

// TestBrowser_InPlacePageTryAgain: the page in place never shows the
// cause, and its "try again" keeps the flow on the configured page.
func TestBrowser_InPlacePageTryAgain(t *testing.T) {
	inPlace := startInPlace(t)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(inPlace+"/login?client_id=demo&state=s&password=hunter2"), chromedp.WaitVisible("#try-again")))
	page, _ := text(t, ctx, "main")
	assert.NotContains(t, page, "storage unavailable")
	href, err := chromedp.Run(ctx, chromedp.AttributeValue("#try-again", "href"))
	require.NoError(t, err)
	assert.Equal(t, "/login?client_id=demo&state=s", href.Value, "the flow, and nothing else of the query")
}

// TestBrowser_AxeFindsViolations: the accessibility check can fail. A page
// with an unlabelled field, no language and grey-on-grey text gives axe-core
// serious or critical violations.
func TestBrowser_AxeFindsViolations(t *testing.T) {
	axe := axeSource(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><head><title>x</title></head><body><main>` +
			`<p style="color:#aaa;background:#bbb">faint</p><form><input type="text" name="q"></form></main></body></html>`))
	}))
	t.Cleanup(srv.Close)
	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible("main")))
	var ids []string
	for _, v := range axeRun(t, ctx, axe) {
		ids = append(ids, v.ID)
	}
	assert.Subset(t, ids, []string{"label", "html-has-lang", "color-contrast"})
}
