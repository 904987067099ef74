package redisguard_test

import (
	"log"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/loopguard/redisguard"
)

// readmeWiring is README's "Wiring" snippet, compiled: its body between
// the markers must be README's Go block, line for line.
func readmeWiring(logger *slog.Logger, fleetKey []byte, signedInAccount func(*http.Request) string,
	registeredClient func(string) bool, uncounted func(*http.Request, error)) *loopguard.Guard {
	// README begin
	rdb := redis.NewClient(&redis.Options{ // or redis.NewClusterClient
		Addr:                  "redis.internal:6379",
		ContextTimeoutEnabled: true, // Arrive calls it directly, and an abandoned command frees its connection
		MaxRetries:            -1,   // never count one arrival twice after a lost reply
		DialerRetries:         1,    // while Redis is down, fail at the refused dial, not at the Timeout
	})
	redis.SetLogger(redisguard.NewLogger(logger, time.Second)) // go-redis' own lines: at most one record a second

	accounts, err := redisguard.New(redisguard.Config{
		Client:  rdb,                   // any redis.Scripter: client, cluster, ring, universal
		Timeout: 50 * time.Millisecond, // the default; at most a second
	})
	if err != nil {
		log.Fatal(err) // wraps redisguard.ErrConfig
	}
	browsers, err := loopguard.NewCookieCounter(loopguard.CookieConfig{
		Keys: [][]byte{fleetKey}, // the same on every instance, from the fleet's secret store
	})
	if err != nil {
		log.Fatal(err)
	}
	guard, err := loopguard.New(loopguard.Config{
		Counter:        browsers,
		AccountCounter: accounts,
		AccountOf:      signedInAccount,  // func(*http.Request) string: "" when signed out
		KnownClient:    registeredClient, // func(clientID string) bool: invented ids make no key
		Uncounted:      uncounted,        // hears of every uncounted arrival, see below
		Logger:         logger,
	})
	// README end
	if err != nil {
		log.Fatal(err)
	}
	return guard
}

// README's Go block is readmeWiring's body, so it compiles; and the
// wiring builds a guard.
func TestREADME_WiringIsCompiledCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, 1, "README's Go blocks")
	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	_, body, _ := strings.Cut(string(src), "\t// README begin\n")
	body, _, _ = strings.Cut(body, "\t// README end\n")
	var want strings.Builder
	for _, line := range strings.SplitAfter(body, "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t"))
	}
	assert.Equal(t, want.String(), blocks[0][1])

	guard := readmeWiring(slog.New(slog.DiscardHandler), fleetKey, headerAccount, func(string) bool { return true }, func(*http.Request, error) {})
	assert.NotNil(t, guard)
	redis.SetLogger(quiet{})
}
