package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/conformance"
	"github.com/authredirect/authredirect/examples/accounts/app"
)

// serve starts examples/accounts in-process, its handler wrapped (nil:
// as it is), and returns its base URL.
func serve(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := app.New(app.Config{Base: base, CookieKey: []byte("0123456789abcdef0123456789abcdef"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	if wrap != nil {
		h = wrap(h)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// accounts is the configuration README gives for examples/accounts.
func accounts(base string) conformance.Config {
	return conformance.Config{
		BaseURL: base, ClientID: "demo", ClientSecret: "demo-secret", RedirectURI: base + "/demo/callback",
		Scope: "profile", User: "jane@example.com", Password: "jane-password",
	}
}

func run(t *testing.T, cfg conformance.Config) *conformance.Report {
	t.Helper()
	rep, err := conformance.Run(context.Background(), cfg)
	require.NoError(t, err)
	return rep
}

// failed lists the failed rows as "level name".
func failed(rep *conformance.Report) []string {
	var out []string
	for _, r := range rep.Rows {
		if r.Status == conformance.Fail {
			out = append(out, r.Level+" "+r.Name)
		}
	}
	return out
}

// The reference server keeps every row of the contract and of the strict
// policy; nothing is skipped when the client and the account are given.
func TestRun_ExampleAccountsPassesStrict(t *testing.T) {
	var mu sync.Mutex
	hosts, agents := map[string]int{}, map[string]int{}
	base := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hosts[r.Host]++
			agents[r.UserAgent()]++
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	})
	cfg := accounts(base)
	cfg.Strict = true
	rep := run(t, cfg)
	for _, r := range rep.Rows {
		if r.Name == "authorize: prompt=none without a session" {
			// Not an OpenID provider: its scope has no openid.
			assert.Equal(t, conformance.Skip, r.Status)
			assert.Equal(t, "runs only when the scope asked for includes openid (-scope): prompt=none is OpenID Connect's", r.SkipReason)
			continue
		}
		assert.Equal(t, conformance.Pass, r.Status, "%s %s: expected %s, received %s %s", r.Level, r.Name, r.Expected, r.Received, r.SkipReason)
	}
	assert.Len(t, rep.Rows, 52, "28 rows, 24 of them with a strict row")
	assert.Equal(t, "50 passed, 0 failed, 2 skipped", rep.Summary())
	assert.LessOrEqual(t, rep.Requests, conformance.MaxRequests)

	host := strings.TrimPrefix(base, "http://")
	assert.Equal(t, map[string]int{host: rep.Requests - 1, "authredirect-check.invalid": 1}, hosts,
		"only the hostile-Host row names another host, on a connection to the base")
	assert.Equal(t, map[string]int{"authredirect-check": rep.Requests}, agents)
}

// Each server breaks one thing of the reference server; the run lists
// exactly that row, at that level, as FAIL, and every other row passes.
func TestRun_BrokenServersFailExactlyTheirRow(t *testing.T) {
	tokenGet := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Path == "/oauth/token" }
	for _, tc := range []struct {
		name   string
		strict bool
		wrap   func(http.Handler) http.Handler
		fails  string
	}{
		{"a wrong code: an unknown client at the token endpoint is invalid_client 401", false,
			rewrite(func(r *http.Request) bool { u, _, _ := r.BasicAuth(); return u == "authredirect-check-unknown-client" },
				func(rec *httptest.ResponseRecorder) {
					rec.Code = http.StatusUnauthorized
					rec.Body.Reset()
					rec.Body.WriteString(`{"error":"invalid_client","error_description":"unknown client"}`)
				}),
			"contract token: client id not found"},
		{"an extra parameter on the error page", false,
			rewrite(func(r *http.Request) bool { return strings.Contains(r.URL.RawQuery, "unknown-scope") },
				func(rec *httptest.ResponseRecorder) {
					rec.Header().Set("Location", rec.Header().Get("Location")+"&error_description=scope")
				}),
			"contract authorize: scope not found"},
		{"an open redirect: the Location built from X-Forwarded-Host", false,
			func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					fwd := r.Header.Get("X-Forwarded-Host")
					rewrite(func(*http.Request) bool { return fwd != "" }, func(rec *httptest.ResponseRecorder) {
						loc, _ := url.Parse(rec.Header().Get("Location"))
						loc.Scheme, loc.Host = "https", fwd
						rec.Header().Set("Location", loc.String())
					})(h).ServeHTTP(w, r)
				})
			},
			"contract open redirect: hostile Host and X-Forwarded-Host"},
		{"a token error answered 200", false,
			rewrite(func(r *http.Request) bool {
				return r.URL.Path == "/oauth/token" && bodyHas(r, "grant_type=authorization_code&code=authredirect-check-unknown-code") &&
					authorized(r, "demo-secret")
			},
				func(rec *httptest.ResponseRecorder) { rec.Code = http.StatusOK }),
			"contract token: authorization code invalid"},
		{"a loop never stopped: the guard's cookie is never read", false,
			func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.Header.Del("Cookie")
					h.ServeHTTP(w, r)
				})
			},
			"contract authorize: redirect loop (arrival 4 within 30s)"},
		{"a missing grant type answered as an unsupported one", false,
			rewrite(func(r *http.Request) bool {
				return r.URL.Path == "/oauth/token" && r.Method == http.MethodPost && !bodyHas(r, "grant_type=")
			},
				func(rec *httptest.ResponseRecorder) {
					rec.Body.Reset()
					rec.Body.WriteString(`{"error":"unsupported_grant_type"}`)
				}),
			"contract token: missing grant type"},
		{"302 instead of 303", true,
			rewrite(func(r *http.Request) bool {
				return r.URL.Path == "/oauth/authorize" && !r.URL.Query().Has("response_type")
			},
				func(rec *httptest.ResponseRecorder) { rec.Code = http.StatusFound }),
			"strict authorize: missing response type"},
		{"no Cache-Control: no-store", true,
			rewrite(func(r *http.Request) bool {
				return r.URL.Path == "/oauth/token" && r.Method == http.MethodPost && r.Header.Get("Authorization") == ""
			},
				func(rec *httptest.ResponseRecorder) { rec.Header().Del("Cache-Control") }),
			"strict token: missing client id"},
		{"a duplicate JSON key", true,
			rewrite(tokenGet, func(rec *httptest.ResponseRecorder) {
				rec.Body.Reset()
				rec.Body.WriteString(`{"error":"invalid_request","error":"invalid_request"}`)
			}),
			"strict token: wrong HTTP method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := accounts(serve(t, tc.wrap))
			cfg.Strict = tc.strict
			rep := run(t, cfg)
			assert.Equal(t, []string{tc.fails}, failed(rep))
			for _, r := range rep.Rows {
				if r.Status == conformance.Fail {
					assert.NotEmpty(t, r.Expected)
					assert.NotEmpty(t, r.Received)
					t.Logf("%s %s\n  expected: %s\n  received: %s", r.Level, r.Name, r.Expected, r.Received)
				}
			}
		})
	}
}

