package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newRepo writes files (slash paths) into a new git repository with one
// commit and returns its directory.
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "x", "--date=2026-01-02T03:04:05Z"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	return dir
}

// goodRepo is a repository whose modules resolve: a root module and a
// nested one requiring it at v0.1.0.
func goodRepo() map[string]string {
	return map[string]string{
		"go.work":         "go 1.26.0\n\nuse (\n\t.\n\t./sub/x\n)\n",
		"go.mod":          "module example.com/r\n\ngo 1.26.0\n",
		"lib.go":          "package r\n",
		".gitignore":      "*.test\n",
		"sub/x/go.mod":    "module example.com/r/sub/x\n\ngo 1.26.0\n\nrequire example.com/r v0.1.0\n",
		"sub/x/x.go":      "package x\n",
		"sub/x/LICENSE":   "MIT\n",
		"sub/y.go":        "package sub\n",
		"testdata/go.mod": "module ignored\n",
	}
}

func zipNames(t *testing.T, file string) []string {
	t.Helper()
	r, err := zip.OpenReader(file)
	require.NoError(t, err)
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

func TestRun_WritesAProxyAndPrintsTheTags(t *testing.T) {
	repo := newRepo(t, goodRepo())
	require.NoError(t, os.WriteFile(filepath.Join(repo, "stray.test"), []byte("ignored by git"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "new.go"), []byte("package r\n"), 0o644)) // untracked, not ignored
	out := t.TempDir()
	var stdout bytes.Buffer
	require.NoError(t, run(repo, out, "", &stdout))
	assert.Equal(t, "v0.1.0\nsub/x/v0.1.0\n", stdout.String())

	assert.Equal(t, []string{
		"example.com/r@v0.1.0/.gitignore",
		"example.com/r@v0.1.0/go.mod",
		"example.com/r@v0.1.0/go.work",
		"example.com/r@v0.1.0/lib.go",
		"example.com/r@v0.1.0/new.go",
		"example.com/r@v0.1.0/sub/y.go",
	}, zipNames(t, filepath.Join(out, "example.com/r/@v/v0.1.0.zip")), "nested modules (testdata's too, as go does) and ignored files are left out")
	assert.Equal(t, []string{
		"example.com/r/sub/x@v0.1.0/LICENSE",
		"example.com/r/sub/x@v0.1.0/go.mod",
		"example.com/r/sub/x@v0.1.0/x.go",
	}, zipNames(t, filepath.Join(out, "example.com/r/sub/x/@v/v0.1.0.zip")))
	for file, want := range map[string]string{
		"example.com/r/@v/list":              "v0.1.0\n",
		"example.com/r/@v/v0.1.0.info":       `{"Version":"v0.1.0","Time":"2026-01-02T03:04:05Z"}`,
		"example.com/r/@v/v0.1.0.mod":        "module example.com/r\n\ngo 1.26.0\n",
		"example.com/r/sub/x/@v/v0.1.0.mod":  "module example.com/r/sub/x\n\ngo 1.26.0\n\nrequire example.com/r v0.1.0\n",
		"example.com/r/sub/x/@v/list":        "v0.1.0\n",
		"example.com/r/sub/x/@v/v0.1.0.info": `{"Version":"v0.1.0","Time":"2026-01-02T03:04:05Z"}`,
	} {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(file)))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), file)
	}
}

func TestRun_RefusesWhatUsersCouldNotResolve(t *testing.T) {
	for name, tc := range map[string]struct {
		edit    map[string]string
		version string
		want    string
	}{
		"a replace of the root module": {
			edit: map[string]string{"sub/x/go.mod": "module example.com/r/sub/x\n\ngo 1.26.0\n\nrequire example.com/r v0.1.0\n\nreplace example.com/r => ../..\n"},
			want: "sub/x/go.mod: replaces example.com/r, which users resolve by its version",
		},
		"a replace outside the module": {
			edit: map[string]string{"sub/x/go.mod": "module example.com/r/sub/x\n\ngo 1.26.0\n\nrequire example.com/r v0.1.0\n\nreplace example.org/other => ../other\n"},
			want: "sub/x/go.mod: replaces example.org/other by ../other, outside the module",
		},
		"a requirement at another version": {
			edit:    map[string]string{"sub/x/go.mod": "module example.com/r/sub/x\n\ngo 1.26.0\n\nrequire example.com/r v0.0.0\n"},
			version: "v0.1.0",
			want:    "[sub/x/go.mod]: require the repository's modules at v0.0.0, not v0.1.0",
		},
		"a module left out of go.work": {
			edit: map[string]string{"other/go.mod": "module example.com/r/other\n\ngo 1.26.0\n"},
			want: "other/go.mod is a module that go.work does not use: add it (go work use ./other)",
		},
		"a module path that is not its directory": {
			edit: map[string]string{"sub/x/go.mod": "module example.com/r/x\n\ngo 1.26.0\n\nrequire example.com/r v0.1.0\n"},
			want: "sub/x/go.mod: module example.com/r/x, but the go command finds the module in that directory as example.com/r/sub/x",
		},
		"a go.sum line for an unreleased module": {
			edit: map[string]string{"sub/x/go.sum": "example.com/r v0.1.0/go.mod h1:AAAA=\n"},
			want: "sub/x/go.sum: a line for example.com/r",
		},
		"a version that is not canonical": {
			version: "v0.1",
			want:    `version "v0.1" is not a canonical semantic version`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			files := goodRepo()
			for k, v := range tc.edit {
				files[k] = v
			}
			out := t.TempDir()
			var stdout bytes.Buffer
			err := run(newRepo(t, files), out, tc.version, &stdout)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, stdout.String(), "no tags")
			entries, rerr := os.ReadDir(out)
			require.NoError(t, rerr)
			assert.Empty(t, entries, "nothing published")
		})
	}
}

// The go command resolves a module from the proxy the tool writes, exactly
// as from a real one.
func TestRun_TheGoCommandResolvesTheProxy(t *testing.T) {
	files := goodRepo()
	files["lib.go"] = "package r\n\n// Hello is the root module's.\nconst Hello = \"hello\"\n"
	files["sub/x/x.go"] = "package x\n\nimport \"example.com/r\"\n\n// Hello is the root module's, through x.\nconst Hello = r.Hello\n"
	out := t.TempDir()
	require.NoError(t, run(newRepo(t, files), out, "", &bytes.Buffer{}))

	user := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(user, "go.mod"), []byte("module example.com/user\n\ngo 1.26.0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(user, "main.go"), []byte("package main\n\nimport \"example.com/r/sub/x\"\n\nfunc main() { println(x.Hello) }\n"), 0o644))
	for _, args := range [][]string{{"get", "example.com/r/sub/x@v0.1.0"}, {"build", "./..."}, {"list", "-m", "all"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = user
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod -modcacherw", "GOMODCACHE="+t.TempDir(),
			"GOPROXY=file://"+filepath.ToSlash(out), "GONOSUMDB=example.com", "GOTOOLCHAIN=local")
		got, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %v: %s", args, got)
		if args[0] == "list" {
			assert.Equal(t, "example.com/user\nexample.com/r v0.1.0\nexample.com/r/sub/x v0.1.0\n", string(got))
		}
	}
}
