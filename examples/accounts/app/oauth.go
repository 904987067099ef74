package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authredirect/authredirect/codes"
)

// authorize is GET /oauth/authorize (a POST arrives as a GET, see
// postAsGet). The guards before it have refused other methods and
// repeated parameters, and counted the arrival.
func (s *server) authorize(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	if clientID == "" {
		return codes.UnauthorizedClient.WithCause(errors.New("missing client id"))
	}
	c, ok := s.clients[clientID]
	switch {
	case !ok:
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	case c.redirectURI == "":
		return codes.UnauthorizedClient.With(codes.RedirectURINotSet)
	case q.Has("redirect_uri") && q.Get("redirect_uri") != c.redirectURI:
		// Never redirect to an unregistered URI: the error page it is.
		return codes.UnauthorizedClient.With(codes.InvalidRedirectURI)
	}
	// Checked here, after the client: an unknown client is what the
	// user must hear of first.
	switch q.Get("response_type") {
	case "code", "token":
	case "":
		return codes.InvalidRequest.WithCause(errors.New("response_type is missing"))
	default:
		return codes.UnsupportedResponseType
	}
	scopes, err := parseScopes(q.Get("scope"), c.scopes)
	if err != nil {
		return err
	}

	sess, ok := s.currentSession(r)
	if !ok || sess.loggedOut {
		// Not an error: the user signs in and comes back here.
		// The login page is where the flow continues: it carries the
		// request's own parameters (Carry), through failed attempts too.
		seeOther(w, "/?"+s.renderer.CarriedQuery(r))
		return nil
	}
	s.mu.Lock()
	u := s.usersByID[sess.userID]
	s.mu.Unlock()
	for _, scope := range scopes {
		if !u.granted[c.id+" "+scope] {
			return codes.MissingGrant
		}
	}

	scope := strings.Join(scopes, " ")
	target, _ := url.Parse(c.redirectURI)
	params := url.Values{}
	if st := q.Get("state"); st != "" {
		params.Set("state", st)
	}
	if q.Get("response_type") == "token" {
		params.Set("access_token", randomToken("at-"))
		params.Set("token_type", "Bearer")
		params.Set("expires_in", "3600")
		params.Set("scope", scope)
		target.Fragment = params.Encode()
	} else {
		code := randomToken("code-")
		s.mu.Lock()
		now := s.now()
		s.authCodes.put(code, authCode{clientID: c.id, userID: u.id, scope: scope, redirectURI: c.redirectURI, expires: now.Add(authCodeTTL)},
			now.Add(2*authCodeTTL), now) // a minute past expiry, the log says "expired", not "unknown"
		s.mu.Unlock()
		params.Set("code", code)
		target.RawQuery = params.Encode()
	}
	http.Redirect(w, r, target.String(), http.StatusFound)
	return nil
}

// parseScopes splits a scope parameter; every scope must exist and be one
// the client may ask for. An empty parameter means "profile".
func parseScopes(raw string, allowed []string) ([]string, error) {
	scopes := strings.Fields(raw)
	if len(scopes) == 0 {
		scopes = []string{"profile"}
	}
	for _, sc := range scopes {
		if !knownScopes[sc] || !slices.Contains(allowed, sc) {
			return nil, codes.InvalidScope
		}
	}
	return scopes, nil
}

