package loopguard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sameCookies checks cookiesNamed against net/http's CookiesNamed on the
// Cookie lines given.
func sameCookies(t *testing.T, lines ...string) {
	t.Helper()
	r := &http.Request{Header: http.Header{"Cookie": lines}}
	for _, name := range []string{cookieName, "__Host-" + cookieName, "a"} {
		var want []string
		for _, ck := range r.CookiesNamed(name) {
			want = append(want, ck.Value)
		}
		var got []string
		cookiesNamed(r.Header, name, func(v string) { got = append(got, v) })
		assert.Equal(t, want, got, "%s in %q", name, lines)
	}
}

func TestCookiesNamed_AsNetHTTP(t *testing.T) {
	for _, lines := range [][]string{
		nil, {""}, {";"}, {"authredirect_loop=abc"}, {"a=1; authredirect_loop=x; authredirect_loop=y"},
		{" authredirect_loop = x ", "authredirect_loop=\"quoted\"; a=\"\"", "authredirect_loop=\""},
		{"authredirect_loop=a b", "authredirect_loop=a\\b;authredirect_loop=c\"d", "authredirect_loop=\x01"},
		{"__Host-authredirect_loop=h; authredirect_loop=p", "authredirect_loop", "authredirect_loop=="},
		{"\tauthredirect_loop=t\t;\r\nauthredirect_loop=n\n", "x=1;;; ;authredirect_loop=é"},
	} {
		sameCookies(t, lines...)
	}
	for b := range 256 { // every byte, inside a value and at its ends
		c := string([]byte{byte(b)})
		sameCookies(t, "a=x"+c+"y", "a="+c+"; a=\""+c+"\"")
	}
}

func FuzzCookiesNamed(f *testing.F) {
	f.Add("a=1; authredirect_loop=x; authredirect_loop=\"y\"", " authredirect_loop = z")
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.Count(a, ";")+strings.Count(b, ";") > 1000 {
			return // net/http's bound on the number of cookies is not followed
		}
		sameCookies(t, a, b)
	})
}
