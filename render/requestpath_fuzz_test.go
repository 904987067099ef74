package render

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequestPath: the path IsTarget compares is the one net/http's own
// parser (url.ParseRequestURI, which the server applies to every request)
// finds in the request-target, unescaped: the origin form is read without
// it, so the two must agree. A host alone asks for the root; a path
// without a leading '/' ("*", or an opaque URI) is no path at all.
func FuzzRequestPath(f *testing.F) {
	for _, seed := range []string{
		"/login", "/login?x=/y", "/log%69n", "http://h/login?a", "http://h", "http://h?/ooops", "HTTP://h:80/a%2Fb",
		"*", "//x/y", "/a://b/c", "/%zz", "/?", "http://h/", "/a;b", "/a#b", "A:", "A:/", // the last two found by this fuzzer
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return // net/http answers 400 itself: no handler sees it
		}
		want := u.Path
		switch {
		case want == "" && u.Host != "":
			want = "/" // scheme://authority alone asks for the root
		case !strings.HasPrefix(want, "/"):
			want = ""
		}
		req := &http.Request{Method: http.MethodGet, RequestURI: uri, URL: u}
		if got := requestPath(req); got != want {
			t.Fatalf("%q: requestPath %q, net/url's path %q", uri, got, want)
		}
	})
}