// rewrite serves the requests that match into a recorder, changes the
// recorded answer, then sends it; other requests are served as they are.
func rewrite(match func(*http.Request) bool, change func(*httptest.ResponseRecorder)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			change(rec)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	}
}

// bodyHas reads the request's body, keeps it for the handler and reports
// whether it holds s.
func bodyHas(r *http.Request, s string) bool {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	return strings.Contains(string(b), s)
}

func authorized(r *http.Request, secret string) bool {
	_, p, ok := r.BasicAuth()
	return ok && p == secret
}

// Without a client or an account, the rows that need them are SKIP and
// say why; the others still run.
func TestRun_SkipsWhatItCannotRun(t *testing.T) {
	rep := run(t, conformance.Config{BaseURL: serve(t, nil)})
	assert.Empty(t, failed(rep))
	reasons := map[string]string{}
	for _, r := range rep.Rows {
		if r.Status == conformance.Skip {
			reasons[r.Name] = r.SkipReason
		}
	}
	assert.Equal(t, "needs a registered client (-client)", reasons["authorize: invalid redirect uri"])
	assert.Equal(t, "needs a registered client and its secret (-client, -secret)", reasons["token: refresh token not found"])
	assert.Equal(t, "needs a known account (-user, -password)", reasons["login: wrong password"])
	assert.NotContains(t, reasons, "authorize: client id not found")
	assert.NotContains(t, reasons, "token: client id not found")
	assert.Equal(t, "needs a registered client (-client)", reasons["authorize: prompt=none without a session"])
	assert.Equal(t, "8 passed, 0 failed, 20 skipped", rep.Summary())
}

// Neither the client's secret nor the account's password ever reaches the
// report, even when the service echoes them.
func TestRun_SecretsNeverReported(t *testing.T) {
	echo := rewrite(func(r *http.Request) bool { return r.URL.Path == "/oauth/token" }, func(rec *httptest.ResponseRecorder) {
		rec.Code = http.StatusOK
		rec.Body.Reset()
		rec.Body.WriteString(`{"error":"demo-secret jane-password","exception_details":"demo-secret"}`)
	})
	cfg := accounts(serve(t, echo))
	cfg.Strict = true
	rep := run(t, cfg)
	require.NotEmpty(t, failed(rep))
	out, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.NotContains(t, string(out), "demo-secret")
	assert.NotContains(t, string(out), "jane-password")
	assert.Contains(t, string(out), "[redacted]")
}

