package fositeauthredirect_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/justinas/alice"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

const (
	demoRedirect = "http://localhost:8081/callback"
	demoSecret   = "demo-secret"
	// The hint and debug text the tests give fosite's errors: never on the wire.
	secretHint  = "hint-never-on-the-wire"
	secretDebug = "debug-never-on-the-wire"
)

// rsaKey signs ID tokens; one key for the whole test binary, since making
// one is slow.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// hash is the bcrypt hash of secret at the lowest cost, so that the tests
// spend no time on it.
func hash(t testing.TB, secret string) []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	require.NoError(t, err)
	return h
}

// failingStore is fosite's memory store whose client "broken" cannot be read
// (the storage is down) and whose client "panicky" panics the storage.
type failingStore struct {
	*storage.MemoryStore
}

var errStorageDown = errors.New("storage down: dial tcp 10.0.0.1:5432: connection refused")

func (s failingStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	switch id {
	case "broken":
		return nil, errStorageDown
	case "panicky":
		panic("storage driver: nil map")
	}
	return s.MemoryStore.GetClient(ctx, id)
}

// newStore is fosite's memory store with the clients the tests use.
func newStore(t testing.TB) failingStore {
	s := storage.NewMemoryStore()
	secret := hash(t, demoSecret)
	s.Clients["demo"] = &fosite.DefaultClient{
		ID: "demo", Secret: secret,
		RedirectURIs:  []string{demoRedirect},
		ResponseTypes: []string{"code", "token", "id_token", "code id_token", "id_token token"},
		GrantTypes:    []string{"authorization_code", "refresh_token", "implicit"},
		Scopes:        []string{"openid", "profile", "offline"},
	}
	s.Clients["svc"] = &fosite.DefaultClient{
		ID: "svc", Secret: secret,
		GrantTypes: []string{"client_credentials"},
		Scopes:     []string{"read"},
	}
	s.Clients["nooffline"] = &fosite.DefaultClient{
		ID: "nooffline", Secret: secret,
		RedirectURIs:  []string{demoRedirect},
		ResponseTypes: []string{"code"},
		GrantTypes:    []string{"authorization_code", "refresh_token"},
		Scopes:        []string{"openid", "profile"},
	}
	s.Clients["public"] = &fosite.DefaultClient{
		ID: "public", Public: true,
		RedirectURIs:  []string{"http://app.example/callback"},
		ResponseTypes: []string{"code"},
		GrantTypes:    []string{"authorization_code"},
		Scopes:        []string{"openid"},
	}
	s.Clients["noredirect"] = &fosite.DefaultClient{
		ID: "noredirect", Secret: secret,
		ResponseTypes: []string{"code"},
		GrantTypes:    []string{"authorization_code"},
		Scopes:        []string{"openid"},
	}
	s.Clients["noimplicit"] = &fosite.DefaultClient{
		ID: "noimplicit", Secret: secret,
		RedirectURIs:  []string{demoRedirect},
		ResponseTypes: []string{"token"},
		GrantTypes:    []string{"authorization_code"},
		Scopes:        []string{"openid"},
	}
	s.Clients["oidc"] = &fosite.DefaultOpenIDConnectClient{
		DefaultClient: &fosite.DefaultClient{
			ID: "oidc", Secret: secret,
			RedirectURIs:  []string{demoRedirect},
			ResponseTypes: []string{"code"},
			GrantTypes:    []string{"authorization_code"},
			Scopes:        []string{"openid"},
		},
		JSONWebKeys:                   &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &rsaKey().PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}},
		RequestObjectSigningAlgorithm: "RS256",
	}
	return failingStore{s}
}

// newProvider is fosite with every handler enabled over store. It refuses
// scopes a client is not registered with, matched exactly, and is told to
// send its debug text to clients, so that the tests prove the adapter
// keeps it off the wire even then.
func newProvider(store fosite.Storage) fosite.OAuth2Provider {
	config := &fosite.Config{
		GlobalSecret:               []byte("a-32-byte-secret-for-hmac-tokens"),
		ScopeStrategy:              fosite.ExactScopeStrategy,
		SendDebugMessagesToClients: true,
	}
	return compose.ComposeAllEnabled(config, store, rsaKey())
}

// newSession is the session of user u-jane, who signed in an hour before
// this request.
func newSession() *openid.DefaultSession {
	now := time.Now().UTC()
	return &openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{Subject: "u-jane", AuthTime: now.Add(-time.Hour), RequestedAt: now},
		Headers: &jwt.Headers{},
		Subject: "u-jane",
	}
}

