package zitadelauthredirect_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
	"github.com/authredirect/authredirect/zitadelauthredirect"
	"github.com/authredirect/authredirect/zitadelauthredirect/example/app"
)

// parityIssuer is the issuer of the parity providers; request objects name
// it as their audience.
const parityIssuer = "http://op.example"

// parityStore is zitadel's example storage (its CreateAuthRequest answers
// prompt=none with oidc.ErrLoginRequired) with the example's typed
// not-found lookups; it records the request it stores, fails as a row
// says, and knows the key request objects of the demo client are signed
// with.
type parityStore struct {
	*app.Storage
	key                  *rsa.PublicKey
	clientErr, createErr error

	stored *oidc.AuthRequest
	userID string
}

func (s *parityStore) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if s.clientErr != nil {
		return nil, s.clientErr
	}
	return s.Storage.GetClientByClientID(ctx, id)
}

func (s *parityStore) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if s.createErr != nil {
		return nil, s.createErr
	}
	stored, err := s.Storage.CreateAuthRequest(ctx, r, userID)
	if err == nil {
		c := *r
		s.stored, s.userID = &c, userID
	}
	return stored, err
}

func (s *parityStore) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if keyID == "ro" && clientID == app.ClientID {
		return &jose.JSONWebKey{KeyID: keyID, Use: "sig", Algorithm: string(jose.RS256), Key: s.key}, nil
	}
	return s.Storage.GetKeyByIDAndClientID(ctx, keyID, clientID)
}

// pkceRequired is a provider with a check of its own through op's
// extension point (op.AuthorizeValidator): a request without PKCE is
// refused, any other is validated as op does.
type pkceRequired struct{ *op.Provider }

func (pkceRequired) ValidateAuthRequest(ctx context.Context, authReq *oidc.AuthRequest, s op.Storage, v *op.IDTokenHintVerifier) (string, error) {
	if authReq.CodeChallenge == "" {
		return "", oidc.ErrInvalidRequest().WithDescription("PKCE is required")
	}
	client, err := s.GetClientByClientID(ctx, authReq.ClientID)
	if err != nil {
		return "", oidc.ErrInvalidRequestRedirectURI().WithParent(err)
	}
	return op.ValidateAuthRequestClient(ctx, authReq, client, v)
}

// opErrors is a log handler that keeps the last *oidc.Error op logged: op's
// typed decision, also where op answers with a plain-text 400.
type opErrors struct{ last *oidc.Error }

func (h *opErrors) Enabled(context.Context, slog.Level) bool { return true }
func (h *opErrors) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *opErrors) WithGroup(string) slog.Handler            { return h }
func (h *opErrors) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if e, ok := a.Value.Any().(*oidc.Error); ok && a.Key == "oidc_error" {
			h.last = e
		}
		return true
	})
	return nil
}

// signRequestObject signs claims as a request object of the demo client
// with key, under the key id kid.
func signRequestObject(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	sig, err := signer.Sign(payload)
	require.NoError(t, err)
	s, err := sig.CompactSerialize()
	require.NoError(t, err)
	return s
}