// Run keeps only the rows its filter matches, and sends only their
// requests.
func TestRun_Filter(t *testing.T) {
	cfg := accounts(serve(t, nil))
	cfg.Run = regexp.MustCompile(`^token: (missing client|client id)`)
	cfg.Strict = true
	rep := run(t, cfg)
	var names []string
	for _, r := range rep.Rows {
		names = append(names, r.Level+" "+r.Name)
	}
	assert.Equal(t, []string{"contract token: missing client id", "strict token: missing client id",
		"contract token: client id not found", "strict token: client id not found"}, names)
	assert.Equal(t, 3, rep.Requests, "discovery and one request a row")
}

// Endpoints come from the OpenID discovery document when it is served on
// the base's host; one naming another host is ignored.
func TestRun_Discovery(t *testing.T) {
	var other bool
	var mu sync.Mutex
	seen := map[string]bool{}
	base := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[r.URL.Path] = true
			mu.Unlock()
			switch r.URL.Path {
			case "/.well-known/openid-configuration":
				host := "http://" + r.Host
				if other {
					host = "https://elsewhere.invalid"
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"authorization_endpoint":%q,"token_endpoint":%q}`, host+"/a", host+"/t")
				return
			case "/a":
				r.URL.Path = "/oauth/authorize"
			case "/t":
				r.URL.Path = "/oauth/token"
			}
			h.ServeHTTP(w, r)
		})
	})
	cfg := accounts(base)
	cfg.Run = regexp.MustCompile(`^(authorize: client id not found|token: missing client id)$`)
	rep := run(t, cfg)
	assert.Empty(t, failed(rep))
	assert.True(t, seen["/a"] && seen["/t"])

	other, seen = true, map[string]bool{}
	rep = run(t, cfg)
	assert.Empty(t, failed(rep))
	assert.True(t, seen["/oauth/authorize"] && seen["/oauth/token"] && !seen["/a"])
}

func TestRun_ConfigRefused(t *testing.T) {
	for _, cfg := range []conformance.Config{
		{},
		{BaseURL: "ftp://example.com"},
		{BaseURL: "https://user@example.com"},
		{BaseURL: "https://example.com", ErrorPage: "https://elsewhere.example/ooops"},
		{BaseURL: "https://example.com", LoopSpelling: "too_many"},
		{BaseURL: "https://example.com", LoopLimit: 101},
		{BaseURL: "https://example.com", TokenPath: "oauth/token"},
	} {
		rep, err := conformance.Run(context.Background(), cfg)
		assert.ErrorIs(t, err, conformance.ErrConfig, "%+v", cfg)
		assert.Nil(t, rep)
	}
}

// A service that cannot be reached stops the run.
func TestRun_Unreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{BaseURL: base})
	assert.True(t, errors.Is(err, conformance.ErrStopped), "%v", err)
	require.NotNil(t, rep)
	assert.Empty(t, rep.Rows)
}

// The loop detail's spelling: the contract's by default, the newer one
// when asked for, either with "any".
func TestRun_LoopSpelling(t *testing.T) {
	newer := rewrite(func(r *http.Request) bool { return r.URL.Path == "/oauth/authorize" }, func(rec *httptest.ResponseRecorder) {
		rec.Header().Set("Location", strings.Replace(rec.Header().Get("Location"), "to_many_redirects", "too_many_redirects", 1))
	})
	for _, tc := range []struct {
		server   func(http.Handler) http.Handler
		spelling string
		fails    []string
	}{
		{nil, "", nil},
		{newer, "", []string{"contract authorize: redirect loop (arrival 4 within 30s)"}},
		{newer, "too_many_redirects", nil},
		{newer, "any", nil},
		{nil, "any", nil},
		{nil, "too_many_redirects", []string{"contract authorize: redirect loop (arrival 4 within 30s)"}},
	} {
		cfg := accounts(serve(t, tc.server))
		cfg.Run = regexp.MustCompile(`^authorize: redirect loop`)
		cfg.LoopSpelling = tc.spelling
		rep := run(t, cfg)
		require.Len(t, rep.Rows, 1)
		assert.Equal(t, tc.fails, failed(rep), "%q", tc.spelling)
	}
}

// Arrivals that took longer than the window prove nothing: the loop row
// is SKIP then, never FAIL.
func TestRun_LoopSlowerThanTheWindow(t *testing.T) {
	cfg := accounts(serve(t, nil))
	cfg.Run = regexp.MustCompile(`^authorize: redirect loop`)
	cfg.LoopWindow = time.Nanosecond
	cfg.Strict = true
	rep := run(t, cfg)
	require.Len(t, rep.Rows, 2)
	for _, r := range rep.Rows {
		assert.Equal(t, conformance.Skip, r.Status)
		assert.Equal(t, "the 4 arrivals took longer than the window of 1ns", r.SkipReason)
	}
}

// prompt=none without a session is login_required at the client's
// redirect_uri with the request's state (OpenID Connect Core 3.1.2.6):
// the one row whose Location is the client's. A provider answering it
// stands in for the three example servers, which e2e runs.
func TestRun_PromptNone(t *testing.T) {
	const cb = "https://client.example/callback"
	redirect := func(status int, loc func(state string) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/oauth/authorize" || r.URL.Query().Get("prompt") != "none" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Pragma", "no-cache")
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.Header().Set("Location", loc(url.QueryEscape(r.URL.Query().Get("state"))))
			w.WriteHeader(status)
		}
	}
	client := func(q string) func(string) string {
		return func(state string) string { return cb + "?" + strings.ReplaceAll(q, "STATE", state) }
	}
	const name = "authorize: prompt=none without a session"
	for _, tc := range []struct {
		name        string
		redirectURI string
		scope       string
		server      http.HandlerFunc
		wire        string
		fails       []string
		skip        string
	}{
		{name: "login_required at the client", server: redirect(http.StatusSeeOther, client("error=login_required&state=STATE")),
			wire: "303 error=login_required"},
		{name: "with a description and the issuer", server: redirect(http.StatusSeeOther,
			client("error=login_required&error_description=sign+in&state=STATE&iss=https%3A%2F%2Fop.example")),
			wire: "303 error=login_required"},
		{name: "the redirect_uri's own query kept", redirectURI: cb + "?tenant=a",
			server: redirect(http.StatusSeeOther, client("tenant=a&error=login_required&state=STATE")), wire: "303 error=login_required"},
		{name: "the redirect_uri's own query lost", redirectURI: cb + "?tenant=a",
			server: redirect(http.StatusSeeOther, client("error=login_required&state=STATE")), wire: "303 error=login_required",
			fails: []string{"contract " + name}},
		{name: "302", server: redirect(http.StatusFound, client("error=login_required&state=STATE")),
			wire: "302 error=login_required", fails: []string{"strict " + name}},
		{name: "another code", server: redirect(http.StatusSeeOther, client("error=interaction_required&state=STATE")),
			wire: "303 error=interaction_required", fails: []string{"contract " + name}},
		{name: "the state lost", server: redirect(http.StatusSeeOther, client("error=login_required")),
			wire: "303 error=login_required", fails: []string{"contract " + name}},
		{name: "another path of the client's host", server: redirect(http.StatusSeeOther, func(state string) string {
			return "https://client.example/other?error=login_required&state=" + state
		}), wire: "303 error=login_required", fails: []string{"contract " + name}},
		{name: "the contract's error page instead", server: redirect(http.StatusSeeOther, func(string) string {
			return "/ooops?oauth_exception=access_denied"
		}), wire: "303 oauth_exception=access_denied", fails: []string{"contract " + name}},
		{name: "a sign-in screen", server: redirect(http.StatusSeeOther, func(state string) string {
			return "/?prompt=none&state=" + state
		}), wire: "303", fails: []string{"contract " + name}},
		{name: "no openid in the scope", scope: "profile", server: redirect(http.StatusSeeOther, client("")),
			skip: "runs only when the scope asked for includes openid (-scope): prompt=none is OpenID Connect's"},
		{name: "no redirect URI", redirectURI: "-", server: redirect(http.StatusSeeOther, client("")),
			skip: "needs the client's registered redirect URI (-redirect-uri)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.server)
			t.Cleanup(srv.Close)
			cfg := conformance.Config{BaseURL: srv.URL, ClientID: "demo", RedirectURI: cb, Scope: "openid profile",
				AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/token", Strict: true, Run: regexp.MustCompile(`^authorize: prompt=none`)}
			switch tc.redirectURI {
			case "":
			case "-":
				cfg.RedirectURI = ""
			default:
				cfg.RedirectURI = tc.redirectURI
			}
			if tc.scope != "" {
				cfg.Scope = tc.scope
			}
			rep := run(t, cfg)
			require.Len(t, rep.Rows, 2)
			assert.Equal(t, tc.fails, failed(rep))
			assert.Equal(t, tc.wire, rep.Rows[0].Wire)
			for _, r := range rep.Rows {
				if tc.skip != "" {
					assert.Equal(t, conformance.Skip, r.Status)
					assert.Equal(t, tc.skip, r.SkipReason)
				}
				t.Logf("%s %s %s\n  expected: %s\n  received: %s", r.Status, r.Level, r.Name, r.Expected, r.Received)
			}
		})
	}
}
