package otelauthredirect

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// TestObserver_AttributeSetsBuiltOnce: each combination's attribute set is
// built the first time it is seen and the same one is used after; the
// query and path of the request do not make new ones.
func TestObserver_AttributeSetsBuiltOnce(t *testing.T) {
	o := &observer{counter: noop.Int64Counter{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/{id}", func(_ http.ResponseWriter, r *http.Request) {
		o.observe(middleware.Event{Request: r, Outcome: middleware.Redirected, Err: codes.InvalidScope.With(codes.Detail{})})
	})
	mux.HandleFunc("POST /b", func(_ http.ResponseWriter, r *http.Request) {
		o.observe(middleware.Event{Request: r, Outcome: middleware.WroteJSON, Err: codes.InvalidGrant.With(codes.Detail{})})
	})
	for i := range 100 {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/a/"+string(rune('a'+i%26))+"?q="+string(rune('a'+i%26)), nil))
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/b?x=1", nil))
	}
	var keys []combination
	o.sets.Range(func(k, _ any) bool {
		keys = append(keys, k.(combination))
		return true
	})
	assert.ElementsMatch(t, []combination{
		{kind: codes.Authorization, code: codes.InvalidScope, outcome: middleware.Redirected, method: "GET", route: "/a/{id}"},
		{kind: codes.Authorization, code: codes.InvalidGrant, outcome: middleware.WroteJSON, method: "POST", route: "/b"},
	}, keys)

	first := o.recording(keys[0])
	require.Same(t, first, o.recording(keys[0]))
	require.Len(t, first.add, 1)
}

// TestMethod_BoundsCardinality: the standard methods are kept, anything
// else (other case included) is _OTHER.
func TestMethod_BoundsCardinality(t *testing.T) {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"} {
		assert.Equal(t, m, method(m))
	}
	for _, m := range []string{"", "get", "BREW", "PROPFIND", "GET "} {
		assert.Equal(t, "_OTHER", method(m), "%q", m)
	}
}

// TestRoute_IsThePathOfThePattern: the method and host of a ServeMux
// pattern are dropped, as otelhttp does.
func TestRoute_IsThePathOfThePattern(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                        "",
		"/":                       "/",
		"GET /oauth/authorize":    "/oauth/authorize",
		"POST example.com/login":  "/login",
		"/a/{id}/{rest...}":       "/a/{id}/{rest...}",
		"GET /{$}":                "/{$}",
		"no slash, not a pattern": "",
	} {
		assert.Equal(t, want, route(pattern), "%q", pattern)
	}
}
