package authredirect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// The conformance suite: a real server, an alice chain (a Recoverer route, then a
// foreign middleware that wraps the writer, then Wrap) and a real client
// that does not follow redirects. Every row asserts the exact wire output.

const (
	errorPage = "https://accounts.example.com/ooops"
	loginPage = "https://accounts.example.com/login?lang=en"
	// secret is in every cause; it must never reach a client.
	secret = "SECRET-CAUSE-7f3a"
)

type row struct {
	name    string
	method  string
	accept  string
	kind    codes.Kind      // the route's family (zero: authorization)
	mode    middleware.Mode // the route's mode
	path    string          // default: a unique path
	handler func(http.ResponseWriter, *http.Request) error

	status   int
	location string             // exact; "" means none
	json     map[string]string  // exact JSON body, for JSON answers
	outcome  middleware.Outcome // what the observer must hear
	broken   bool               // the client must see a broken response: no answer, or a body cut short
	check    func(*testing.T, *http.Response, string)
}

func returns(err error) func(http.ResponseWriter, *http.Request) error {
	return func(http.ResponseWriter, *http.Request) error { return err }
}

func contractRows() []row {
	var rows []row
	for _, c := range codes.All() {
		target := errorPage + "?oauth_exception="
		if c.Kind() == codes.Authentication {
			target = loginPage + "&identity_exception="
		}
		for _, d := range append([]codes.Detail{{}}, codes.Details()...) {
			want := target + c.Name()
			if d.Valid() {
				want += "&exception_details=" + d.Name()
			}
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				rows = append(rows, row{
					name:     fmt.Sprintf("%s/%s/%s/%s", c.Kind(), c.Name(), d, method),
					method:   method,
					handler:  returns(fmt.Errorf("handler: %w", c.With(d).WithCause(errors.New(secret)))),
					status:   http.StatusSeeOther,
					location: want,
					outcome:  middleware.Redirected,
				})
			}
			if c.Kind() == codes.Authentication {
				// entity_id goes with unauthorized only.
				withID := want
				if c == codes.Unauthorized {
					withID += "&entity_id=u-jane"
				}
				rows = append(rows, row{
					name:     fmt.Sprintf("%s/%s/%s/entity_id", c.Kind(), c.Name(), d),
					method:   http.MethodPost,
					kind:     codes.Authentication,
					handler:  returns(c.With(d).WithEntityID("u-jane").WithCause(errors.New(secret))),
					status:   http.StatusSeeOther,
					location: withID,
					outcome:  middleware.Redirected,
				})
			}
		}
	}
	return rows
}

// loginRouteRows: on an authentication route the wire names both families
// have follow the route, so a login handler's natural code lands on the
// login page; the Identity names do so everywhere.
func loginRouteRows() []row {
	var rows []row
	for _, c := range []codes.Code{codes.InvalidRequest, codes.AccessDenied, codes.ServerError} {
		for _, d := range []codes.Detail{{}, codes.ClientIDNotFound} {
			want := loginPage + "&identity_exception=" + c.Name()
			if d.Valid() {
				want += "&exception_details=" + d.Name()
			}
			rows = append(rows, row{
				name:     fmt.Sprintf("login route/%s/%s", c.Name(), d),
				method:   http.MethodPost,
				kind:     codes.Authentication,
				handler:  returns(fmt.Errorf("login: %w", c.With(d).WithCause(errors.New(secret)))),
				status:   http.StatusSeeOther,
				location: want,
				outcome:  middleware.Redirected,
			})
		}
	}
	return rows
}

