package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

func failing(err error) http.Handler {
	return middleware.Wrap(func(http.ResponseWriter, *http.Request) error { return err })
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestRecoverer_RefusesBadConfig(t *testing.T) {
	_, err := middleware.New(middleware.Config{})
	assert.ErrorIs(t, err, middleware.ErrConfig, "the pages are required: no silent third-party default")
	assert.ErrorIs(t, err, render.ErrConfig, "render says which page it refused")
	_, err = middleware.New(middleware.Config{Render: render.Config{ErrorPage: "ooops", LoginPage: "/"}})
	assert.ErrorIs(t, err, middleware.ErrConfig)
	assert.ErrorContains(t, err, "relative path")
}

// Route cannot fail on the named families and modes; anything else is a
// programming error, refused when the chain is built.
func TestRecoverer_RouteRefusesUnknownFamilyOrMode(t *testing.T) {
	rc, err := middleware.New(middleware.Config{Render: testPages})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "authredirect/middleware: Route: family 7 is neither Authorization nor Authentication",
		func() { rc.Route(codes.Kind(7), middleware.ModeRedirect) })
	assert.PanicsWithValue(t, "authredirect/middleware: Route: mode 9 is unknown",
		func() { rc.Route(codes.Authorization, middleware.Mode(9)) })
}

func TestRecoverer_RoutesForEachFamilyAndMode(t *testing.T) {
	rc, err := middleware.New(middleware.Config{Render: testPages, Observer: middleware.Quiet})
	require.NoError(t, err)
	fail := failing(codes.ServerError.With(codes.ClientIDNotFound))
	res := serve(rc.Authorization(fail), http.MethodGet, "/oauth/authorize")
	assert.Equal(t, http.StatusSeeOther, res.Code)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=server_error&exception_details=client_id_not_found", res.Header().Get("Location"))
	res = serve(rc.Authentication(fail), http.MethodPost, "/login")
	assert.Equal(t, http.StatusSeeOther, res.Code)
	assert.Equal(t, "https://accounts.example.com/?identity_exception=server_error&exception_details=client_id_not_found", res.Header().Get("Location"))
	res = serve(rc.JSON(fail), http.MethodPost, "/oauth/token")
	assert.Equal(t, http.StatusInternalServerError, res.Code)
	assert.Equal(t, `{"error":"server_error","error_description":"`+codes.ServerError.Description()+`","exception_details":"client_id_not_found"}`+"\n", res.Body.String())
	negotiate := rc.Route(codes.Authentication, middleware.ModeNegotiate)
	req := httptest.NewRequest(http.MethodPost, "/api/login", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	negotiate(fail).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, `{"error":"server_error","error_description":"`+codes.IdentityServerError.Description()+`","exception_details":"client_id_not_found"}`+"\n", rec.Body.String())
	assert.Same(t, rc.Renderer(), rc.Renderer())
}

func TestRecoverer_TypedErrorsKeepEverything(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"code", codes.InvalidScope, "https://accounts.example.com/ooops?oauth_exception=invalid_scope"},
		{"detail", codes.UnauthorizedClient.With(codes.RedirectURINotSet), "https://accounts.example.com/ooops?oauth_exception=unauthorized_client&exception_details=redirect_uri_not_set"},
		{"wrapped", fmt.Errorf("lookup: %w", codes.MissingGrant.WithCause(errors.New("db"))), "https://accounts.example.com/ooops?oauth_exception=missing_grant"},
		{"joined", errors.Join(errors.New("a"), codes.InvalidGrant), "https://accounts.example.com/ooops?oauth_exception=invalid_grant"},
		{"entity id", codes.Unauthorized.WithEntityID("u-jane"), "https://accounts.example.com/?identity_exception=unauthorized&entity_id=u-jane"},
		{"family decides", codes.IdentityAccessDenied, "https://accounts.example.com/?identity_exception=access_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, ev := newRecover(t, testRoute{})
			res := serve(rec(failing(tc.err)), http.MethodPost, "/x")
			assert.Equal(t, http.StatusSeeOther, res.Code)
			assert.Equal(t, tc.want, res.Header().Get("Location"))
			require.Len(t, ev.list(), 1)
			assert.Equal(t, middleware.Redirected, ev.list()[0].Outcome)
			assert.Equal(t, tc.err, ev.list()[0].Cause)
			assert.False(t, ev.list()[0].Panicked)
		})
	}
}

