package middleware_test

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// What the Recoverer sends must be what it reports, whatever the handler
// did before failing; each test serves over net/http's HTTP/1.1 server and
// its HTTP/2 server.

// storeError is an error with a nil field inside, the way such errors
// happen: a wrapper built before what it wraps was known. Each of its
// methods that the Recoverer may call dereferences that field when asked to.
type storeError struct {
	op    string
	inner *storeError // nil: the bug
	bad   string      // the method that dereferences inner
}

func (e *storeError) Error() string { return "store: " + e.op }

func (e *storeError) Unwrap() error {
	if e.bad == "Unwrap" {
		return e.inner.inner // nil pointer dereference
	}
	return nil
}

func (e *storeError) As(any) bool {
	if e.bad == "As" {
		return e.inner.op != "" // nil pointer dereference
	}
	return false
}

func (e *storeError) Is(error) bool {
	if e.bad == "Is" {
		return e.inner.op != "" // nil pointer dereference
	}
	return false
}

// TestRecoverer_ErrorWhoseMethodsPanic: an error whose Unwrap, As or Is
// panics is server_error of the route's family, answered and observed
// once, with the panic as its cause; the client never gets a bare EOF.
func TestRecoverer_ErrorWhoseMethodsPanic(t *testing.T) {
	for _, method := range []string{"Unwrap", "As", "Is"} {
		for kind, want := range map[codes.Kind]string{
			codes.Authorization:  "https://accounts.example.com/ooops?oauth_exception=server_error",
			codes.Authentication: "https://accounts.example.com/login?identity_exception=server_error",
		} {
			pages := testPages
			pages.LoginPage = "https://accounts.example.com/login" // the servers are asked for "/"
			rec, ev := newRecover(t, testRoute{Kind: kind, Render: pages})
			h := rec(failing(&storeError{op: "load", bad: method}))
			for proto, get := range realServers(t, h) {
				res, err := get()
				require.NoError(t, err, "%s %s %s: an answer, not a cut connection", method, kind, proto)
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
				require.NoError(t, err)
				assert.Equal(t, http.StatusSeeOther, res.StatusCode, "%s %s %s", method, kind, proto)
				assert.Equal(t, want, res.Header.Get("Location"), "%s %s %s", method, kind, proto)
				assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			}
			require.Len(t, ev.list(), 2, "observed once per request")
			for _, e := range ev.list() {
				assert.Equal(t, middleware.Redirected, e.Outcome)
				assert.True(t, e.Panicked, "inspecting the error panicked")
				var p *middleware.PanicError
				require.ErrorAs(t, e.Cause, &p)
				var rt interface{ RuntimeError() }
				assert.True(t, errors.As(p, &rt), "the cause is the nil dereference: %v", p.Value)
				assert.Equal(t, e.Cause, errors.Unwrap(e.Err), "the classified error carries it")
			}
		}
	}
}

// TestRecoverer_PartialWriteThenErrorIsBroken: a handler that wrote part of
// a page and then returned an error or panicked (an io.Copy or a template
// that failed halfway) must not end as a clean 200 with a truncated body:
// the response is aborted, the client sees it broken on both protocols,
// and the observer hears Aborted, once per request.
func TestRecoverer_PartialWriteThenErrorIsBroken(t *testing.T) {
	for _, tc := range []struct {
		name         string
		flush, panic bool
	}{{"buffered", false, false}, {"flushed", true, false}, {"flushed, then a panic", true, true}} {
		name := tc.name
		rec, ev := newRecover(t, testRoute{})
		h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<html><body><p>Your account")
			if tc.flush {
				_ = http.NewResponseController(w).Flush()
			}
			if tc.panic {
				panic("boom")
			}
			return errors.New("template: account.html: executing \"balance\": storage down")
		}))
		for proto, get := range realServers(t, h) {
			res, err := get()
			if err == nil {
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
			}
			assert.Error(t, err, "%s %s: a broken response, not a whole one", name, proto)
		}
		require.Len(t, ev.list(), 2)
		for _, e := range ev.list() {
			assert.Equal(t, middleware.Aborted, e.Outcome, name)
			assert.Equal(t, codes.ServerError, e.Err.Code())
			assert.Equal(t, tc.panic, e.Panicked)
		}
	}
}

// TestRecoverer_ErrorAnswerOwnsItsHeadersWhateverTheirCase: header keys a
// handler set in a non-canonical case before failing (straight into the
// map, as some libraries do) never reach the client beside the answer's
// own: one Location, the answer's Cache-Control, no stale Content-Length.
func TestRecoverer_ErrorAnswerOwnsItsHeadersWhateverTheirCase(t *testing.T) {
	for _, mode := range []middleware.Mode{middleware.ModeRedirect, middleware.ModeJSON} {
		rec, _ := newRecover(t, testRoute{Mode: mode})
		h := rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
			h := w.Header()
			h["location"] = []string{"https://evil.example/"}
			h["content-length"] = []string{"4096"}
			h["cache-control"] = []string{"public, max-age=86400"}
			h["referrer-policy"] = []string{"unsafe-url"}
			h["content-type"] = []string{"text/html"}
			h["www-authenticate"] = []string{`Basic realm="evil"`}
			h["X-Request-Id"] = []string{"r-1"}
			return codes.InvalidClient
		}))
		for proto, get := range realServers(t, h) {
			res, err := get()
			require.NoError(t, err, proto)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err, proto)
			assert.Equal(t, "r-1", res.Header.Get("X-Request-Id"), "%s: the handler's other headers are kept", proto)
			assert.Equal(t, []string{"no-store"}, res.Header.Values("Cache-Control"), proto)
			assert.NotContains(t, res.Header.Values("Content-Length"), "4096", proto)
			if mode == middleware.ModeRedirect {
				assert.Equal(t, http.StatusSeeOther, res.StatusCode, proto)
				assert.Equal(t, []string{"https://accounts.example.com/ooops?oauth_exception=invalid_client"}, res.Header.Values("Location"), proto)
				assert.Equal(t, []string{"no-referrer"}, res.Header.Values("Referrer-Policy"), proto)
				assert.Empty(t, res.Header.Values("Content-Type"), proto)
				assert.Empty(t, body, proto)
			} else {
				assert.Equal(t, http.StatusUnauthorized, res.StatusCode, proto)
				assert.Empty(t, res.Header.Values("Location"), proto)
				assert.Equal(t, []string{"application/json; charset=utf-8"}, res.Header.Values("Content-Type"), proto)
				assert.Equal(t, []string{`Basic realm="accounts"`}, res.Header.Values("Www-Authenticate"), proto)
				assert.Contains(t, string(body), `"error":"invalid_client"`, proto)
			}
		}
	}
}

// TestRecoverer_AnswerOfAMiddlewareInBetweenStands: a middleware between
// the route and the handler that answers the handler's error itself once
// it was handed up (chi's Timeout writes its 504 so) has written a whole
// answer: it reaches the client, and the route reports Suppressed.
func TestRecoverer_AnswerOfAMiddlewareInBetweenStands(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	answering := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			w.WriteHeader(http.StatusGatewayTimeout)
		})
	}
	h := rec(answering(failing(errors.New("deadline exceeded"))))
	for proto, get := range realServers(t, h) {
		res, err := get()
		require.NoError(t, err, proto)
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err, proto)
		assert.Equal(t, http.StatusGatewayTimeout, res.StatusCode, proto)
	}
	require.Len(t, ev.list(), 2)
	for _, e := range ev.list() {
		assert.Equal(t, middleware.Suppressed, e.Outcome)
	}
}
