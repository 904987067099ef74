package conformance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"a","error_description":"b"}`:                    "",
		`{"error":"a","error":"a"}`:                                "error",
		`{"a":{"b":1,"c":[{"b":2}]},"b":"a"}`:                      "",
		`{"a":{"b":1,"b":2}}`:                                      "b",
		`{"a":["a","a"],"b":{"a":"a"},"c":"c"}`:                    "",
		`{"a":[{"x":1},{"x":1}],"a":1}`:                            "a",
		`not json`:                                                 "",
		`{"e":"x","d":{"e":"y"},"f":[1,2,{"e":3,"f":4}],"g":null}`: "",
	} {
		assert.Equal(t, want, duplicateKey([]byte(body)), body)
	}
}

// The request budget is counted and enforced: the request after the
// last one allowed is refused before it is sent.
func TestDo_RequestBudget(t *testing.T) {
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { sent.Add(1) }))
	defer srv.Close()
	cfg, err := Config{BaseURL: srv.URL}.withDefaults()
	require.NoError(t, err)
	c := &checker{cfg: cfg, ctx: context.Background(), client: srv.Client(), report: &Report{Requests: MaxRequests - 1}}
	c.base, _ = url.Parse(cfg.BaseURL)
	_, err = c.do(request{method: http.MethodGet, path: "/"})
	require.NoError(t, err)
	_, err = c.do(request{method: http.MethodGet, path: "/"})
	assert.ErrorContains(t, err, "the budget of 200 requests is spent")
	assert.Equal(t, int32(1), sent.Load())
	assert.Equal(t, MaxRequests, c.report.Requests)
}