// The package's own errors returned as they are, which the route reads
// without walking them, are answered and observed as the same errors
// found inside another error: on both families, every code, detail and
// entity id, an invalid code and a typed nil among them.
func TestRecoverer_OwnErrorsAsWhenWrapped(t *testing.T) {
	errs := []error{codes.Code{}, (*codes.Error)(nil), codes.Code{}.Err(), codes.ServerError.WithCause(errors.New("db"))}
	for _, c := range codes.All() {
		errs = append(errs, c, c.Err(), c.WithEntityID("u-jane"), c.WithEntityID("bad id"))
		for _, d := range codes.Details() {
			errs = append(errs, c.With(d))
		}
	}
	for _, kind := range []codes.Kind{codes.Authorization, codes.Authentication} {
		for _, err := range errs {
			var got [2]middleware.Event
			var answers [2]*httptest.ResponseRecorder
			for i, returned := range []error{err, fmt.Errorf("wrapped: %w", err)} {
				rec, ev := newRecover(t, testRoute{Kind: kind})
				answers[i] = serve(rec(failing(returned)), http.MethodGet, "/x")
				require.Len(t, ev.list(), 1)
				got[i] = ev.list()[0]
				if e, typedNil := returned.(*codes.Error); !typedNil || e != nil {
					assert.Equal(t, returned, got[i].Cause) // a typed nil is never inspected
				}
			}
			name := fmt.Sprintf("%v on a %v route", err, kind)
			assert.Equal(t, answers[1].Code, answers[0].Code, name)
			assert.Equal(t, answers[1].Header(), answers[0].Header(), name)
			assert.Equal(t, got[1].Outcome, got[0].Outcome, name)
			assert.Equal(t, got[1].Panicked, got[0].Panicked, name)
			assert.Equal(t, got[1].Err.Code(), got[0].Err.Code(), name)
			assert.Equal(t, got[1].Err.Detail(), got[0].Err.Detail(), name)
			assert.Equal(t, got[1].Err.EntityID(), got[0].Err.EntityID(), name)
		}
	}
}

func TestRecoverer_UntypedErrorIsServerErrorOfRouteFamily(t *testing.T) {
	cause := errors.New("pq: password authentication failed for user \"svc\"")
	for kind, want := range map[codes.Kind]string{
		codes.Authorization:  "https://accounts.example.com/ooops?oauth_exception=server_error",
		codes.Authentication: "https://accounts.example.com/?identity_exception=server_error",
	} {
		rec, ev := newRecover(t, testRoute{Kind: kind})
		res := serve(rec(failing(cause)), http.MethodGet, "/x")
		assert.Equal(t, want, res.Header().Get("Location"))
		assert.NotContains(t, res.Body.String(), "pq:")
		require.Len(t, ev.list(), 1)
		got := ev.list()[0]
		assert.Same(t, cause, got.Cause)
		assert.ErrorIs(t, got.Err, cause, "the observer sees the cause")
		assert.Equal(t, kind, got.Err.Code().Kind())
	}
}

func TestRecoverer_Panic(t *testing.T) {
	rec, ev := newRecover(t, testRoute{Kind: codes.Authentication})
	h := rec(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret token abc123") }))
	res := serve(h, http.MethodGet, "/login")
	assert.Equal(t, http.StatusSeeOther, res.Code)
	assert.Equal(t, "https://accounts.example.com/?identity_exception=server_error", res.Header().Get("Location"))
	assert.NotContains(t, res.Body.String()+fmt.Sprint(res.Header()), "abc123")
	require.Len(t, ev.list(), 1)
	got := ev.list()[0]
	assert.True(t, got.Panicked)
	var p *middleware.PanicError
	require.ErrorAs(t, got.Cause, &p)
	assert.Equal(t, "secret token abc123", p.Value)
	assert.Contains(t, string(p.Stack), "TestRecoverer_Panic")
}

func TestRecoverer_AbortHandlerIsRepanicked(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	panicking := rec(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(panicking, http.MethodGet, "/") })
	returning := rec(failing(fmt.Errorf("stream: %w", http.ErrAbortHandler)))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(returning, http.MethodGet, "/") })
	assert.Empty(t, ev.list(), "an abort is not a failure to report")
}

