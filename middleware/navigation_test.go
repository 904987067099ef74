package middleware_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// An error answer (a redirect, JSON, or the page in place) carries no
// header the failed handler set that would move or instruct the browser,
// or describe a body the answer does not send; the headers set above the
// route for every response, and the handler's cookies, stay.
func TestRecoverer_ErrorAnswerCarriesNoNavigationHeader(t *testing.T) {
	dropped := map[string]string{
		"Refresh":             "0; url=https://evil.example/",
		"Location":            "https://evil.example/",
		"Content-Location":    "https://evil.example/",
		"Link":                "<https://evil.example/>; rel=preload",
		"X-Accel-Redirect":    "/internal/secret",
		"X-Sendfile":          "/etc/passwd",
		"Content-Length":      "4096",
		"Content-Encoding":    "gzip",
		"Content-Range":       "bytes 0-9/10",
		"Content-Disposition": "attachment; filename=x.html",
		"Content-Language":    "xx",
		"Etag":                `"v1"`,
		"Last-Modified":       "Wed, 21 Oct 2015 07:28:00 GMT",
		"Accept-Ranges":       "bytes",
		"Trailer":             "X-Checksum",
		"Digest":              "sha-256=x",
		"Content-Digest":      "sha-256=:x:",
	}
	kept := map[string]string{ // set above the route, and the handler's cookie
		"Strict-Transport-Security":   "max-age=63072000",
		"Access-Control-Allow-Origin": "https://app.example.com",
		"Traceparent":                 "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"Set-Cookie":                  "sid=1; Path=/; Secure; HttpOnly",
	}
	above := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for name, value := range kept {
				if name != "Set-Cookie" {
					w.Header().Set(name, value)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	handler := middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		for name, value := range dropped {
			w.Header().Set(name, value)
		}
		w.Header().Set("Set-Cookie", kept["Set-Cookie"])
		return codes.InvalidScope
	})
	inPlace := render.Config{ErrorPage: "/", LoginPage: "/login"} // the servers are asked for "/"
	for _, tc := range []struct {
		name   string
		route  testRoute
		status int
		own    map[string]string // the renderer's values of dropped names
	}{
		{"redirect", testRoute{}, http.StatusSeeOther, map[string]string{"Location": "https://accounts.example.com/ooops?oauth_exception=invalid_scope"}},
		{"json", testRoute{Mode: middleware.ModeJSON}, http.StatusBadRequest, nil},
		{"page in place", testRoute{Render: inPlace}, http.StatusBadRequest, map[string]string{"Content-Language": "en"}},
	} {
		rec, _ := newRecover(t, tc.route)
		for proto, get := range realServers(t, above(rec(handler))) {
			res, err := get()
			require.NoError(t, err, proto)
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err, proto)
			assert.Equal(t, tc.status, res.StatusCode, "%s %s", tc.name, proto)
			for name := range dropped {
				var want []string
				if v, ok := tc.own[name]; ok {
					want = []string{v}
				}
				if name == "Content-Length" {
					continue // net/http's own, checked below
				}
				assert.Equal(t, want, res.Header.Values(name), "%s %s: %s", tc.name, proto, name)
			}
			assert.NotContains(t, res.Header.Values("Content-Length"), "4096", "%s %s", tc.name, proto)
			for name, value := range kept {
				assert.Equal(t, []string{value}, res.Header.Values(name), "%s %s: %s", tc.name, proto, name)
			}
		}
	}
}