// objectClaims are the claims of a good request object of the demo client;
// set overrides some (nil deletes one).
func objectClaims(set map[string]any) map[string]any {
	c := map[string]any{
		"iss": app.ClientID, "client_id": app.ClientID, "aud": []string{parityIssuer},
		"response_type": "code", "redirect_uri": app.RedirectURI, "scope": "openid email",
		"state": "from-object", "nonce": "n-object",
	}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// parityRow is one request served by op alone and by the adapter on the
// same provider. op is op's decision, read from op's answer and the error
// it logged: "login" (stored, sent to the login UI), "client TYPE" (sent to
// the client's redirect_uri with error=TYPE) or "refused TYPE" (a 400 at the
// endpoint). adapter is the adapter's, read from its answer: "login",
// "client TYPE" or "page CODE [DETAIL]" (the contract's error page). When
// adapter is empty it is derived from op's decision by the contract's
// routing alone (see wantAdapter); otherwise why says why it differs.
type parityRow struct {
	name     string
	provider string // "" op's defaults, "validator" pkceRequired, "objects" request objects read
	method   string // "" is GET
	set      map[string]string
	raw      string // appended to the query
	object   map[string]any
	kid      string // the request object's key id; "" is "ro"
	toPage   bool   // Config.PromptErrorsToErrorPage
	client   error  // GetClientByClientID fails with it
	create   error  // CreateAuthRequest fails with it

	op, adapter, why string
}

func parityRows() []parityRow {
	pkce := map[string]string{"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
	with := func(m map[string]string, k, v string) map[string]string {
		c := map[string]string{k: v}
		for mk, mv := range m {
			if mk != k {
				c[mk] = mv
			}
		}
		return c
	}
	return []parityRow{
		// What op lets through.
		{name: "valid", op: "login"},
		{name: "valid, POST", method: http.MethodPost, op: "login"},
		{name: "prompt=login", set: map[string]string{"prompt": "login"}, op: "login"},
		{name: "prompt=consent", set: map[string]string{"prompt": "consent"}, op: "login"},
		{name: "prompt=select_account", set: map[string]string{"prompt": "select_account"}, op: "login"},
		{name: "prompt=create", set: map[string]string{"prompt": "create"}, op: "login"},
		{name: "prompt unknown", set: map[string]string{"prompt": "bogus"}, op: "login"},
		{name: "prompt=login consent", set: map[string]string{"prompt": "login consent"}, op: "login"},
		{name: "max_age", set: map[string]string{"max_age": "60"}, op: "login"},
		{name: "nonce and login_hint", set: map[string]string{"nonce": "n-1", "login_hint": "someone"}, op: "login"},
		{name: "PKCE S256", set: pkce, op: "login"},
		{name: "PKCE plain", set: with(pkce, "code_challenge_method", "plain"), op: "login"},
		{name: "PKCE without a method", set: with(pkce, "code_challenge_method", ""), op: "login"},
		{name: "native client, loopback on another port", set: map[string]string{"client_id": "native", "redirect_uri": "http://127.0.0.1:5555/cb"}, op: "login"},
		{name: "response_mode=form_post", set: map[string]string{"response_mode": "form_post"}, op: "login"},

		// prompt=none: zitadel's example storage answers login_required.
		{name: "prompt=none", set: map[string]string{"prompt": "none"}, op: "client login_required"},
		{name: "prompt=none, POST", method: http.MethodPost, set: map[string]string{"prompt": "none"}, op: "client login_required"},
		{name: "prompt=none, no state", set: map[string]string{"prompt": "none", "state": ""}, op: "client login_required"},
		{name: "prompt=none, response_mode=fragment", set: map[string]string{"prompt": "none", "response_mode": "fragment"}, op: "client login_required"},
		{name: "prompt=none, native client", set: map[string]string{"prompt": "none", "client_id": "native", "redirect_uri": nativeRedirect}, op: "client login_required"},
		{name: "prompt=none, PKCE", set: with(pkce, "prompt", "none"), op: "client login_required"},
		{name: "prompt=none, to the error page", set: map[string]string{"prompt": "none"}, toPage: true, op: "client login_required"},
		{name: "prompt=none login", set: map[string]string{"prompt": "none login"}, op: "client invalid_request"},
		{name: "id_token_hint not a token", set: map[string]string{"id_token_hint": "not-a-token"}, op: "client login_required"},
		{name: "id_token_hint not a token, to the error page", set: map[string]string{"id_token_hint": "not-a-token"}, toPage: true, op: "client login_required"},

		// What op refuses, to the client.
		{name: "PKCE method S512", set: with(pkce, "code_challenge_method", "S512"), op: "client invalid_request"},
		{name: "no response_type", set: map[string]string{"response_type": ""}, op: "client invalid_request"},
		{name: "no scope", set: map[string]string{"scope": ""}, op: "client invalid_request"},
		{name: "request object, not read", set: map[string]string{"request": "eyJhbGciOiJub25lIn0.e30."}, op: "client request_not_supported"},
		{name: "response_type id_token, not the client's", set: map[string]string{"client_id": "native", "redirect_uri": nativeRedirect, "response_type": "id_token"}, op: "client unauthorized_client"},
		{name: "response_type token", set: map[string]string{"response_type": "token"}, op: "client unauthorized_client",
			adapter: "page unsupported_response_type", why: "the contract's reason: a response type other than code or token (op cannot answer token alone) is unsupported_response_type"},
		{name: "response_type unknown", set: map[string]string{"response_type": "magic"}, op: "client unauthorized_client",
			adapter: "page unsupported_response_type", why: "the contract's reason: a response type that is not code or token is unsupported_response_type"},

		// What op refuses at the endpoint.
		{name: "max_age not a number", set: map[string]string{"max_age": "soon"}, op: "refused invalid_request"},
		{name: "unknown client", set: map[string]string{"client_id": "nope"}, op: "refused invalid_request",
			adapter: "page unauthorized_client client_id_not_found", why: "the contract's reason: client id not found"},
		{name: "no client_id", set: map[string]string{"client_id": ""}, op: "refused server_error",
			adapter: "page unauthorized_client", why: "the contract's reason: missing client id (op's is a plain error, hence server_error)"},
		{name: "no redirect_uri", set: map[string]string{"redirect_uri": ""}, op: "refused server_error",
			adapter: "page invalid_request", why: "a missing parameter is the contract's invalid_request (op's is a plain error, hence server_error)"},
		{name: "foreign redirect_uri", set: map[string]string{"redirect_uri": "https://evil.example/cb"}, op: "refused invalid_request",
			adapter: "page unauthorized_client invalid_redirect_uri", why: "the contract's reason: invalid redirect uri"},
		{name: "client without redirect URI", set: map[string]string{"client_id": "unconfigured"}, op: "refused invalid_request",
			adapter: "page unauthorized_client redirect_uri_not_set", why: "the contract's reason: the client has not set a redirect uri"},

		// Where the contract refuses what op lets through.
		{name: "unknown scope", set: map[string]string{"scope": "openid admin"}, op: "login",
			adapter: "page invalid_scope", why: "the contract's reason: scope not found (op drops it; Config.DropUnknownScopes keeps op's policy)"},
		{name: "client_id twice", raw: "&client_id=demo", op: "login",
			adapter: "page invalid_request", why: "the contract's reason: a parameter given more than once (op takes the first)"},
		{name: "PUT", method: http.MethodPut, op: "login",
			adapter: "page invalid_request", why: "the contract's reason: wrong HTTP method (op.Authorize does not look at the method)"},

		// Storages that answer with the library's errors.
		{name: "CreateAuthRequest: access_denied", create: oidc.ErrAccessDenied(), op: "client access_denied"},
		{name: "CreateAuthRequest: consent_required", create: &oidc.Error{ErrorType: "consent_required"}, op: "client consent_required"},
		{name: "CreateAuthRequest: interaction_required", create: oidc.ErrInteractionRequired(), op: "client interaction_required"},
		{name: "CreateAuthRequest: account_selection_required", create: &oidc.Error{ErrorType: "account_selection_required"}, op: "client account_selection_required"},
		{name: "CreateAuthRequest: login_required, to the error page", create: oidc.ErrLoginRequired().WithDescription(secretCause), toPage: true, op: "client login_required"},
		{name: "CreateAuthRequest: temporarily_unavailable", create: &oidc.Error{ErrorType: "temporarily_unavailable", Description: secretCause}, op: "client temporarily_unavailable"},
		{name: "CreateAuthRequest: invalid_request, no redirect", create: oidc.ErrInvalidRequestRedirectURI(), op: "refused invalid_request"},
		{name: "CreateAuthRequest: server_error", create: oidc.ErrServerError().WithParent(errDown), op: "client server_error"},
		{name: "CreateAuthRequest: a plain error", create: errDown, op: "client server_error"},
		{name: "GetClientByClientID: unauthorized_client", client: oidc.ErrUnauthorizedClient(), op: "refused invalid_request",
			adapter: "page unauthorized_client", why: "the Storage's own error type is kept (op wraps it in invalid_request)"},
		{name: "GetClientByClientID: a plain error", client: errDown, op: "refused invalid_request",
			adapter: "page server_error", why: "the contract's reason: server storage down (op wraps it in invalid_request)"},

		// A provider with a check of its own (op.AuthorizeValidator).
		{name: "validator: no PKCE", provider: "validator", op: "client invalid_request"},
		{name: "validator: no PKCE, prompt=none", provider: "validator", set: map[string]string{"prompt": "none"}, op: "client invalid_request"},
		{name: "validator: PKCE", provider: "validator", set: pkce, op: "login"},
		{name: "validator: PKCE, prompt=none", provider: "validator", set: with(pkce, "prompt", "none"), op: "client login_required"},
		{name: "validator: PKCE S512", provider: "validator", set: with(pkce, "code_challenge_method", "S512"), op: "client invalid_request"},
		{name: "validator: PKCE, foreign redirect_uri", provider: "validator", set: with(pkce, "redirect_uri", "https://evil.example/cb"), op: "refused invalid_request"},
		{name: "validator: PKCE, unknown client", provider: "validator", set: with(pkce, "client_id", "nope"), op: "refused invalid_request"},
		{name: "validator: PKCE, unknown scope", provider: "validator", set: with(pkce, "scope", "openid admin"), op: "login"},

		// Request objects (op.Config.RequestObjectSupported).
		{name: "request object", provider: "objects", object: objectClaims(nil), op: "login"},
		{name: "request object, PKCE inside", provider: "objects", object: objectClaims(map[string]any{"code_challenge": pkce["code_challenge"], "code_challenge_method": "S256"}), op: "login"},
		{name: "request object, prompt=none inside", provider: "objects", object: objectClaims(map[string]any{"prompt": "none"}), op: "client login_required"},
		{name: "request object, foreign redirect_uri inside", provider: "objects", object: objectClaims(map[string]any{"redirect_uri": "https://evil.example/cb"}), op: "refused invalid_request",
			adapter: "page unauthorized_client invalid_redirect_uri", why: "the contract's reason: invalid redirect uri"},
		{name: "request object, another client", provider: "objects", object: objectClaims(map[string]any{"client_id": "other"}), op: "refused invalid_request"},
		{name: "request object, wrong audience", provider: "objects", object: objectClaims(map[string]any{"aud": []string{"http://elsewhere.example"}}), op: "refused invalid_request"},
		{name: "request object, unknown key", provider: "objects", object: objectClaims(nil), kid: "nope", op: "refused invalid_request"},
		{name: "request object, not a JWT", provider: "objects", set: map[string]string{"request": "not-a-jwt"}, op: "refused invalid_request"},
	}
}

// wantAdapter is the adapter's decision for op's by the contract's routing
// alone: what op lets through goes on; OpenID Connect's answers that need
// the user go to the client as op sends them (unless toPage: the error
// page); every other error goes to the error page with op's error type
// mapped to the contract's code.
func wantAdapter(opDecision string, toPage bool) string {
	if opDecision == "login" {
		return opDecision
	}
	_, typ, _ := strings.Cut(opDecision, " ")
	switch typ {
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		if !toPage && strings.HasPrefix(opDecision, "client ") {
			return opDecision
		}
	}
	oe := new(oidc.Error)
	setString(&oe.ErrorType, typ)
	e := zitadelauthredirect.Map(oe)
	return strings.TrimSpace("page " + e.Code().Name() + " " + e.Detail().Name())
}

// setString sets a string-typed value (oidc's error type is unexported).
func setString[T ~string](p *T, s string) { *p = T(s) }

// TestParity_Authorize serves every row by op alone (op.Authorize) and by
// the adapter on the same provider and storage, and compares the
// decisions: let through or refused, op's error type before the contract's
// mapping, whether the browser goes to the client's redirect_uri, and the
// request stored.
func TestParity_Authorize(t *testing.T) {
	logs := &opErrors{}
	logTo(t, logs)

	signing, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	store := &parityStore{Storage: app.NewStorage(parityIssuer, testClients()), key: &signing.PublicKey}
	providers := map[string]zitadelauthredirect.Provider{
		"":          newProvider(t, parityIssuer, store),
		"validator": pkceRequired{newProvider(t, parityIssuer, store)},
		"objects":   newProvider(t, parityIssuer, store, func(c *op.Config) { c.RequestObjectSupported = true }),
	}
	rc, err := middleware.New(middleware.Config{Render: pages, Observer: middleware.Quiet})
	require.NoError(t, err)

	rows := parityRows()
	require.GreaterOrEqual(t, len(rows), 40)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			p := providers[row.provider]
			issuer := op.NewIssuerInterceptor(p.(interface{ IssuerFromRequest(*http.Request) string }).IssuerFromRequest)
			a, err := zitadelauthredirect.New(zitadelauthredirect.Config{Provider: p, PromptErrorsToErrorPage: row.toPage})
			require.NoError(t, err)
			library := issuer.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { op.Authorize(w, r, p) })
			adapter := issuer.Handler(rc.Authorization(a.Authorize()))

			set := row.set
			if row.object != nil {
				kid := row.kid
				if kid == "" {
					kid = "ro"
				}
				key := signing
				if kid != "ro" {
					key = stranger
				}
				set = map[string]string{"request": signRequestObject(t, key, kid, row.object), "scope": "openid"}
			}
			query := authorizeQuery(set) + row.raw
			redirectURI, _ := url.ParseQuery(query)
			serve := func(h http.Handler) (*httptest.ResponseRecorder, *oidc.AuthRequest, string) {
				store.stored, store.userID, logs.last = nil, "", nil
				store.clientErr, store.createErr = row.client, row.create
				defer func() { store.clientErr, store.createErr = nil, nil }()
				var req *http.Request
				switch row.method {
				case "", http.MethodGet:
					req = httptest.NewRequest(http.MethodGet, parityIssuer+"/oauth/authorize?"+query, nil)
				default:
					req = httptest.NewRequest(row.method, parityIssuer+"/oauth/authorize", strings.NewReader(query))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec, store.stored, store.userID
			}

			opRec, opStored, opUser := serve(library)
			opDecision := decision(t, opRec, logs.last, redirectURI.Get("redirect_uri"), false)
			assert.Equal(t, row.op, opDecision, "op's own decision")

			adRec, adStored, adUser := serve(adapter)
			adDecision := decision(t, adRec, nil, redirectURI.Get("redirect_uri"), true)
			want := wantAdapter(opDecision, row.toPage)
			if row.adapter != "" {
				require.NotEmpty(t, row.why, "a row where the adapter differs says why")
				require.NotEqual(t, want, row.adapter, "a row that does not differ needs no why")
				want = row.adapter
			}
			assert.Equal(t, want, adDecision, "the adapter's decision")

			// Only what op lets through may be stored, and it is stored alike.
			if opDecision == "login" && adDecision == "login" {
				require.NotNil(t, opStored)
				assert.Equal(t, opStored, adStored, "the stored request")
				assert.Equal(t, opUser, adUser)
			}
			if adDecision != "login" {
				assert.Nil(t, adStored, "a refused request is not stored")
			}
			// The browser goes to the client's redirect_uri only where op
			// sends it there, with op's parameters but its description.
			if strings.HasPrefix(adDecision, "client ") {
				require.True(t, strings.HasPrefix(opDecision, "client "))
				assert.Equal(t, withoutDescription(t, opRec.Header().Get("Location")), adRec.Header().Get("Location"))
			}
			assert.NotContains(t, adRec.Header().Get("Location"), "hunter2")
			assert.NotContains(t, adRec.Body.String(), "hunter2")
		})
	}
}

