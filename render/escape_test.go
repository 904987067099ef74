package render

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzWriteEscaped: the carried query's escaping is url.QueryEscape's,
// and for a page's link that with '+' spelled as html/template spells it;
// escapedLen is the length written.
func FuzzWriteEscaped(f *testing.F) {
	for _, s := range []string{"", "demo", "a b+c&d=e%f~g-h_i.j/k", "https://client.example/cb?a=1", "\x00\x7f\xff", "€é<script>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := url.QueryEscape(s)
		for _, space := range []string{"+", "&#43;"} {
			var b strings.Builder
			writeEscaped(&b, s, space)
			if got, want := b.String(), strings.ReplaceAll(want, "+", space); got != want {
				t.Fatalf("%q with space %q: %q, want %q", s, space, got, want)
			}
			if n := escapedLen(s, len(space)); n != b.Len() {
				t.Fatalf("%q with space %q: escapedLen %d, wrote %d", s, space, n, b.Len())
			}
		}
	})
}