func specialRows() []row {
	jsonBody := func(c codes.Code, d codes.Detail) map[string]string {
		m := map[string]string{"error": c.Name(), "error_description": c.Description()}
		if d.Valid() {
			m["exception_details"] = d.Name()
		}
		return m
	}
	return []row{
		{name: "entity id that is not an identifier is dropped", method: http.MethodPost,
			handler: returns(codes.Unauthorized.WithEntityID("jane@example.com")),
			status:  http.StatusSeeOther, location: loginPage + "&identity_exception=unauthorized", outcome: middleware.Redirected},
		{name: "entity id never sent with authorization errors", method: http.MethodGet,
			handler: returns(codes.AccessDenied.WithEntityID("u-jane")),
			status:  http.StatusSeeOther, location: errorPage + "?oauth_exception=access_denied", outcome: middleware.Redirected},
		{name: "plain error on an authorization route", method: http.MethodGet,
			handler: returns(errors.New(secret)),
			status:  http.StatusSeeOther, location: errorPage + "?oauth_exception=server_error", outcome: middleware.Redirected},
		{name: "plain error on an authentication route", method: http.MethodPost, kind: codes.Authentication,
			handler: returns(errors.New(secret)),
			status:  http.StatusSeeOther, location: loginPage + "&identity_exception=server_error", outcome: middleware.Redirected},
		{name: "panic", method: http.MethodGet,
			handler: func(http.ResponseWriter, *http.Request) error { panic(secret) },
			status:  http.StatusSeeOther, location: errorPage + "?oauth_exception=server_error", outcome: middleware.Redirected},
		{name: "panic on an authentication route", method: http.MethodPost, kind: codes.Authentication,
			handler: func(http.ResponseWriter, *http.Request) error { panic(errors.New(secret)) },
			status:  http.StatusSeeOther, location: loginPage + "&identity_exception=server_error", outcome: middleware.Redirected},
		{name: "JSON route", method: http.MethodPost, mode: middleware.ModeJSON,
			handler: returns(codes.InvalidGrant.WithCause(errors.New(secret))),
			status:  http.StatusBadRequest, json: jsonBody(codes.InvalidGrant, codes.Detail{}), outcome: middleware.WroteJSON},
		{name: "JSON route, 401 with challenge", method: http.MethodPost, mode: middleware.ModeJSON,
			handler: returns(codes.InvalidClient),
			status:  http.StatusUnauthorized, json: jsonBody(codes.InvalidClient, codes.Detail{}), outcome: middleware.WroteJSON,
			check: func(t *testing.T, res *http.Response, _ string) {
				assert.Equal(t, `Basic realm="accounts"`, res.Header.Get("WWW-Authenticate"))
			}},
		{name: "JSON route, 503 with Retry-After", method: http.MethodPost, mode: middleware.ModeJSON,
			handler: returns(codes.TemporarilyUnavailable),
			status:  http.StatusServiceUnavailable, json: jsonBody(codes.TemporarilyUnavailable, codes.Detail{}), outcome: middleware.WroteJSON,
			check: func(t *testing.T, res *http.Response, _ string) {
				assert.Equal(t, "60", res.Header.Get("Retry-After"))
			}},
		{name: "JSON route, panic", method: http.MethodPost, mode: middleware.ModeJSON,
			handler: func(http.ResponseWriter, *http.Request) error { panic(secret) },
			status:  http.StatusInternalServerError, json: jsonBody(codes.ServerError, codes.Detail{}), outcome: middleware.WroteJSON},
		{name: "negotiate route, JSON preferred", method: http.MethodGet, mode: middleware.ModeNegotiate, accept: "application/json",
			handler: returns(codes.UnauthorizedClient.With(codes.ClientIDNotFound)),
			status:  http.StatusBadRequest, json: jsonBody(codes.UnauthorizedClient, codes.ClientIDNotFound), outcome: middleware.WroteJSON},
		{name: "negotiate route, browser", method: http.MethodGet, mode: middleware.ModeNegotiate,
			accept:  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
			handler: returns(codes.UnauthorizedClient.With(codes.ClientIDNotFound)),
			status:  http.StatusSeeOther, location: errorPage + "?oauth_exception=unauthorized_client&exception_details=client_id_not_found", outcome: middleware.Redirected},
		{name: "panic after a partial write", method: http.MethodGet,
			handler: func(w http.ResponseWriter, _ *http.Request) error {
				_, _ = io.WriteString(w, "partial ")
				http.NewResponseController(w).Flush()
				panic(secret)
			},
			status: http.StatusOK, outcome: middleware.Aborted, broken: true,
			check: func(t *testing.T, _ *http.Response, body string) {
				assert.Equal(t, "partial ", body, "nothing after the partial write; the connection is cut")
			}},
		{name: "error after a partial write", method: http.MethodGet,
			handler: func(w http.ResponseWriter, _ *http.Request) error {
				w.WriteHeader(http.StatusAccepted)
				return codes.ServerError.WithCause(errors.New(secret))
			},
			outcome: middleware.Aborted, broken: true},
		{name: "error after a flushed partial write", method: http.MethodGet,
			handler: func(w http.ResponseWriter, _ *http.Request) error {
				_, _ = io.WriteString(w, "<p>half a pa")
				http.NewResponseController(w).Flush()
				return codes.ServerError.WithCause(errors.New(secret))
			},
			status: http.StatusOK, outcome: middleware.Aborted, broken: true,
			check: func(t *testing.T, _ *http.Response, body string) {
				assert.Equal(t, "<p>half a pa", body, "nothing after the partial write; the response is cut")
			}},
		{name: "the error page fails itself", method: http.MethodGet, path: "/ooops",
			handler: returns(codes.ServerError.WithCause(errors.New(secret))),
			status:  http.StatusInternalServerError, outcome: middleware.LoopStopped,
			check: func(t *testing.T, res *http.Response, body string) {
				assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
				assert.Contains(t, body, "<code>server_error</code>")
			}},
		// A redirect only loops when the page itself is fetched: the login
		// form's POST to the login page's path is redirected.
		{name: "the login form posts to the login page's path", method: http.MethodPost, path: "/login", kind: codes.Authentication,
			handler: returns(codes.Unauthorized.WithEntityID("u-jane")),
			status:  http.StatusSeeOther, location: loginPage + "&identity_exception=unauthorized&entity_id=u-jane", outcome: middleware.Redirected},
		{name: "a POST to the error page's path", method: http.MethodPost, path: "/ooops",
			handler: returns(codes.InvalidScope),
			status:  http.StatusSeeOther, location: errorPage + "?oauth_exception=invalid_scope", outcome: middleware.Redirected},
		{name: "the login page fails itself, HEAD", method: http.MethodHead, path: "/login", kind: codes.Authentication,
			handler: returns(codes.IdentityLost),
			status:  http.StatusUnauthorized, outcome: middleware.LoopStopped},
		{name: "the login page fails itself", method: http.MethodGet, path: "/login", kind: codes.Authentication,
			handler: returns(errors.New(secret)),
			status:  http.StatusInternalServerError, outcome: middleware.LoopStopped,
			check: func(t *testing.T, res *http.Response, body string) {
				assert.Contains(t, body, "<code>server_error</code>")
			}},
	}
}

