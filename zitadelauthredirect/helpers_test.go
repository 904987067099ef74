package zitadelauthredirect_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/authredirecttest"
	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// secretCause is the text of every failure the tests inject: it must never
// reach a client.
const secretCause = "db-1.internal:5432 password=hunter2"

var errDown = errors.New("storage down: " + secretCause)

// Test clients beside the example's demo and unconfigured.
const (
	nativeRedirect = "http://127.0.0.1/cb"
	password       = "verysecure"
)

func testClients() map[string]*storage.Client {
	c := app.DemoClients()
	c["other"] = storage.WebClient("other", "other-secret", app.RedirectURI)
	c["native"] = storage.NativeClient("native", nativeRedirect)
	c["device"] = storage.DeviceClient("device", "device-secret")
	return c
}

// faults are the failures a test switches on in its storage.
type faults struct {
	clientDown, clientPanics, createDown, saveCodeDown, codeDown, codeBusy, refreshDown, secretDown atomic.Bool
}

// faultyStorage is the example's storage with injectable failures.
type faultyStorage struct {
	*app.Storage
	f *faults
}

func (s faultyStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if s.f.clientPanics.Load() {
		panic("storage exploded: " + secretCause)
	}
	if s.f.clientDown.Load() {
		return nil, errDown
	}
	return s.Storage.GetClientByClientID(ctx, id)
}

func (s faultyStorage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if s.f.createDown.Load() {
		return nil, errDown
	}
	return s.Storage.CreateAuthRequest(ctx, r, userID)
}

func (s faultyStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	if s.f.saveCodeDown.Load() {
		return errDown
	}
	return s.Storage.SaveAuthCode(ctx, id, code)
}

func (s faultyStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	if s.f.codeDown.Load() {
		return nil, errDown
	}
	if s.f.codeBusy.Load() {
		// A Storage may choose the library's error itself.
		return nil, &oidc.Error{ErrorType: "temporarily_unavailable", Parent: errDown}
	}
	return s.Storage.AuthRequestByCode(ctx, code)
}

func (s faultyStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	if s.f.refreshDown.Load() {
		return nil, errDown
	}
	return s.Storage.TokenRequestByRefreshToken(ctx, token)
}

func (s faultyStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	if s.f.secretDown.Load() {
		// op's documented way for a Storage to say the failure is its own.
		return oidc.ErrServerError().WithParent(errDown)
	}
	return s.Storage.AuthorizeClientIDSecret(ctx, id, secret)
}

// rejections are the errors GET /reject hands to Adapter.Reject, as a login
// UI would.
var rejections = map[string]*oidc.Error{
	"login_required":             oidc.ErrLoginRequired(),
	"interaction_required":       oidc.ErrInteractionRequired(),
	"consent_required":           {ErrorType: "consent_required"},
	"account_selection_required": {ErrorType: "account_selection_required"},
	"access_denied":              oidc.ErrAccessDenied(),
	"temporarily_unavailable":    {ErrorType: "temporarily_unavailable", Description: secretCause},
	"server_error":               oidc.ErrServerError().WithDescription(secretCause),
}

// env is a real op provider behind the adapter, on a loopback server.
type env struct {
	t        *testing.T
	base     string
	store    faultyStorage
	f        *faults
	adapter  *zitadelauthredirect.Adapter
	provider *op.Provider
	renderer *render.Renderer
	http     *http.Client
}

var pages = render.Config{ErrorPage: "/ooops", LoginPage: "/login"}

func newProvider(t testing.TB, base string, store op.Storage, configure ...func(*op.Config)) *op.Provider {
	t.Helper()
	config := &op.Config{
		CryptoKey:             sha256.Sum256([]byte("test key")),
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
	}
	for _, c := range configure {
		c(config)
	}
	p, err := op.NewProvider(config, store, op.StaticIssuer(base), op.WithAllowInsecure(),
		op.WithCustomAuthEndpoint(op.NewEndpoint("oauth/authorize")),
		op.WithCustomTokenEndpoint(op.NewEndpoint("oauth/token")))
	require.NoError(t, err)
	return p
}

