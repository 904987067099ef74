package authredirect_test

import (
	"os"
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

// Every ```go block of README.md but the quick start is marked
// <!-- snippet: NAME --> and is the code between NAME's lines in
// snippetFiles, unindented, byte for byte; every snippet there is in
// README once. A snippet can no longer name an API that has gone.
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

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	quickstart := readmeBlock(t, "quickstart")
	seen := map[string]bool{}
	lines := strings.Split(string(readme), "\n")
	for i, line := range lines {
		if line != "```go" {
			continue
		}
		rest := strings.Join(lines[i+1:], "\n")
		block, _, ok := strings.Cut(rest, "```\n")
		require.True(t, ok, "README.md line %d: an unclosed block", i+1)
		if strings.HasPrefix(quickstart, "```go\n"+block) {
			continue // checked by TestREADME_QuickStartIsTheTestedProgram
		}
		name, marked := "", i > 0 && strings.HasPrefix(lines[i-1], "<!-- snippet: ")
		if marked {
			name = strings.TrimSuffix(strings.TrimPrefix(lines[i-1], "<!-- snippet: "), " -->")
		}
		require.True(t, marked, "README.md line %d: a ```go block without a snippet marker", i+1)
		want, ok := code[name]
		require.True(t, ok, "snippet %s: no such snippet in %v", name, snippetFiles)
		assert.False(t, seen[name], "snippet %s is in README twice", name)
		seen[name] = true
		assert.Equal(t, want, block, "README snippet %s", name)
	}
	for name := range code {
		assert.True(t, seen[name], "snippet %s is not in README.md", name)
	}
}