// foreignUnwrap and foreignOpaque stand for third-party middleware that
// wraps the writer, with and without Unwrap.
type foreignUnwrap struct{ http.ResponseWriter }

func (f foreignUnwrap) Unwrap() http.ResponseWriter { return f.ResponseWriter }
func (f foreignUnwrap) Flush()                      { http.NewResponseController(f.ResponseWriter).Flush() }

type foreignOpaque struct{ http.ResponseWriter }

func (f foreignOpaque) Flush() { f.ResponseWriter.(http.Flusher).Flush() }

var foreign = map[string]alice.Constructor{
	"foreign wrapper with Unwrap": func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(foreignUnwrap{w}, r) })
	},
	"foreign wrapper without Unwrap": func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(foreignOpaque{w}, r) })
	},
}

func TestConformance(t *testing.T) {
	rows := append(append(contractRows(), loginRouteRows()...), specialRows()...)

	for wrapperName, between := range foreign {
		t.Run(wrapperName, func(t *testing.T) {
			obs := newObserved()
			rc, err := middleware.New(middleware.Config{Render: render.Config{ErrorPage: errorPage, LoginPage: loginPage}, Observer: obs.observe})
			require.NoError(t, err)
			r := rc.Renderer()
			mux := http.NewServeMux()
			for i := range rows {
				if rows[i].path == "" {
					rows[i].path = fmt.Sprintf("/rows/%d", i)
				}
				if rows[i].kind == 0 {
					rows[i].kind = codes.Authorization
				}
				rec := rc.Route(rows[i].kind, rows[i].mode)
				mux.Handle(rows[i].method+" "+rows[i].path, alice.New(rec, between).Then(middleware.Wrap(rows[i].handler)))
			}
			srv := httptest.NewUnstartedServer(mux)
			srv.Config.ErrorLog = quietLog()
			srv.Start()
			defer srv.Close()
			client := srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

			for _, tc := range rows {
				t.Run(tc.name, func(t *testing.T) {
					req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("a=1"))
					require.NoError(t, err)
					if tc.accept != "" {
						req.Header.Set("Accept", tc.accept)
					}
					key := tc.method + " " + tc.path
					observed := func() {
						require.Eventually(t, func() bool { return len(obs.get(key)) == 1 }, 2*time.Second, 5*time.Millisecond, "observed once")
						assert.Equal(t, tc.outcome, obs.get(key)[0].Outcome)
					}
					res, err := client.Do(req)
					if tc.broken && tc.status == 0 {
						assert.Error(t, err, "cut before the header went out: no answer at all")
						observed()
						return
					}
					require.NoError(t, err)
					raw, readErr := io.ReadAll(res.Body)
					res.Body.Close()
					body := string(raw)
					if tc.broken {
						assert.Error(t, readErr, "the body is cut short, not ended as if whole")
					} else {
						assert.NoError(t, readErr)
					}

					assert.Equal(t, tc.status, res.StatusCode)
					assert.Equal(t, tc.location, res.Header.Get("Location"))
					assert.NotContains(t, body, secret)
					assert.NotContains(t, fmt.Sprint(res.Header), secret)
					if tc.location != "" {
						assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
						assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
						assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
						assert.Empty(t, body)
						u, err := url.Parse(tc.location)
						require.NoError(t, err)
						parsed, err := render.ParseQuery(u.RawQuery)
						require.NoError(t, err, "the Location reads back")
						assert.Equal(t, tc.location, r.Location(parsed))
					}
					if tc.json != nil {
						var got map[string]string
						require.NoError(t, json.Unmarshal(raw, &got), body)
						assert.Equal(t, tc.json, got)
						assert.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
						assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
					}
					if tc.check != nil {
						tc.check(t, res, body)
					}
					observed()
				})
			}

			t.Run("client went away", func(t *testing.T) {
				rec := rc.Authorization
				started := make(chan struct{})
				mux.Handle("/gone", alice.New(rec, between).Then(middleware.Wrap(func(_ http.ResponseWriter, req *http.Request) error {
					close(started)
					<-req.Context().Done()
					return fmt.Errorf("%s: %w", secret, req.Context().Err())
				})))
				ctx, cancel := context.WithCancel(context.Background())
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/gone", nil)
				go func() { <-started; cancel() }()
				_, err = client.Do(req)
				assert.ErrorIs(t, err, context.Canceled)
				require.Eventually(t, func() bool { return len(obs.get("GET /gone")) == 1 }, 2*time.Second, 5*time.Millisecond)
				assert.Equal(t, middleware.ClientGone, obs.get("GET /gone")[0].Outcome)
			})

			t.Run("http.ErrAbortHandler", func(t *testing.T) {
				rec := rc.Authorization
				done := make(chan struct{})
				var once sync.Once
				// Closed once the route has unwound: whatever it observes
				// it has observed by then.
				finished := func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						defer once.Do(func() { close(done) })
						next.ServeHTTP(w, r)
					})
				}
				mux.Handle("/abort", alice.New(finished, rec, between).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
					panic(http.ErrAbortHandler)
				})))
				_, err = client.Get(srv.URL + "/abort")
				assert.Error(t, err, "the connection is aborted, no answer")
				<-done
				assert.Empty(t, obs.get("GET /abort"), "not observed as a failure")
			})

			t.Run("success passes through", func(t *testing.T) {
				rec := rc.Authorization
				mux.Handle("/ok", alice.New(rec, between).Then(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
					w.Header().Set("X-Handler", "ok")
					_, err := io.WriteString(w, "fine")
					return err
				})))
				res, err := client.Get(srv.URL + "/ok")
				require.NoError(t, err)
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				assert.Equal(t, http.StatusOK, res.StatusCode)
				assert.Equal(t, "ok", res.Header.Get("X-Handler"))
				assert.Equal(t, "fine", string(body))
				assert.Empty(t, obs.get("GET /ok"))
			})
		})
	}
}