func newEnv(t *testing.T, cfg zitadelauthredirect.Config, configure ...func(*op.Config)) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	f := new(faults)
	store := faultyStorage{app.NewStorage(base, testClients()), f}
	provider := newProvider(t, base, store, configure...)
	cfg.Provider = provider
	a, err := zitadelauthredirect.New(cfg)
	require.NoError(t, err)
	rc, err := middleware.New(middleware.Config{Render: pages, Observer: middleware.Quiet})
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.Handle("/oauth/authorize", rc.Authorization(a.Authorize()))
	mux.Handle("/oauth/authorize/callback", rc.Authorization(a.Callback()))
	mux.Handle("/oauth/token", rc.JSON(a.Token()))
	mux.Handle("/reject", rc.Authorization(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		authReq, err := store.AuthRequestByID(r.Context(), r.URL.Query().Get("id"))
		if err != nil {
			return err
		}
		return a.Reject(w, r, authReq, rejections[r.URL.Query().Get("error")])
	})))
	mux.Handle("/", provider)
	srv.Config.Handler = op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &env{t: t, base: base, store: store, f: f, adapter: a, provider: provider, renderer: rc.Renderer(), http: client}
}

// do sends one request and returns the response with its body read.
func (e *env) do(method, path string, body url.Values) (*http.Response, string) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := e.http.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return res, string(b)
}

// authorizeQuery is a valid request of the demo client; set overrides
// parameters ("" deletes one).
func authorizeQuery(set map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {app.RedirectURI},
		"scope": {"openid profile"}, "state": {"st-1"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// login runs an authorization request to the login page and signs the user
// in, returning the auth request's id.
func (e *env) login(query string) string {
	e.t.Helper()
	res, _ := e.do(http.MethodGet, "/oauth/authorize?"+query, nil)
	require.Equal(e.t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(e.t, err)
	require.Equal(e.t, "/", loc.Path)
	id := loc.Query().Get("authRequestID")
	require.NotEmpty(e.t, id)
	u, _ := url.Parse(e.base)
	require.NoError(e.t, e.store.CheckUsernamePassword("test-user@"+u.Hostname(), password, id))
	return id
}

// code runs a whole authorization and returns the code sent to the client.
func (e *env) code(query string) string {
	e.t.Helper()
	id := e.login(query)
	res, _ := e.do(http.MethodGet, "/oauth/authorize/callback?id="+url.QueryEscape(id), nil)
	require.Equal(e.t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(e.t, err)
	code := loc.Query().Get("code")
	require.NotEmpty(e.t, code)
	return code
}

// assertRedirect checks that res is exactly the contract's redirect for
// want (wantLocation spelled out by the test) and that no cause leaked.
func assertRedirect(t *testing.T, res *http.Response, body string, want *codes.Error, wantLocation string) {
	t.Helper()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc := res.Header.Get("Location")
	assert.Equal(t, wantLocation, loc)
	kit, err := authredirecttest.New(pages)
	require.NoError(t, err)
	assert.NoError(t, kit.CheckLocation(loc, want))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
	assert.Empty(t, body)
}

// assertJSON checks that res is exactly the contract's JSON for want, as
// the core renderer writes it, and that no cause leaked.
func (e *env) assertJSON(t *testing.T, res *http.Response, body string, want *codes.Error) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.renderer.JSON(rec, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), want)
	assert.Equal(t, want.Code().HTTPStatus(), res.StatusCode)
	assert.Equal(t, rec.Code, res.StatusCode)
	assert.Equal(t, rec.Body.String(), body)
	for _, h := range []string{"Content-Type", "Cache-Control", "Pragma", "Www-Authenticate", "Retry-After"} {
		assert.Equal(t, rec.Header().Get(h), res.Header.Get(h), h)
	}
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, want.Code().Name(), got["error"])
	assert.Equal(t, want.Detail().Name(), got["exception_details"])
	assert.NotContains(t, body, secretCause)
}

// logTo sends slog's default logger to h for the rest of the test: op
// logs there what it refuses.
func logTo(tb testing.TB, h slog.Handler) {
	old := slog.Default()
	slog.SetDefault(slog.New(h))
	tb.Cleanup(func() { slog.SetDefault(old) })
}
