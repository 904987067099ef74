package zitadelauthredirect_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// TestParity_Callback serves the login UI's return by op alone
// (op.AuthorizeCallback) and by the adapter's Callback on one provider and
// compares the decisions: "code" (sent to the client with a code), "client
// TYPE", "refused TYPE" (op's 400 at the endpoint) or "page CODE" (the
// contract's error page).
func TestParity_Callback(t *testing.T) {
	logs := &opErrors{}
	logTo(t, logs)

	store := app.NewStorage(parityIssuer, testClients())
	p := newProvider(t, parityIssuer, store)
	issuer := op.NewIssuerInterceptor(p.IssuerFromRequest)
	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: p})
	require.NoError(t, err)
	rc, err := middleware.New(middleware.Config{Render: pages, Observer: middleware.Quiet})
	require.NoError(t, err)
	library := issuer.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { op.AuthorizeCallback(w, r, p) })
	adapter := issuer.Handler(rc.Authorization(a.Callback()))

	// request is the query of a callback for a new auth request, signed in
	// or not.
	request := func(signedIn bool, mode oidc.ResponseMode) string {
		stored, err := store.CreateAuthRequest(t.Context(), &oidc.AuthRequest{ClientID: app.ClientID, RedirectURI: app.RedirectURI,
			ResponseType: oidc.ResponseTypeCode, Scopes: []string{"openid"}, State: "st", ResponseMode: mode}, "")
		require.NoError(t, err)
		if signedIn {
			require.NoError(t, store.CheckUsernamePassword("test-user@op.example", password, stored.GetID()))
		}
		return "id=" + url.QueryEscape(stored.GetID())
	}
	decide := func(rec *httptest.ResponseRecorder, adapterSide bool) string {
		loc := rec.Header().Get("Location")
		if q, ok := strings.CutPrefix(loc, "/ooops?"); ok && adapterSide {
			e, err := render.ParseQuery(q)
			require.NoError(t, err)
			return strings.TrimSpace("page " + e.Code().Name() + " " + e.Detail().Name())
		}
		if rec.Code == http.StatusBadRequest && !adapterSide {
			require.NotNil(t, logs.last)
			return "refused " + string(logs.last.ErrorType)
		}
		u, err := url.Parse(loc)
		require.NoError(t, err, rec.Body.String())
		u.RawQuery = ""
		require.Equal(t, app.RedirectURI, u.String())
		q, err := url.ParseQuery(loc[strings.IndexByte(loc, '?')+1:])
		require.NoError(t, err)
		if q.Get("code") != "" {
			return "code"
		}
		return "client " + q.Get("error")
	}
	for _, row := range []struct {
		name             string
		query            func() string
		op, adapter, why string
	}{
		{name: "signed in", query: func() string { return request(true, "") }, op: "code"},
		{name: "signed in, response_mode=query", query: func() string { return request(true, oidc.ResponseModeQuery) }, op: "code"},
		{name: "not signed in", query: func() string { return request(false, "") }, op: "client interaction_required"},
		{name: "unknown id", query: func() string { return "id=nope" }, op: "refused server_error",
			adapter: "page invalid_request", why: "the Storage reports the id as not found: a malformed request, not the server's failure"},
		{name: "no id", query: func() string { return "" }, op: "refused server_error",
			adapter: "page invalid_request", why: "a missing parameter is the contract's invalid_request (op's is a plain error, hence server_error)"},
		{name: "id twice", query: func() string { return request(true, "") + "&id=nope" }, op: "code",
			adapter: "page invalid_request", why: "the contract's reason: a parameter given more than once (op takes the first)"},
	} {
		t.Run(row.name, func(t *testing.T) {
			serve := func(h http.Handler) *httptest.ResponseRecorder {
				logs.last = nil
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, parityIssuer+"/oauth/authorize/callback?"+row.query(), nil))
				return rec
			}
			opDecision := decide(serve(library), false)
			assert.Equal(t, row.op, opDecision, "op's own decision")
			want := wantAdapter(opDecision, false)
			if opDecision == "code" {
				want = "code"
			}
			if row.adapter != "" {
				require.NotEmpty(t, row.why)
				want = row.adapter
			}
			assert.Equal(t, want, decide(serve(adapter), true), "the adapter's decision")
		})
	}
}