// decisions are what the application itself answers, on the header
// X-Decision, between fosite's parsing of a request and its response: the
// errors an application built on fosite returns, hint and debug included.
var decisions = map[string]error{
	"deny":        fosite.ErrAccessDenied.WithHint(secretHint).WithDebug(secretDebug),
	"unavailable": fosite.ErrTemporarilyUnavailable.WithHint(secretHint).WithDebug(secretDebug),
	"interaction": fosite.ErrInteractionRequired.WithHint(secretHint).WithDebug(secretDebug),
	"consent":     fosite.ErrConsentRequired.WithHint(secretHint).WithDebug(secretDebug),
	"account": &fosite.RFC6749Error{ErrorField: "account_selection_required", CodeField: http.StatusBadRequest,
		DescriptionField: secretHint, HintField: secretHint, DebugField: secretDebug},
	"custom4xx": &fosite.RFC6749Error{ErrorField: "app_rule", CodeField: http.StatusBadRequest, HintField: secretHint},
	"custom5xx": &fosite.RFC6749Error{ErrorField: "app_outage", CodeField: http.StatusBadGateway, HintField: secretHint},
	"plain":     errors.New(secretDebug),
}

// decision is the application's answer to r: one of decisions by name, or
// one of fositeErrors by index (header X-Fosite-Error), as an application
// returns it, with a hint and debug text.
func decision(r *http.Request) error {
	if i, err := strconv.Atoi(r.Header.Get("X-Fosite-Error")); err == nil {
		return fositeErrors[i].value.WithHint(secretHint).WithDebug(secretDebug)
	}
	return decisions[r.Header.Get("X-Decision")]
}

// events hands the observer's events to the tests by the request's X-Row
// header. The observer runs after the answer is written, so a test may read
// the answer first: get waits for the event.
type events struct{ m sync.Map }

func (e *events) ch(row string) chan middleware.Event {
	c, _ := e.m.LoadOrStore(row, make(chan middleware.Event, 1))
	return c.(chan middleware.Event)
}

func (e *events) observe(ev middleware.Event) {
	select {
	case e.ch(ev.Request.Header.Get("X-Row")) <- ev:
	default: // a row observed twice keeps its first event
	}
}

func (e *events) get(row string) (middleware.Event, bool) {
	select {
	case ev := <-e.ch(row):
		return ev, true
	case <-time.After(10 * time.Second):
		return middleware.Event{}, false
	}
}

// testServer is a fosite authorization server whose authorize and token
// endpoints answer through the adapter, as README wires them.
type testServer struct {
	*httptest.Server
	provider fosite.OAuth2Provider
	events   *events
}

func newServer(t testing.TB, cfg fositeauthredirect.Config) *testServer {
	t.Helper()
	store := newStore(t)
	provider := newProvider(store)
	ev := &events{}
	rc, err := middleware.New(middleware.Config{
		Render:   render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
		Observer: ev.observe,
	})
	require.NoError(t, err)
	cfg.Provider = provider
	a, err := fositeauthredirect.New(cfg)
	require.NoError(t, err)

	authorize := func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		ar, err := provider.NewAuthorizeRequest(ctx, r)
		if err != nil {
			return a.AuthorizeError(ctx, w, ar, err)
		}
		if err := decision(r); err != nil {
			return a.AuthorizeError(ctx, w, ar, err)
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		resp, err := provider.NewAuthorizeResponse(ctx, ar, newSession())
		if err != nil {
			return a.AuthorizeError(ctx, w, ar, err)
		}
		provider.WriteAuthorizeResponse(ctx, w, ar, resp)
		return nil
	}
	token := func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		ar, err := provider.NewAccessRequest(ctx, r, newSession())
		if err != nil {
			return a.AccessError(ctx, r, ar, err)
		}
		if err := decision(r); err != nil {
			return a.AccessError(ctx, r, ar, err)
		}
		if ar.GetGrantTypes().ExactOne("client_credentials") {
			for _, s := range ar.GetRequestedScopes() {
				ar.GrantScope(s)
			}
		}
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			return a.AccessError(ctx, r, ar, err)
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
		return nil
	}
	// fosite alone on the same provider: its own answers, for the parity table.
	alone := func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewAuthorizeRequest(ctx, r)
		if err == nil {
			err = decision(r)
		}
		if err != nil {
			provider.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		resp, err := provider.NewAuthorizeResponse(ctx, ar, newSession())
		if err != nil {
			provider.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		provider.WriteAuthorizeResponse(ctx, w, ar, resp)
	}
	aloneToken := func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewAccessRequest(ctx, r, newSession())
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/fosite/authorize", alone)
	mux.HandleFunc("/fosite/token", aloneToken)
	mux.Handle("/oauth/authorize", alice.New(rc.Authorization, middleware.AllowMethods(http.MethodGet, http.MethodHead, http.MethodPost),
		middleware.ParseForm(0), middleware.UniqueParams()).Then(middleware.Wrap(authorize)))
	mux.Handle("/oauth/token", alice.New(rc.JSON, middleware.ParseForm(0), middleware.UniqueParams()).Then(middleware.Wrap(token)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, provider: provider, events: ev}
}

// noFollow is a client that stops at the first redirect, so that the test
// reads it.
func noFollow(srv *httptest.Server) *http.Client {
	return &http.Client{
		Transport:     srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
