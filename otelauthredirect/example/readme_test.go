package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// README.md's Go block is prometheusMetrics, byte for byte, so that the
// wiring it shows is the code this example runs and tests.
func TestREADME_PrometheusSnippetIsTheExamplesCode(t *testing.T) {
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(src), "// README snippet prometheus begin\n")
	require.True(t, ok)
	code, _, ok := strings.Cut(rest, "// README snippet prometheus end")
	require.True(t, ok)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, rest, ok = strings.Cut(string(readme), "<!-- snippet: prometheus -->\n```go\n")
	require.True(t, ok, "README.md has no prometheus snippet")
	block, _, ok := strings.Cut(rest, "```\n")
	require.True(t, ok)
	assert.Equal(t, strings.TrimRight(code, "\n")+"\n", block)
}
