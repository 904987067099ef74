package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/examples/accounts/app"
)

// serve starts examples/accounts, its handler wrapped when wrap is not nil.
func serve(t *testing.T, wrap func(http.Handler) http.Handler) string {
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

// flags are the flags README gives for examples/accounts.
func flags(base string) []string {
	return []string{"-client", "demo", "-secret", "demo-secret", "-redirect-uri", base + "/demo/callback",
		"-scope", "profile", "-user", "jane@example.com", "-password", "jane-password"}
}

func cmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut, false)
	return code, out.String(), errOut.String()
}

// A token error answered 200 instead of 400, on the unknown refresh token
// row only.
func broken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if r.URL.Path == "/oauth/token" && bytes.Contains(b, []byte("grant_type=refresh_token")) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestRun_PassesStrictAgainstTheExample(t *testing.T) {
	var mu sync.Mutex
	agents := map[string]bool{}
	base := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			agents[r.UserAgent()] = true
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	})
	code, out, errOut := cmd(append(flags(base), "-strict", base)...)
	assert.Equal(t, 0, code, errOut)
	assert.Empty(t, errOut)
	assert.Contains(t, out, "  PASS  contract  authorize: client id not found\n  PASS  strict    authorize: client id not found\n")
	assert.True(t, strings.HasSuffix(out, "\n50 passed, 0 failed, 2 skipped\n"), out)
	assert.NotContains(t, out, "\r", "no progress line off a terminal")
	assert.NotContains(t, out, "demo-secret")
	assert.Equal(t, map[string]bool{"authredirect-check/" + version(): true}, agents)
}

func TestRun_AFailedRowExitsOne(t *testing.T) {
	base := serve(t, broken)
	code, out, _ := cmd(append(flags(base), base)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "  FAIL  contract  token: refresh token not found\n"+
		`          expected: 400 application/json {"error":"unauthorized_client"}`+"\n"+
		`          received: 200 application/json; charset=utf-8 {"error":"unauthorized_client"`)
	assert.Contains(t, out, "(status 200, not 400)\n")
	assert.True(t, strings.HasSuffix(out, "\n26 passed, 1 failed, 1 skipped\n"), out)
}

func TestRun_SkipSaysWhy(t *testing.T) {
	base := serve(t, nil)
	code, out, _ := cmd("-run", "^login: wrong", base)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "  SKIP  contract  login: wrong password (needs a known account (-user, -password))\n")
	assert.True(t, strings.HasSuffix(out, "\n0 passed, 0 failed, 1 skipped\n"), out)
}

// -json and -junit carry the same rows as the table, and never the secret.
func TestRun_MachineReports(t *testing.T) {
	base := serve(t, broken)
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, _ := cmd(append(flags(base), "-strict", "-json", "-junit", junit, base)...)
	assert.Equal(t, 1, code)
	var rep jsonReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, base, rep.BaseURL)
	assert.Equal(t, [3]int{49, 1, 2}, [3]int{rep.Passed, rep.Failed, rep.Skipped})
	require.Len(t, rep.Rows, 52)
	assert.NotContains(t, out, "demo-secret")

	b, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "demo-secret")
	var x junitSuites
	require.NoError(t, xml.Unmarshal(b, &x))
	assert.Equal(t, [3]int{52, 1, 2}, [3]int{x.Tests, x.Failures, x.Skipped})
	require.Len(t, x.Suites, 2)
	assert.Equal(t, "contract", x.Suites[0].Name)
	assert.Equal(t, "strict", x.Suites[1].Name)
	var cases []string
	for _, s := range x.Suites {
		for _, c := range s.Cases {
			cases = append(cases, s.Name+" "+c.Name)
			if c.Failure != nil {
				assert.Equal(t, "contract token: refresh token not found", s.Name+" "+c.Name)
				assert.Contains(t, c.Failure.Text, "expected: 400 application/json")
			}
		}
	}
	var rows []string
	for _, r := range rep.Rows {
		rows = append(rows, r.Level+" "+r.Name)
	}
	assert.ElementsMatch(t, rows, cases)
}

// On a terminal a progress line is drawn, then cleared before the table.
func TestRun_ProgressOnATerminalOnly(t *testing.T) {
	base := serve(t, nil)
	var out bytes.Buffer
	code := run(context.Background(), []string{"-run", "^token: wrong", base}, &out, &bytes.Buffer{}, true)
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out.String(), "\r\033[K0 rows done, running token: wrong HTTP method\r\033[K"+base), out.String())
}

func TestRun_UsageAndConnectionErrorsExitTwo(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	gone := srv.URL
	srv.Close()
	for _, args := range [][]string{
		{},
		{"-nosuchflag", "http://127.0.0.1:1"},
		{"http://a.example", "http://b.example"},
		{"-run", "(", "http://127.0.0.1:1"},
		{"-ca", "/nonexistent.pem", "http://127.0.0.1:1"},
		{"-loop-spelling", "too_many", "http://127.0.0.1:1"},
		{"ftp://example.com"},
		{gone},
	} {
		code, _, errOut := cmd(args...)
		assert.Equal(t, 2, code, "%q", args)
		assert.NotEmpty(t, errOut, "%q", args)
	}
}

// -h explains every flag with an example, and exits 0.
func TestRun_Help(t *testing.T) {
	code, _, errOut := cmd("-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "Usage: authredirect-check [flags] BASE_URL")
	for _, f := range []string{"client", "secret", "redirect-uri", "scope", "error-page", "login-page", "authorize", "token", "login",
		"user", "password", "user-field", "password-field", "strict", "run", "insecure", "ca", "json", "junit", "timeout",
		"loop-limit", "loop-window", "loop-spelling"} {
		assert.Regexp(t, regexp.MustCompile(`\n  -`+f+`( |\n)`), errOut, f)
	}
	assert.Equal(t, 23, strings.Count(errOut, "(e.g. -"), "every flag shows an example")
}

// A staging host's certificate: refused by default, trusted with -ca or
// with -insecure.
func TestRun_StagingTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "https://" + srv.Listener.Addr().String()
	h, err := app.New(app.Config{Base: base, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv.Config.Handler = h
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	row := []string{"-run", "^authorize: client id not found$"}
	code, _, errOut := cmd(append(row, base)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "certificate")
	for _, flag := range [][]string{{"-ca", ca}, {"-insecure"}} {
		code, out, errOut := cmd(append(append(row, flag...), base)...)
		assert.Equal(t, 0, code, errOut)
		assert.True(t, strings.HasSuffix(out, "\n1 passed, 0 failed, 0 skipped\n"), out)
	}
}
