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
