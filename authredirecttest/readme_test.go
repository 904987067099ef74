package authredirecttest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// README.md's snippets are the code between the "README snippet NAME"
// lines of this file, byte for byte (TestREADME_SnippetsAreTestedCode);
// README.md links to newApp.

// newApp is the app under test: its routes are built on the Recoverer it
// is given, as in production.
func newApp(rc *middleware.Recoverer, loop *loopguard.Guard) http.Handler {
	mux := http.NewServeMux()
	get := middleware.AllowMethods(http.MethodGet, http.MethodHead)
	mux.Handle("/oauth/authorize", alice.New(rc.Authorization, get, loop.Middleware).Then(middleware.Wrap(
		func(w http.ResponseWriter, r *http.Request) error {
			if r.URL.Query().Get("client_id") != "demo" {
				return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
			}
			http.Redirect(w, r, "https://client.example/callback?code=c-1", http.StatusFound)
			return nil
		})))
	mux.Handle("/login", alice.New(rc.Authentication).Then(middleware.Wrap(
		func(w http.ResponseWriter, r *http.Request) error {
			if r.Method == http.MethodPost {
				return codes.Unauthorized.WithEntityID("u-jane") // wrong password
			}
			e, _ := render.ParseQuery(r.URL.RawQuery)
			rc.Renderer().Page(w, r, http.StatusOK, e) // the login form would go here
			return nil
		})))
	mux.Handle("/oauth/token", alice.New(rc.JSON).Then(middleware.Wrap(
		func(http.ResponseWriter, *http.Request) error {
			return codes.InvalidClient // no client authentication
		})))
	return mux
}

func TestREADME_WholeApp(t *testing.T) {
	// README snippet wholeapp begin
	kit, err := authredirecttest.New(render.Config{}) // the app's pages: /ooops and /login
	require.NoError(t, err)
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("a test key of at least 32 bytes!")}})
	require.NoError(t, err)
	loop, err := loopguard.New(loopguard.Config{Counter: counter})
	require.NoError(t, err)
	app := newApp(kit.Recoverer(), loop) // wired as in production, on the Kit's Recoverer
	for _, tc := range []struct {
		method, target string
		want           *codes.Error // nil: no error
	}{
		{"GET", "/oauth/authorize?client_id=demo", nil},
		{"GET", "/oauth/authorize?client_id=nope", codes.UnauthorizedClient.With(codes.ClientIDNotFound)},
		{"POST", "/oauth/authorize?client_id=demo", codes.InvalidRequest.Err()}, // wrong method
		{"POST", "/login", codes.Unauthorized.WithEntityID("u-jane")},
		{"GET", "/login?identity_exception=unauthorized", nil}, // the page shows the error
		{"POST", "/oauth/token", codes.InvalidClient.Err()},    // JSON, 401, WWW-Authenticate
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			res := kit.Serve(app, httptest.NewRequest(tc.method, tc.target, nil))
			if tc.want == nil {
				assert.False(t, res.Failed(), "cause: %v", res.Cause)
				return
			}
			assert.NoError(t, kit.Check(res, tc.want)) // every difference, expected and found
		})
	}
	browser := kit.Browser() // keeps the loop guard's cookie from answer to request
	for range 3 {
		browser.Serve(app, httptest.NewRequest("GET", "/oauth/authorize?client_id=demo", nil))
	}
	res := browser.Serve(app, httptest.NewRequest("GET", "/oauth/authorize?client_id=demo", nil))
	assert.NoError(t, kit.Check(res, codes.InvalidRequest.With(codes.TooManyRedirects)))
	// README snippet wholeapp end
}

// TestREADME_WholeAppCatchesABrokenApp: the same table fails an app that
// answers with its own redirects, as a kit must.
func TestREADME_WholeAppCatchesABrokenApp(t *testing.T) {
	kit := newKit(t)
	loop, err := loopguard.New(loopguard.Config{Counter: testCounter(t)})
	require.NoError(t, err)
	app := breakAnswer(func(status int, h http.Header) int {
		if status == http.StatusSeeOther {
			h.Set("Location", "https://evil.example"+h.Get("Location"))
		}
		return status
	}, "")(newApp(kit.Recoverer(), loop))
	res := kit.Serve(app, httptest.NewRequest("GET", "/oauth/authorize?client_id=nope", nil))
	assert.ErrorIs(t, kit.Check(res, codes.UnauthorizedClient.With(codes.ClientIDNotFound)), authredirecttest.ErrNotContract)
}

func testCounter(t *testing.T) *loopguard.CookieCounter {
	t.Helper()
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("a key of 32 bytes for the kit!!!")}})
	require.NoError(t, err)
	return counter
}

// Every ```go block of README.md is marked <!-- snippet: NAME --> and is
// the code between NAME's lines in this file, unindented, byte for byte;
// every snippet here is in README.md once.
func TestREADME_SnippetsAreTestedCode(t *testing.T) {
	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	code := map[string]string{}
	var name, indent string
	var body strings.Builder
	for line := range strings.Lines(string(src)) {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "// README snippet ") && strings.HasSuffix(trimmed, " begin"):
			name = strings.TrimSuffix(strings.TrimPrefix(trimmed, "// README snippet "), " begin")
			indent = line[:len(line)-len(strings.TrimLeft(line, "\t"))]
			body.Reset()
		case name != "" && trimmed == "// README snippet "+name+" end":
			code[name] = strings.TrimRight(body.String(), "\n") + "\n" // gofmt may leave a blank line before the end
			name = ""
		case name != "":
			body.WriteString(strings.TrimPrefix(line, indent))
		}
	}
	require.Len(t, code, 1)

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	seen := map[string]bool{}
	lines := strings.Split(string(readme), "\n")
	for i, line := range lines {
		if line != "```go" {
			continue
		}
		require.True(t, i > 0 && strings.HasPrefix(lines[i-1], "<!-- snippet: "), "README.md line %d: a ```go block without a snippet marker", i+1)
		name := strings.TrimSuffix(strings.TrimPrefix(lines[i-1], "<!-- snippet: "), " -->")
		block, _, ok := strings.Cut(strings.Join(lines[i+1:], "\n"), "```\n")
		require.True(t, ok, "README.md line %d: an unclosed block", i+1)
		want, ok := code[name]
		require.True(t, ok, "snippet %s: not in readme_test.go", name)
		assert.False(t, seen[name], "snippet %s is in README.md twice", name)
		seen[name] = true
		assert.Equal(t, want, block, "README.md snippet %s", name)
	}
	assert.Len(t, seen, len(code), "every snippet is in README.md")
}
