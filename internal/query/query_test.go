package query

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// same checks Pick against url.ParseQuery on raw for names, and on raw
// followed by more parameters than are read pair by pair.
func same(t *testing.T, raw string, names ...string) {
	t.Helper()
	sameOn(t, raw, names...)
	sameOn(t, raw+strings.Repeat("&x=1", fewParams), names...)
}

func sameOn(t *testing.T, raw string, names ...string) {
	t.Helper()
	first, count := make([]string, len(names)), make([]int, len(names))
	ok := Pick(raw, names, first, count)
	want, err := url.ParseQuery(raw)
	assert.Equal(t, err == nil, ok, "ok for %q", raw)
	for i, name := range names {
		assert.Equal(t, want.Get(name), first[i], "%q in %q", name, raw)
		assert.Equal(t, len(want[name]), count[i], "count of %q in %q", name, raw)
		assert.Equal(t, want.Get(name), Get(raw, name))
	}
}

func TestPick_AsParseQuery(t *testing.T) {
	for _, raw := range []string{
		"", "&", "&&", "=", "client_id", "client_id=", "client_id=a", "client_id=a&client_id=b",
		"client%5Fid=a", "client%5fid=a+b%20c", "client_id=%zz&client_id=b", "client_id=a;b", "x=1;y=2&client_id=c",
		"client_id=%", "client_id=%4", "client%=a&client_id=b", "state=x%2By&client_id=%E2%82%AC",
		"client+id=a", "client id=a", "a=b=c&client_id==d", "client_id&client_id=e",
		"x=client_id&client_id", "aclient_id=1&client_idb=2&client_id=3&client_id", "state=%41&x=a+b&state=2",
	} {
		same(t, raw, "client_id", "state", "client id")
		same(t, raw, "client_id", "state")
	}
}

func TestPick_TooManyParameters(t *testing.T) {
	within := strings.Repeat("a=1&", defaultMaxParams-1) + "client_id=x"
	same(t, within, "client_id")
	same(t, within+"&b=2", "client_id")
	t.Setenv("GODEBUG", "urlmaxqueryparams=5")
	same(t, "a=1&b=2&c=3&d=4&client_id=x", "client_id")
	same(t, "a=1&b=2&c=3&d=4&e=5&client_id=x", "client_id")
}

// TestPick_LimitOfOne: net/url takes a limit of n as fewer than n
// parameters, so a limit of 1 refuses every query, a single parameter and
// the empty query among them.
func TestPick_LimitOfOne(t *testing.T) {
	t.Setenv("GODEBUG", "urlmaxqueryparams=1")
	for _, raw := range []string{"", "client_id=x", "a=1&client_id=x"} {
		sameOn(t, raw, "client_id")
	}
	assert.Empty(t, Get("", "client_id"))
}

func FuzzPick(f *testing.F) {
	for _, s := range []string{"client_id=a&state=b", "client%5Fid=a;", "state=%zz&client_id=+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		same(t, raw, "client_id", "state", "")
		same(t, raw, "client_id", "a", "state") // plain names: the substring search
	})
}

// Reading a plain query allocates nothing.
func TestPick_Allocations(t *testing.T) {
	raw := "response_type=code&client_id=demo&state=xyz&redirect_uri=https%3A%2F%2Fclient.example%2Fcb"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Get(raw, "client_id") }))
}

// BenchmarkPick reads a flow's names out of an error page's query (the
// error page reads the contract's four, then the flow carried back) and
// out of a query of 9,000 parameters.
func BenchmarkPick(b *testing.B) {
	var long strings.Builder
	long.WriteString("response_type=code&client_id=demo&state=xyz&redirect_uri=https%3A%2F%2Fclient.example%2Fcb")
	for i := range 8996 {
		fmt.Fprintf(&long, "&p%d=v", i)
	}
	for _, c := range []struct{ name, raw string }{
		{"error-page", "oauth_exception=unauthorized_client&exception_details=client_id_not_found&response_type=code&client_id=demo&state=xyz"},
		{"9000", long.String()},
	} {
		for _, names := range [][]string{
			{"oauth_exception", "identity_exception", "exception_details", "entity_id"},
			{"response_type", "client_id", "state"},
		} {
			b.Run(c.name+"/"+names[0], func(b *testing.B) {
				first, count := make([]string, len(names)), make([]int, len(names))
				for b.Loop() {
					clear(count)
					Pick(c.raw, names, first, count)
				}
			})
		}
	}
}
