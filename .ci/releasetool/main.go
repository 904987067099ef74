// Command releasetool turns a checkout of the repository into a module
// proxy directory, every module of go.work at one version, laid out as the
// go command reads GOPROXY=file://DIR (list, .info, .mod and .zip under
// DIR/<escaped module path>/@v/), and prints the tags that publish the same
// modules, one a line, the root module's first. Before writing anything it
// checks what would keep users from resolving the modules: every go.mod of
// the repository in go.work, module paths that match their directories (a
// nested module's tag is its directory, then the version), requirements
// between the repository's modules at exactly that version, no replace of
// them and no replace pointing outside a module, and no go.sum line for
// them (a hash of unreleased files would break the real release).
//
// A module of its own, so that golang.org/x/mod stays out of the library's
// go.mod: (cd .ci/releasetool && GOWORK=off go run . -repo ../.. -out DIR)
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

func main() {
	repo := flag.String("repo", ".", "the repository's root directory (where go.work is)")
	out := flag.String("out", "", "the proxy directory to write; empty: only check and print the tags")
	version := flag.String("version", "", "the version to publish; empty: the one the modules require of each other")
	flag.Parse()
	if err := run(*repo, *out, *version, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "releasetool:", err)
		os.Exit(1)
	}
}

// mod is one module of the repository.
type mod struct {
	dir  string // relative to the repository root, slash-separated; "" for the root
	path string
	file *modfile.File
	data []byte // go.mod as it is on disk
}

// tag is the git tag that publishes m at version v, as the go command looks
// it up for a module in a subdirectory of its repository.
func (m mod) tag(v string) string {
	if m.dir == "" {
		return v
	}
	return m.dir + "/" + v
}

func run(repo, out, version string, stdout io.Writer) error {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	files, err := gitFiles(repo)
	if err != nil {
		return err
	}
	mods, err := loadModules(repo, files)
	if err != nil {
		return err
	}
	if version, err = checkModules(repo, mods, version); err != nil {
		return err
	}
	if out != "" {
		when, err := commitTime(repo)
		if err != nil {
			return err
		}
		for _, m := range mods {
			if err := publish(repo, out, m, version, files, when); err != nil {
				return fmt.Errorf("%s@%s: %w", m.path, version, err)
			}
		}
	}
	for _, m := range mods {
		fmt.Fprintln(stdout, m.tag(version))
	}
	return nil
}

// gitFiles lists the files a commit of the working tree would hold: tracked
// ones still on disk and untracked ones git does not ignore, slash-separated
// and relative to repo. Ignored files (test binaries, artifacts) never reach
// a module zip, as they never reach a tag.
func gitFiles(repo string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w: %s", err, stderr.Bytes())
	}
	var files []string
	seen := map[string]bool{}
	for _, f := range strings.Split(string(outb), "\x00") {
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		if info, err := os.Lstat(filepath.Join(repo, filepath.FromSlash(f))); err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or a symbolic link (never in a module zip)
		}
		files = append(files, f)
	}
	return files, nil
}

// loadModules reads go.work's modules, the root module first, and checks
// that no other go.mod of the repository is left out of it (testdata and
// tooling under a directory starting with "." or "_", which the go command
// ignores, excepted).
func loadModules(repo string, files []string) ([]mod, error) {
	data, err := os.ReadFile(filepath.Join(repo, "go.work"))
	if err != nil {
		return nil, err
	}
	work, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return nil, err
	}
	var mods []mod
	used := map[string]bool{}
	for _, u := range work.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		if dir == "." {
			dir = ""
		}
		if filepath.IsAbs(u.Path) || dir == ".." || strings.HasPrefix(dir, "../") {
			return nil, fmt.Errorf("go.work uses %s, outside the repository", u.Path)
		}
		data, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(dir), "go.mod"))
		if err != nil {
			return nil, err
		}
		f, err := modfile.Parse(path.Join(dir, "go.mod"), data, nil)
		if err != nil {
			return nil, err
		}
		if f.Module == nil {
			return nil, fmt.Errorf("%s: no module line", path.Join(dir, "go.mod"))
		}
		used[dir] = true
		m := mod{dir: dir, path: f.Module.Mod.Path, file: f, data: data}
		if dir == "" {
			mods = append([]mod{m}, mods...)
		} else {
			mods = append(mods, m)
		}
	}
	if len(mods) == 0 || mods[0].dir != "" {
		return nil, errors.New("go.work does not use the repository's root module (use .)")
	}
	for _, f := range files {
		if path.Base(f) != "go.mod" {
			continue
		}
		dir := path.Dir(f)
		if dir == "." {
			dir = ""
		}
		if used[dir] || ignoredDir(dir) {
			continue
		}
		return nil, fmt.Errorf("%s is a module that go.work does not use: add it (go work use ./%s)", f, dir)
	}
	return mods, nil
}

