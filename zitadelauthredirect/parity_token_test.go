package zitadelauthredirect_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// pkceVerifier and its S256 challenge.
var (
	pkceVerifier  = "dBjftJeZ4CK1-1gQ0BG1Ga3xsazv1w7ubNLMB1vSvCw"
	pkceChallenge = oidc.NewSHACodeChallenge(pkceVerifier)
)

// grants are what a token row spends: fresh for each of the two sides.
type grants struct {
	code, pkceCode, otherCode, refresh, otherRefresh string
}

// tokenRow is one token request served by op alone (op.Exchange) and by
// the adapter on the same provider. op is op's decision ("ok", or "TYPE
// STATUS" from its JSON), adapter the adapter's ("ok", or "CODE STATUS
// [DETAIL]"); an empty adapter is op's error type mapped to the contract,
// with its status; otherwise why says why it differs.
type tokenRow struct {
	name   string
	method string // "" is POST
	form   func(g grants) string
	basic  [2]string

	op, adapter, why string
}

func tokenRows() []tokenRow {
	demo := [2]string{app.ClientID, app.ClientSecret}
	code := func(g grants) string {
		return "grant_type=authorization_code&code=" + url.QueryEscape(g.code) + "&redirect_uri=" + url.QueryEscape(app.RedirectURI)
	}
	refresh := func(token string) string { return "grant_type=refresh_token&refresh_token=" + url.QueryEscape(token) }
	return []tokenRow{
		{name: "code", form: code, basic: demo, op: "ok"},
		{name: "code, client_secret_post", form: func(g grants) string { return code(g) + "&client_id=demo&client_secret=demo-secret" }, op: "ok"},
		{name: "code, PKCE", form: func(g grants) string {
			return "grant_type=authorization_code&code=" + url.QueryEscape(g.pkceCode) + "&redirect_uri=" + url.QueryEscape(app.RedirectURI) + "&code_verifier=" + pkceVerifier
		}, basic: demo, op: "ok"},
		{name: "code, PKCE, wrong verifier", form: func(g grants) string {
			return "grant_type=authorization_code&code=" + url.QueryEscape(g.pkceCode) + "&redirect_uri=" + url.QueryEscape(app.RedirectURI) + "&code_verifier=" + strings.Repeat("a", 43)
		}, basic: demo, op: "invalid_grant 400"},
		{name: "code, PKCE, no verifier", form: func(g grants) string {
			return "grant_type=authorization_code&code=" + url.QueryEscape(g.pkceCode) + "&redirect_uri=" + url.QueryEscape(app.RedirectURI)
		}, basic: demo, op: "invalid_request 400"},
		{name: "code, other redirect_uri", form: func(g grants) string {
			return "grant_type=authorization_code&code=" + url.QueryEscape(g.code) + "&redirect_uri=" + url.QueryEscape(app.RedirectURI+"/x")
		}, basic: demo, op: "invalid_grant 400"},
		{name: "code of another client", form: func(g grants) string {
			return "grant_type=authorization_code&code=" + url.QueryEscape(g.otherCode) + "&redirect_uri=" + url.QueryEscape(app.RedirectURI)
		}, basic: demo, op: "invalid_grant 400"},
		{name: "unknown code", form: func(grants) string {
			return "grant_type=authorization_code&code=nope&redirect_uri=" + url.QueryEscape(app.RedirectURI)
		}, basic: demo, op: "invalid_grant 400"},
		{name: "no code", form: func(grants) string {
			return "grant_type=authorization_code&redirect_uri=" + url.QueryEscape(app.RedirectURI)
		}, basic: demo, op: "invalid_request 400"},
		{name: "code, no client", form: code, op: "invalid_client 401",
			adapter: "unauthorized_client 400", why: "the contract's reason: missing client id"},
		{name: "code, unknown client", form: code, basic: [2]string{"nope", "x"}, op: "invalid_client 401",
			adapter: "unauthorized_client 400 client_id_not_found", why: "the contract's reason: client id not found"},
		{name: "code, wrong secret", form: code, basic: [2]string{app.ClientID, "wrong"}, op: "invalid_client 401",
			adapter: "unauthorized_client 400", why: "the contract's reason: invalid client secret"},
		{name: "unknown code, wrong secret", form: func(grants) string {
			return "grant_type=authorization_code&code=nope&redirect_uri=" + url.QueryEscape(app.RedirectURI)
		}, basic: [2]string{app.ClientID, "wrong"}, op: "invalid_grant 400",
			adapter: "unauthorized_client 400", why: "the client is authenticated before the code is looked up (op looks the code up first), so a stranger learns nothing of codes"},
		{name: "no grant_type", form: func(grants) string { return "code=x" }, basic: demo, op: "invalid_request 400"},
		{name: "client_credentials", form: func(grants) string { return "grant_type=client_credentials" }, basic: demo, op: "invalid_client 401",
			adapter: "unsupported_grant_type 400", why: "the adapter serves authorization_code and refresh_token only (op serves the grants its Storage implements)"},
		{name: "jwt-bearer", form: func(grants) string {
			return "grant_type=" + url.QueryEscape(string(oidc.GrantTypeBearer)) + "&assertion=x"
		}, basic: demo, op: "invalid_request 400",
			adapter: "unsupported_grant_type 400", why: "the adapter serves authorization_code and refresh_token only"},
		{name: "device_code", form: func(grants) string {
			return "grant_type=" + url.QueryEscape(string(oidc.GrantTypeDeviceCode)) + "&device_code=x"
		}, basic: demo, op: "access_denied 400",
			adapter: "unsupported_grant_type 400", why: "the adapter serves authorization_code and refresh_token only"},
		{name: "unknown grant_type", form: func(grants) string { return "grant_type=magic" }, basic: demo, op: "unsupported_grant_type 400"},
		{name: "code, GET", method: http.MethodGet, form: code, basic: demo, op: "ok",
			adapter: "invalid_request 400", why: "the contract's reason: wrong HTTP method (op reads the query of a GET)"},
		{name: "code, grant_type twice", form: func(g grants) string { return code(g) + "&grant_type=authorization_code" }, basic: demo, op: "ok",
			adapter: "invalid_request 400", why: "the contract's reason: a parameter given more than once (op takes the first)"},
		{name: "refresh", form: func(g grants) string { return refresh(g.refresh) }, basic: demo, op: "ok"},
		{name: "refresh, fewer scopes", form: func(g grants) string { return refresh(g.refresh) + "&scope=openid" }, basic: demo, op: "ok"},
		{name: "refresh, a scope not granted", form: func(g grants) string { return refresh(g.refresh) + "&scope=openid+email" }, basic: demo, op: "invalid_scope 400"},
		{name: "refresh, unknown token", form: func(grants) string { return refresh("nope") }, basic: demo, op: "invalid_grant 400",
			adapter: "unauthorized_client 400", why: "the contract's reason: refresh token not found"},
		{name: "refresh of another client", form: func(g grants) string { return refresh(g.otherRefresh) }, basic: demo, op: "invalid_grant 400",
			adapter: "invalid_client 401", why: "the contract's reason: using a refresh token with a wrong client id is invalid_client"},
		{name: "refresh, wrong secret", form: func(g grants) string { return refresh(g.refresh) }, basic: [2]string{app.ClientID, "wrong"}, op: "invalid_client 401",
			adapter: "unauthorized_client 400", why: "the contract's reason: invalid client secret"},
		{name: "refresh, no client", form: func(g grants) string { return refresh(g.refresh) }, op: "server_error 500",
			adapter: "unauthorized_client 400", why: "the contract's reason: missing client id (op looks up the empty id and answers the Storage's failure)"},
	}
}

