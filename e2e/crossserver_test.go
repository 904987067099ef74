package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/conformance"
)

// goRun starts `go run ./PKG -addr 127.0.0.1:0` in the repository's
// directory dir, as a user starts an example, and returns the base URL it
// prints. The example and the go command are stopped after the test.
func goRun(t *testing.T, dir, pkg, banner string) string {
	t.Helper()
	cmd := exec.Command("go", "run", pkg, "-addr", "127.0.0.1:0")
	cmd.Dir = filepath.Join("..", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // go run's child too
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "%s printed nothing", dir)
	first := lines.Text()
	rest, ok := strings.CutPrefix(first, banner+" serving on ")
	require.True(t, ok, first)
	go func() { // keep the pipe drained
		for lines.Scan() {
		}
	}()
	return strings.Fields(rest)[0]
}

// promptNone is the row only the two OpenID providers run: examples/accounts
// asks for no openid scope, so the row is SKIP there.
const promptNone = "authorize: prompt=none without a session"

// The three example servers, started as their READMEs say, each checked
// with authredirect-check's rows at the strict level and the flags its
// README gives: every row passes (prompt=none is SKIP on examples/accounts,
// which is no OpenID provider), and every row they answer (the contract's
// parameters and the status, entity_id, state and carried flow parameters
// aside) is byte-identical across them: at least 25 failures, prompt=none
// on the two OpenID providers among them. A company running the three sends
// its clients one answer per failure.
func TestCrossServer_OneAnswerPerFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts three servers")
	}
	servers := []struct {
		name   string
		cfg    func(base string) conformance.Config
		base   string
		openID bool
	}{
		{name: "examples/accounts", cfg: func(base string) conformance.Config {
			return conformance.Config{BaseURL: base, ClientID: "demo", ClientSecret: "demo-secret",
				RedirectURI: base + "/demo/callback", Scope: "profile", User: "jane@example.com", Password: "jane-password"}
		}},
		{name: "zitadelauthredirect/example", openID: true, cfg: func(base string) conformance.Config {
			return conformance.Config{BaseURL: base, ClientID: "demo", ClientSecret: "demo-secret",
				RedirectURI: "http://localhost:8081/callback", Scope: "openid profile",
				User: "test-user@127.0.0.1", Password: "verysecure"}
		}},
		{name: "fositeauthredirect/example", openID: true, cfg: func(base string) conformance.Config {
			return conformance.Config{BaseURL: base, ClientID: "demo", ClientSecret: "demo-secret",
				RedirectURI: "http://localhost:8081/callback", Scope: "openid",
				User: "jane@example.com", Password: "jane-password"}
		}},
	}
	servers[0].base = goRun(t, ".", "./examples/accounts", "accounts example")
	servers[1].base = goRun(t, "zitadelauthredirect", "./example", "zitadel example")
	servers[2].base = goRun(t, "fositeauthredirect", "./example", "fosite example")

	// wire[row][server] is what the server answered on the row ("" when
	// it did not run it).
	wire := map[string][]string{}
	var order []string
	for i, s := range servers {
		cfg := s.cfg(s.base)
		cfg.Strict = true
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		rep, err := conformance.Run(ctx, cfg)
		cancel()
		require.NoError(t, err, s.name)
		for _, r := range rep.Rows {
			skipped := r.Name == promptNone && !s.openID
			if skipped {
				assert.Equal(t, conformance.Skip, r.Status, "%s: %s %s", s.name, r.Level, r.Name)
			} else if r.Status != conformance.Pass {
				t.Errorf("%s: %s %s %s\n  expected: %s\n  received: %s%s", s.name, r.Status, r.Level, r.Name, r.Expected, r.Received, r.SkipReason)
			}
			if r.Level != conformance.Contract || r.Wire == "" {
				continue
			}
			if wire[r.Name] == nil {
				wire[r.Name] = make([]string, len(servers))
				order = append(order, r.Name)
			}
			wire[r.Name][i] = r.Wire
		}
	}
	var table strings.Builder
	failures := 0
	for _, name := range order {
		w := wire[name]
		var answered []string
		for i, s := range servers {
			if name != promptNone || s.openID {
				answered = append(answered, w[i])
			}
		}
		same := !slices.Contains(answered, "") && len(slices.Compact(slices.Clone(answered))) == 1
		mark := "same"
		if !same {
			mark = "DIFFERENT"
		}
		if same && strings.Contains(answered[0], "=") {
			failures++ // an error answer, not a pass-through
		}
		fmt.Fprintf(&table, "%-9s %s\n", mark, name)
		for i, s := range servers {
			fmt.Fprintf(&table, "          %-28s %s\n", s.name, w[i])
		}
		assert.True(t, same, "%s: %q", name, w)
	}
	t.Logf("the shared rows, server by server (%d failures):\n%s", failures, table.String())
	require.Contains(t, order, promptNone)
	assert.Equal(t, []string{"", "303 error=login_required", "303 error=login_required"}, wire[promptNone],
		"prompt=none on the two OpenID providers")
	require.GreaterOrEqual(t, failures, 25, "the shared failure rows")
}
