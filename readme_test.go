package authredirect_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeBlock returns the text of README.md between the begin and end
// markers of name.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "<!-- "+name+":begin -->\n")
	require.True(t, ok, "README.md has no %s:begin marker", name)
	block, _, ok := strings.Cut(rest, "<!-- "+name+":end -->")
	require.True(t, ok, "README.md has no %s:end marker", name)
	return block
}

// The README's quick start is examples/quickstart/main.go, byte for byte,
// so that it is compiled and tested and cannot rot.
func TestREADME_QuickStartIsTheTestedProgram(t *testing.T) {
	program, err := os.ReadFile("examples/quickstart/main.go")
	require.NoError(t, err)
	assert.Equal(t, "```go\n"+string(program)+"```\n", readmeBlock(t, "quickstart"))
}

// The README's test command is the one CI runs.
func TestREADME_TestCommandIsWhatCIRuns(t *testing.T) {
	const command = "go test -race ./... && (cd e2e && go test -race ./...)"
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "| run the tests | `"+command+"` |")
	ci, err := os.ReadFile(".ci/run")
	require.NoError(t, err)
	assert.Contains(t, string(ci), "go test -race -count=1 ./... && (cd e2e && go test -race -count=1 ./...)")
}

// snippetFiles hold the code of the README's snippets, each between
// "// README snippet NAME begin" and "// README snippet NAME end" lines,
// where their own module compiles and runs them.
var snippetFiles = []string{"readme_snippets_test.go", "otelauthredirect/example_test.go"}

// docFiles are README.md and the pages under docs/: their snippets are
// tested code.
func docFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	return append([]string{"README.md"}, docs...)
}

// Every ```go block of README.md and docs/*.md but the quick start is
// marked <!-- snippet: NAME --> and is the code between NAME's lines in
// snippetFiles, unindented, byte for byte; every snippet there is in the
// docs once. A snippet can no longer name an API that has gone.
func TestREADME_SnippetsAreTestedCode(t *testing.T) {
	code := map[string]string{}
	for _, file := range snippetFiles {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		var name, indent string
		var body strings.Builder
		for line := range strings.Lines(string(src)) {
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "// README snippet ") && strings.HasSuffix(trimmed, " begin"):
				name = strings.TrimSuffix(strings.TrimPrefix(trimmed, "// README snippet "), " begin")
				indent = line[:len(line)-len(strings.TrimLeft(line, "\t"))]
				body.Reset()
				_, dup := code[name]
				require.False(t, dup, "snippet %s is defined twice", name)
			case name != "" && trimmed == "// README snippet "+name+" end":
				code[name] = body.String()
				name = ""
			case name != "":
				body.WriteString(strings.TrimPrefix(line, indent))
			}
		}
		require.Empty(t, name, "%s: snippet %s has no end", file, name)
	}

	quickstart := readmeBlock(t, "quickstart")
	seen := map[string]string{} // snippet -> the doc it is in
	for _, doc := range docFiles(t) {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		lines := strings.Split(string(text), "\n")
		for i, line := range lines {
			if line != "```go" {
				continue
			}
			rest := strings.Join(lines[i+1:], "\n")
			block, _, ok := strings.Cut(rest, "```\n")
			require.True(t, ok, "%s line %d: an unclosed block", doc, i+1)
			if doc == "README.md" && strings.HasPrefix(quickstart, "```go\n"+block) {
				continue // checked by TestREADME_QuickStartIsTheTestedProgram
			}
			name, marked := "", i > 0 && strings.HasPrefix(lines[i-1], "<!-- snippet: ")
			if marked {
				name = strings.TrimSuffix(strings.TrimPrefix(lines[i-1], "<!-- snippet: "), " -->")
			}
			require.True(t, marked, "%s line %d: a ```go block without a snippet marker", doc, i+1)
			want, ok := code[name]
			require.True(t, ok, "%s: snippet %s: no such snippet in %v", doc, name, snippetFiles)
			assert.Empty(t, seen[name], "snippet %s is in %s, and again in %s", name, seen[name], doc)
			seen[name] = doc
			assert.Equal(t, want, block, "%s: snippet %s", doc, name)
		}
	}
	for name := range code {
		assert.NotEmpty(t, seen[name], "snippet %s is in no doc", name)
	}
}