// TestParity_Token serves every row by op alone (op.Exchange) and by the
// adapter on the same provider and compares the decisions: a token answer
// or a refusal, and op's error type mapped to the contract.
func TestParity_Token(t *testing.T) {
	logTo(t, slog.DiscardHandler)

	store := app.NewStorage(parityIssuer, testClients())
	p := newProvider(t, parityIssuer, store)
	issuer := op.NewIssuerInterceptor(p.IssuerFromRequest)
	a, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: p})
	require.NoError(t, err)
	rc, err := middleware.New(middleware.Config{Render: pages, Observer: middleware.Quiet})
	require.NoError(t, err)
	library := issuer.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { op.Exchange(w, r, p) })
	adapter := issuer.Handler(rc.JSON(a.Token()))

	send := func(h http.Handler, method, form string, basic [2]string) *httptest.ResponseRecorder {
		var req *http.Request
		if method == http.MethodGet {
			req = httptest.NewRequest(method, parityIssuer+"/oauth/token?"+form, nil)
		} else {
			req = httptest.NewRequest(method, parityIssuer+"/oauth/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if basic[0] != "" {
			req.SetBasicAuth(basic[0], basic[1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	// newCode is a code of a signed-in auth request of client.
	newCode := func(client, challenge string, scopes ...string) string {
		authReq := &oidc.AuthRequest{ClientID: client, RedirectURI: app.RedirectURI, ResponseType: oidc.ResponseTypeCode,
			Scopes: scopes, State: "st", CodeChallenge: challenge}
		if challenge != "" {
			authReq.CodeChallengeMethod = oidc.CodeChallengeMethodS256
		}
		stored, err := store.CreateAuthRequest(t.Context(), authReq, "")
		require.NoError(t, err)
		require.NoError(t, store.CheckUsernamePassword("test-user@op.example", password, stored.GetID()))
		code, err := op.CreateAuthRequestCode(t.Context(), stored, store, p.Crypto())
		require.NoError(t, err)
		return code
	}
	// newRefresh is a refresh token of client, from a code exchanged by op.
	newRefresh := func(client, secret string) string {
		rec := send(library, http.MethodPost, "grant_type=authorization_code&code="+url.QueryEscape(newCode(client, "", "openid", "profile", "offline_access"))+
			"&redirect_uri="+url.QueryEscape(app.RedirectURI), [2]string{client, secret})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var res struct {
			RefreshToken string `json:"refresh_token"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
		require.NotEmpty(t, res.RefreshToken)
		return res.RefreshToken
	}
	fresh := func() grants {
		return grants{
			code: newCode(app.ClientID, "", "openid", "profile"), pkceCode: newCode(app.ClientID, pkceChallenge, "openid"),
			otherCode: newCode("other", "", "openid"), refresh: newRefresh(app.ClientID, app.ClientSecret),
			otherRefresh: newRefresh("other", "other-secret"),
		}
	}

	rows := tokenRows()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			method := row.method
			if method == "" {
				method = http.MethodPost
			}
			opRec := send(library, method, row.form(fresh()), row.basic)
			opDecision := tokenDecision(t, opRec)
			assert.Equal(t, row.op, opDecision, "op's own decision")

			adRec := send(adapter, method, row.form(fresh()), row.basic)
			adDecision := tokenDecision(t, adRec)
			want := "ok"
			if opDecision != "ok" {
				typ, _, _ := strings.Cut(opDecision, " ")
				oe := new(oidc.Error)
				setString(&oe.ErrorType, typ)
				e := zitadelauthredirect.Map(oe)
				want = strings.TrimSpace(e.Code().Name() + " " + strconv.Itoa(e.Code().HTTPStatus()) + " " + e.Detail().Name())
			}
			if row.adapter != "" {
				require.NotEmpty(t, row.why, "a row where the adapter differs says why")
				require.NotEqual(t, want, row.adapter, "a row that does not differ needs no why")
				want = row.adapter
			}
			assert.Equal(t, want, adDecision, "the adapter's decision")
			if adDecision != "ok" {
				assert.Equal(t, "no-store", adRec.Header().Get("Cache-Control"))
			}
		})
	}
}

// tokenDecision reads a token answer: "ok" for tokens, else the error
// type, the status and, when given, exception_details.
func tokenDecision(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	if rec.Code == http.StatusOK {
		require.NotEmpty(t, body["access_token"])
		return "ok"
	}
	detail, _ := body["exception_details"].(string)
	return strings.TrimSpace(body["error"].(string) + " " + strconv.Itoa(rec.Code) + " " + detail)
}