// A failure after the response started aborts it: nothing more is written,
// and the client must not take what it got for a whole response.
func TestRecoverer_ResponseStarted(t *testing.T) {
	for name, h := range map[string]func(http.ResponseWriter, *http.Request) error{
		"header": func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusAccepted)
			return codes.InvalidScope
		},
		"body": func(w http.ResponseWriter, _ *http.Request) error {
			_, _ = io.WriteString(w, "partial")
			return codes.InvalidScope
		},
		"flush": func(w http.ResponseWriter, _ *http.Request) error {
			w.(http.Flusher).Flush()
			return codes.InvalidScope
		},
		"body, then a panic": func(w http.ResponseWriter, _ *http.Request) error {
			_, _ = io.WriteString(w, "half a page")
			panic("boom")
		},
	} {
		t.Run(name, func(t *testing.T) {
			rec, ev := newRecover(t, testRoute{})
			w := &flushingCountingWriter{newCountingWriter()}
			assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
				rec(middleware.Wrap(h)).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			})
			assert.LessOrEqual(t, w.writeHeaders, 1, "no superfluous WriteHeader")
			assert.Empty(t, w.h.Get("Location"))
			require.Len(t, ev.list(), 1, "observed once")
			assert.Equal(t, middleware.Aborted, ev.list()[0].Outcome)
			assert.Equal(t, strings.HasSuffix(name, "panic"), ev.list()[0].Panicked)
		})
	}
}

type flushingCountingWriter struct{ *countingWriter }

func (w *flushingCountingWriter) Flush() {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
}

func TestRecoverer_InformationalHeaderDoesNotStart(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	w := newCountingWriter()
	rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusEarlyHints)
		return codes.InvalidScope
	})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=invalid_scope", w.h.Get("Location"))
}

func TestRecoverer_ClientGone(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := newCountingWriter()
	h := rec(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("query: %w", r.Context().Err())
	}))
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	assert.Zero(t, w.writeHeaders, "nothing written")
	assert.Empty(t, w.h)
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.ClientGone, ev.list()[0].Outcome)

	// A context error while the request is still live is a server error.
	res := serve(rec(failing(context.DeadlineExceeded)), http.MethodGet, "/")
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=server_error", res.Header().Get("Location"))
}

func TestRecoverer_LoopStoppedOnTheTargetPage(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	res := serve(rec(failing(codes.ServerError.WithCause(errors.New("template <missing>")))), http.MethodGet, "/ooops?oauth_exception=invalid_scope")
	assert.Equal(t, http.StatusInternalServerError, res.Code)
	assert.Empty(t, res.Header().Get("Location"))
	assert.Equal(t, "text/html; charset=utf-8", res.Header().Get("Content-Type"))
	assert.Contains(t, res.Body.String(), "<code>server_error</code>")
	assert.NotContains(t, res.Body.String(), "missing")
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.LoopStopped, ev.list()[0].Outcome)

	// The login page failing with an authentication error: the same.
	res = serve(rec(failing(codes.Unauthorized)), http.MethodGet, "/")
	assert.Equal(t, http.StatusUnauthorized, res.Code)
	assert.Empty(t, res.Header().Get("Location"))
	// The login page failing with an authorization error still redirects.
	res = serve(rec(failing(codes.InvalidScope)), http.MethodGet, "/")
	assert.Equal(t, http.StatusSeeOther, res.Code)
}

func TestRecoverer_Modes(t *testing.T) {
	jsonRec, ev := newRecover(t, testRoute{Mode: middleware.ModeJSON})
	res := serve(jsonRec(failing(codes.InvalidClient.WithCause(errors.New("secret mismatch")))), http.MethodPost, "/oauth/token")
	assert.Equal(t, http.StatusUnauthorized, res.Code)
	assert.Equal(t, `{"error":"invalid_client","error_description":"`+codes.InvalidClient.Description()+`"}`+"\n", res.Body.String())
	assert.Equal(t, middleware.WroteJSON, ev.list()[0].Outcome)

	neg, _ := newRecover(t, testRoute{Mode: middleware.ModeNegotiate})
	for accept, wantJSON := range map[string]bool{
		"application/json":                  true,
		"application/json, text/plain, */*": true,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": false,
		"":                                    false,
		"*/*":                                 false,
		"text/html;q=0.5, application/json":   true,
		"application/json;q=0.1, text/html":   false,
		"application/*":                       true,
		"application/json;q=0, */*":           false,
		"APPLICATION/JSON":                    true,
		"text/*;q=0.9, application/json;q=1 ": true,
	} {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		neg(failing(codes.InvalidScope)).ServeHTTP(rec, req)
		if wantJSON {
			assert.Equal(t, http.StatusBadRequest, rec.Code, accept)
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"), accept)
		} else {
			assert.Equal(t, http.StatusSeeOther, rec.Code, accept)
		}
	}
}