// token is POST /oauth/token, answering JSON. The guards have parsed the
// form and refused grant types other than authorization_code and
// refresh_token.
func (s *server) token(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticateClient(r)
	if err != nil {
		return err
	}
	form := r.PostForm
	switch form.Get("grant_type") {
	case "refresh_token":
		s.mu.Lock()
		rt, ok := s.refresh.get(form.Get("refresh_token"), s.now())
		s.mu.Unlock()
		switch {
		case !ok:
			return codes.UnauthorizedClient.WithCause(errors.New("refresh token not found"))
		case rt.clientID != c.id:
			return codes.InvalidClient.WithCause(errors.New("refresh token of another client"))
		case !s.now().Before(rt.expires):
			return codes.InvalidGrant.WithCause(errors.New("refresh token expired"))
		}
		scope := rt.scope
		if requested := form.Get("scope"); requested != "" {
			for _, sc := range strings.Fields(requested) {
				if !slices.Contains(strings.Fields(rt.scope), sc) {
					return codes.AccessDenied.WithCause(errors.New("scope beyond the grant: " + sc))
				}
			}
			scope = requested
		}
		// The demo does not rotate refresh tokens, so it can be replayed.
		return writeToken(w, scope, form.Get("refresh_token"))
	default: // authorization_code
		code := form.Get("code")
		s.mu.Lock()
		ac, ok := s.authCodes.update(code, s.now(), func(ac authCode) authCode { ac.used = true; return ac })
		s.mu.Unlock()
		switch {
		case !ok || ac.used:
			return codes.InvalidGrant.WithCause(errors.New("authorization code unknown or already used"))
		case !s.now().Before(ac.expires):
			return codes.InvalidGrant.WithCause(errors.New("authorization code expired"))
		case ac.clientID != c.id:
			return codes.InvalidGrant.WithCause(errors.New("authorization code of another client"))
		case form.Has("redirect_uri") && form.Get("redirect_uri") != ac.redirectURI:
			return codes.InvalidGrant.WithCause(errors.New("redirect_uri does not match the authorization request"))
		}
		refresh := randomToken("rt-")
		s.mu.Lock()
		now := s.now()
		s.refresh.put(refresh, refreshToken{clientID: c.id, userID: ac.userID, scope: ac.scope, expires: now.Add(refreshTokenTTL)},
			now.Add(refreshTokenTTL+refreshGrace), now)
		s.mu.Unlock()
		return writeToken(w, ac.scope, refresh)
	}
}

// authenticateClient authenticates the client with the credentials
// clientCredentials reads.
func (s *server) authenticateClient(r *http.Request) (client, error) {
	id, secret, err := clientCredentials(r)
	if err != nil {
		return client{}, err
	}
	if id == "" {
		return client{}, codes.UnauthorizedClient.WithCause(errors.New("missing client id"))
	}
	c, ok := s.clients[id]
	if !ok {
		return client{}, codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	}
	if !equalSecret(secret, c.secret) {
		return client{}, codes.UnauthorizedClient.WithCause(errors.New("invalid client secret"))
	}
	return c, nil
}

// clientCredentials reads the client's id and secret as RFC 6749 §2.3.1
// says: from one Authorization header with the Basic scheme (any case, RFC
// 7617 §2), both form-urlencoded inside, or, without an Authorization
// header, from the form's client_id and client_secret. A client uses one
// method only (§2.3): a Basic header together with a client_secret in the
// form, or with a form client_id naming another client, is invalid_request,
// and so are two Authorization headers. An Authorization header that is not
// well-formed Basic (another scheme, bad base64, no colon, bad
// percent-encoding) is invalid_client, never a fall-back to the form.
func clientCredentials(r *http.Request) (id, secret string, err error) {
	switch n := len(r.Header.Values("Authorization")); {
	case n == 0:
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), nil
	case n > 1:
		return "", "", codes.InvalidRequest.WithCause(errors.New("more than one Authorization header"))
	}
	rawID, rawSecret, ok := r.BasicAuth() // case-insensitive scheme, base64, colon
	if !ok {
		return "", "", codes.InvalidClient.WithCause(errors.New("the Authorization header is not well-formed Basic"))
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err := errors.Join(err1, err2); err != nil {
		return "", "", codes.InvalidClient.WithCause(fmt.Errorf("the Basic credentials are not form-urlencoded: %w", err))
	}
	if r.PostForm.Has("client_secret") || (r.PostForm.Has("client_id") && r.PostForm.Get("client_id") != id) {
		return "", "", codes.InvalidRequest.WithCause(errors.New("client credentials both in Basic and in the form"))
	}
	return id, secret, nil
}

func writeToken(w http.ResponseWriter, scope, refresh string) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return json.NewEncoder(w).Encode(map[string]any{
		"access_token":  randomToken("at-"),
		"token_type":    "Bearer",
		"expires_in":    3600,
		"scope":         scope,
		"refresh_token": refresh,
	})
}