// ignoredDir reports whether the go command ignores dir when it matches
// ./...: testdata, and any directory whose name starts with "." or "_".
func ignoredDir(dir string) bool {
	for _, e := range strings.Split(dir, "/") {
		if e == "testdata" || strings.HasPrefix(e, ".") || strings.HasPrefix(e, "_") {
			return true
		}
	}
	return false
}

// checkModules checks what would keep users from resolving mods at one
// version, and returns that version: the one given, or else the one the
// modules require of each other.
func checkModules(repo string, mods []mod, version string) (string, error) {
	root := mods[0].path
	ours := map[string]bool{}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, m := range mods {
		ours[m.path] = true
		if want := path.Join(root, m.dir); m.path != want {
			fail("%s/go.mod: module %s, but the go command finds the module in that directory as %s", m.dir, m.path, want)
		}
	}
	required := map[string][]string{} // version -> where
	for _, m := range mods {
		gomod := path.Join(m.dir, "go.mod")
		for _, r := range m.file.Require {
			if ours[r.Mod.Path] {
				required[r.Mod.Version] = append(required[r.Mod.Version], gomod)
			}
		}
		for _, r := range m.file.Replace {
			if ours[r.Old.Path] {
				fail("%s: replaces %s, which users resolve by its version", gomod, r.Old.Path)
				continue
			}
			if modfile.IsDirectoryPath(r.New.Path) {
				if filepath.IsAbs(r.New.Path) || !within(m.dir, path.Join(m.dir, filepath.ToSlash(r.New.Path))) {
					fail("%s: replaces %s by %s, outside the module", gomod, r.Old.Path, r.New.Path)
				}
			}
		}
		sum, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(m.dir), "go.sum"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		for line := range strings.Lines(string(sum)) {
			if f := strings.Fields(line); len(f) > 0 && ours[f[0]] {
				fail("%s: a line for %s, a hash of files that are not released yet (.ci/release-rehearsal tidy drops it)", path.Join(m.dir, "go.sum"), f[0])
				break
			}
		}
	}
	switch {
	case version == "" && len(required) == 1:
		for v := range required {
			version = v
		}
	case version == "":
		fail("the modules require each other at %d versions, not one: %v", len(required), required)
	default:
		for v, where := range required {
			if v != version {
				fail("%v: require the repository's modules at %s, not %s", where, v, version)
			}
		}
	}
	if version != "" && (!semver.IsValid(version) || semver.Canonical(version) != version || semver.Build(version) != "") {
		fail("version %q is not a canonical semantic version such as v0.1.0", version)
	}
	for _, m := range mods {
		if version != "" {
			if err := module.Check(m.path, version); err != nil {
				fail("%v", err)
			}
		}
	}
	return version, errors.Join(errs...)
}

// within reports whether the slash-separated path p, relative to the
// repository's root, is dir or under it.
func within(dir, p string) bool {
	p = path.Clean(p)
	if dir == "" {
		return p != ".." && !strings.HasPrefix(p, "../")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// publish writes m at version v into the proxy directory out.
func publish(repo, out string, m mod, v string, files []string, when time.Time) error {
	escaped, err := module.EscapePath(m.path)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var zfiles []zip.File
	for _, f := range files {
		rel := f
		if m.dir != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(f, m.dir+"/"); !ok {
				continue
			}
		}
		zfiles = append(zfiles, diskFile{rel: rel, abs: filepath.Join(repo, filepath.FromSlash(f))})
	}
	var z bytes.Buffer
	if err := zip.Create(&z, module.Version{Path: m.path, Version: v}, zfiles); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{v, when.UTC()})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{v + ".zip": z.Bytes(), v + ".mod": m.data, v + ".info": info} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "list"), []byte(v+"\n"), 0o644)
}

// commitTime is the time of the commit checked out: what the proxy reports
// for a tag on it.
func commitTime(repo string) (time.Time, error) {
	cmd := exec.Command("git", "log", "-1", "--format=%cI")
	cmd.Dir = repo
	outb, err := cmd.Output()
	if err != nil {
		return time.Time{}, fmt.Errorf("git log: %w", err)
	}
	return time.Parse(time.RFC3339, strings.TrimSpace(string(outb)))
}

// diskFile is a file of the working tree, as zip.Create reads it.
type diskFile struct{ rel, abs string }

func (f diskFile) Path() string                 { return f.rel }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.abs) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.abs) }