func TestRecoverer_PassesSuccessThrough(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	plain := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Handler", "yes")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "short and stout")
	})
	res := serve(rec(plain), http.MethodGet, "/")
	assert.Equal(t, http.StatusTeapot, res.Code)
	assert.Equal(t, "yes", res.Header().Get("X-Handler"))
	assert.Equal(t, "short and stout", res.Body.String())

	res = serve(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		_, err := io.WriteString(w, "fine")
		return err
	})), http.MethodGet, "/")
	assert.Equal(t, http.StatusOK, res.Code)
	assert.Equal(t, "fine", res.Body.String())
	assert.Empty(t, ev.list())
}

func TestWrap_FindsTheRecovererThroughWrappers(t *testing.T) {
	for name, between := range map[string]alice.Constructor{"unwrapping": unwrapping, "opaque fallback": opaque} {
		t.Run(name, func(t *testing.T) {
			rec, ev := newRecover(t, testRoute{})
			h := alice.New(rec, between, unwrapping).Then(failing(codes.UnauthorizedClient.With(codes.ClientIDNotFound)))
			res := serve(h, http.MethodGet, "/oauth/authorize")
			assert.Equal(t, http.StatusSeeOther, res.Code)
			assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", res.Header().Get("Location"))
			require.Len(t, ev.list(), 1)
			assert.False(t, ev.list()[0].Panicked, "the fallback transport is not a panic")
		})
	}
}

func TestWrap_WithoutARecovererDropsTheConnection(t *testing.T) {
	logs := &syncBuffer{}
	srv := httptest.NewUnstartedServer(failing(codes.InvalidScope))
	srv.Config.ErrorLog = newLogger(logs)
	srv.Start()
	defer srv.Close()
	_, err := srv.Client().Get(srv.URL)
	require.Error(t, err, "no answer: the connection is dropped")
	assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "reached no Recoverer") }, time.Second, 10*time.Millisecond)
}

func TestRecoverer_ServeMuxPatterns(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	mux := http.NewServeMux()
	mux.Handle("GET /clients/{id}", middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("id") != "demo" {
			return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
		}
		_, err := io.WriteString(w, "demo")
		return err
	}))
	h := rec(mux)
	assert.Equal(t, "demo", serve(h, http.MethodGet, "/clients/demo").Body.String())
	res := serve(h, http.MethodGet, "/clients/other")
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", res.Header().Get("Location"))
	assert.Equal(t, http.StatusMethodNotAllowed, serve(h, http.MethodPost, "/clients/demo").Code, "the mux's own answers pass through")
}

func TestLogObserver(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rc, err := middleware.New(middleware.Config{Render: testPages, Observer: middleware.LogObserver(logger)})
	require.NoError(t, err)
	rec := rc.Authorization

	serve(rec(failing(codes.InvalidScope)), http.MethodGet, "/oauth/authorize?client_secret=hunter2&code=c0de")
	serve(rec(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") })), http.MethodGet, "/boom?token=t0ken")
	out := buf.String()
	assert.Contains(t, out, `"level":"DEBUG"`)
	assert.Contains(t, out, `"code":"invalid_scope"`)
	assert.Contains(t, out, `"path":"/oauth/authorize"`)
	assert.Contains(t, out, `"level":"ERROR"`)
	assert.Contains(t, out, `"cause":"panic: kaboom"`)
	assert.Contains(t, out, `"stack":"goroutine`)
	for _, secret := range []string{"hunter2", "c0de", "t0ken"} {
		assert.NotContains(t, out, secret, "query values are never logged")
	}
}

// TestLogObserver_Levels: a client that went away is normal traffic
// (Debug), even though its classified error is a server_error; an arrival
// a loop guard could not count is a Warn that names the counter's error.
func TestLogObserver_Levels(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	for _, tc := range []struct {
		name  string
		ev    middleware.Event
		level string
		has   string
	}{
		{"client gone", middleware.Event{Request: req, Outcome: middleware.ClientGone, Err: codes.ServerError.Err(), Cause: context.Canceled}, "DEBUG", `"outcome":"client_gone"`},
		{"client error", middleware.Event{Request: req, Outcome: middleware.Redirected, Err: codes.InvalidScope.Err()}, "DEBUG", `"code":"invalid_scope"`},
		{"server error", middleware.Event{Request: req, Outcome: middleware.Redirected, Err: codes.ServerError.Err()}, "ERROR", `"code":"server_error"`},
		{"aborted", middleware.Event{Request: req, Outcome: middleware.Aborted, Err: codes.InvalidScope.Err()}, "WARN", `"outcome":"aborted"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			middleware.LogObserver(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))(tc.ev)
			assert.Contains(t, buf.String(), `"level":"`+tc.level+`"`)
			assert.Contains(t, buf.String(), tc.has)
			assert.NotContains(t, buf.String(), "nil *codes.Error")
		})
	}
}
