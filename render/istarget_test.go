package render_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// TestIsTarget_AbsoluteFormQueryIsNoPath: an absolute-form request-target
// without a path asks for the root, whatever '/' its query holds.
func TestIsTarget_AbsoluteFormQueryIsNoPath(t *testing.T) {
	r, err := render.New(render.Config{ErrorPage: "https://accounts.example.com/ooops", LoginPage: "https://accounts.example.com/login"})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "http://accounts.example.com?/ooops", nil)
	require.Equal(t, "http://accounts.example.com?/ooops", req.RequestURI)
	require.Equal(t, "", req.URL.Path, "the request's path is empty (the root), /ooops is its query")
	assert.False(t, r.IsTarget(req, codes.Authorization), "a request for the root is not the error page")
	req = httptest.NewRequest(http.MethodGet, "http://accounts.example.com?x=/login", nil)
	assert.False(t, r.IsTarget(req, codes.Authentication))
}

// Escaped targets and requests, and the forms of a request-target.
func TestIsTarget_EscapesAndForms(t *testing.T) {
	r, err := render.New(render.Config{ErrorPage: "https://a.example/err%3Fx%2Fy", LoginPage: "/log;in"})
	require.NoError(t, err)
	for uri, want := range map[string]bool{
		"/err%3Fx%2Fy?oauth_exception=x": true,
		"/err%3fx%2fy":                   true,
		"/err%3Fx/y":                     true, // same decoded path as before
		"/err?x/y":                       false,
		"http://h/err%3Fx%2Fy?q":         true,
		"HTTP://h:80/err%3Fx%2Fy":        true,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RequestURI = uri
		assert.Equal(t, want, r.IsTarget(req, codes.Authorization), uri)
	}
	for uri, want := range map[string]bool{"/log;in": true, "/log%3Bin": true, "/log": false, "/log%3Fin": false} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RequestURI = uri
		assert.Equal(t, want, r.IsTarget(req, codes.Authentication), uri)
	}
}