// decision reads a decision from an answer (see parityRow); logged is what
// op logged, for its answers at the endpoint. adapter says the answer is
// the adapter's: every redirect of its own is then a 303 with the
// contract's headers and no body.
func decision(t *testing.T, rec *httptest.ResponseRecorder, logged *oidc.Error, redirectURI string, adapter bool) string {
	t.Helper()
	loc := rec.Header().Get("Location")
	if rec.Code == http.StatusFound && strings.HasPrefix(loc, "/?authRequestID=") {
		return "login"
	}
	if !adapter && rec.Code == http.StatusBadRequest {
		require.NotNil(t, logged, "op logs the error it answers")
		return "refused " + string(logged.ErrorType)
	}
	if adapter {
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.Equal(t, "no-cache", rec.Header().Get("Pragma"))
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
		assert.Empty(t, rec.Body.String())
		if q, ok := strings.CutPrefix(loc, "/ooops?"); ok {
			e, err := render.ParseQuery(q)
			require.NoError(t, err)
			require.NotNil(t, e)
			return strings.TrimSpace("page " + e.Code().Name() + " " + e.Detail().Name())
		}
	} else {
		require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	}
	u, err := url.Parse(loc)
	require.NoError(t, err)
	params := u.Query()
	if u.RawFragment != "" || u.Fragment != "" {
		params, err = url.ParseQuery(u.EscapedFragment())
		require.NoError(t, err)
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	require.Equal(t, redirectURIBase(redirectURI), u.String(), "sent to the client's redirect_uri")
	return "client " + params.Get("error")
}

// redirectURIBase is a redirect_uri without query or fragment.
func redirectURIBase(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u.String()
}

// withoutDescription is op's Location to the client without
// error_description, the one parameter the adapter leaves out.
func withoutDescription(t *testing.T, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	require.NoError(t, err)
	if f := u.EscapedFragment(); f != "" {
		v, err := url.ParseQuery(f)
		require.NoError(t, err)
		v.Del("error_description")
		u.RawFragment = v.Encode()
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
		return u.String()
	}
	v := u.Query()
	v.Del("error_description")
	u.RawQuery = v.Encode()
	return u.String()
}
