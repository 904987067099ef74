package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A new user's first hour, from README.md alone: a new module, the library
// from this checkout (README's pre-tag block, run as it is), the
// quick start pasted as main.go and a first test of one's own, written with
// the test kit. It must build, vet and pass on the first try.
func TestREADME_NewModuleFromTheQuickStart(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "<!-- quickstart:begin -->\n```go\n")
	require.True(t, ok)
	quickstart, _, ok := strings.Cut(rest, "```\n<!-- quickstart:end -->")
	require.True(t, ok)
	_, rest, ok = strings.Cut(string(readme), "<!-- pretag:begin -->\n```sh\n")
	require.True(t, ok)
	pretag, _, ok := strings.Cut(rest, "```\n<!-- pretag:end -->")
	require.True(t, ok)

	// The user's module sits beside the checkout, as the block expects.
	beside := t.TempDir()
	require.NoError(t, os.Symlink(root, filepath.Join(beside, "authredirect")))
	dir := filepath.Join(beside, "first")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(quickstart), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main_test.go"), []byte(firstTest), 0o644))
	for _, args := range [][]string{
		{"go", "mod", "init", "example.com/first"},
		{"bash", "-euo", "pipefail", "-c", pretag},
		{"go", "vet", "./..."},
		{"go", "test", "-count=1", "./..."},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s:\n%s", strings.Join(args, " "), out)
	}
}

// firstTest is the kind of test README's "Test your handlers" section
// shows, against the pasted quick start.
const firstTest = `package main

import (
	"net/http/httptest"
	"testing"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

func TestAuthorize_UnknownClient(t *testing.T) {
	kit, err := authredirecttest.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login"}) // the app's pages
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newApp())
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = kit.CheckRedirect // stops at the contract's redirect, checked in full
	res, err := client.Get(srv.URL + "/oauth/authorize?response_type=code&client_id=nope")
	e, ok := codes.As(err)
	if !ok || e.Code() != codes.UnauthorizedClient || e.Detail() != codes.ClientIDNotFound {
		t.Fatalf("got %v", err)
	}
	res.Body.Close()
	if err := kit.CheckLocation(res.Header.Get("Location"), codes.UnauthorizedClient.With(codes.ClientIDNotFound)); err != nil {
		t.Fatal(err)
	}
}
`
