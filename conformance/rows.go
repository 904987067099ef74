package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authredirect/authredirect/codes"
)

// row is one statement of the contract and the requests that check it.
type row struct {
	name   string
	needs  string // "client", "secret", "user": what it cannot run without
	strict bool   // it has a strict row
	check  func(c *checker) (outcome, error)
}

// The values a row sends that a service cannot know; none of them is a
// secret of the service. A body that contains one reflects the request.
const (
	unknownClient  = "authredirect-check-unknown-client"
	unknownScope   = "authredirect-check-unknown-scope"
	foreignURI     = "https://authredirect-check.invalid/callback"
	hostileHost    = "authredirect-check.invalid"
	badResponse    = "authredirect-check-response-type"
	badCode        = "authredirect-check-unknown-code"
	badGrant       = "authredirect-check-grant-type"
	unknownRefresh = "authredirect-check-unknown-refresh-token"
	wrongSecret    = "authredirect-check-wrong-secret"
	unknownUser    = "nobody@authredirect-check.invalid"
	wrongPassword  = "authredirect-check-wrong-password"
	state          = "authredirect-check-state"
)

// rows are every row, in the order they run: the authorization endpoint,
// the token endpoint, the login endpoint.
func (c *checker) rows() []row {
	authz := func(name, needs string, edit func([]param) []param, want *codes.Error, probes ...string) row {
		return row{name: "authorize: " + name, needs: needs, strict: true, check: func(c *checker) (outcome, error) {
			a, err := c.do(request{method: http.MethodGet, path: c.authorize, rawQuery: c.authorizeQuery(edit)})
			if err != nil {
				return outcome{}, err
			}
			return c.redirect(a, want, expect{probes: probes}), nil
		}}
	}
	tok := func(name, needs string, rq func(c *checker) request, want *codes.Error, probes ...string) row {
		return row{name: "token: " + name, needs: needs, strict: true, check: func(c *checker) (outcome, error) {
			r := rq(c)
			if r.method == "" {
				r.method = http.MethodPost
			}
			r.path = c.token
			a, err := c.do(r)
			if err != nil {
				return outcome{}, err
			}
			return c.json(a, want, probes), nil
		}}
	}
	login := func(name string, body func(c *checker) string, want *codes.Error, entity bool, probes ...string) row {
		return row{name: "login: " + name, needs: "user", strict: true, check: func(c *checker) (outcome, error) {
			flow, err := c.loginFlow()
			if err != nil {
				return outcome{}, err
			}
			a, err := c.do(request{method: http.MethodPost, path: c.cfg.LoginPath, rawQuery: flow, body: body(c)})
			if err != nil {
				return outcome{}, err
			}
			return c.redirect(a, want, expect{carry: true, entity: entity, probes: probes}), nil
		}}
	}
	form := func(c *checker, user, password string) string {
		return c.cfg.UserField + "=" + url.QueryEscape(user) + "&" + c.cfg.PasswordField + "=" + url.QueryEscape(password)
	}
	valid := func(c *checker) *[2]string { return &[2]string{c.cfg.ClientID, c.cfg.ClientSecret} }
	codeGrant := func(c *checker) string {
		b := "grant_type=authorization_code&code=" + badCode
		if c.cfg.RedirectURI != "" {
			b += "&redirect_uri=" + url.QueryEscape(c.cfg.RedirectURI)
		}
		return b
	}
	loopName := fmt.Sprintf("authorize: redirect loop (arrival %d within %v)", c.cfg.LoopLimit+1, c.cfg.LoopWindow)

	return []row{
		authz("missing client id", "", func(p []param) []param { return del(p, "client_id") }, codes.UnauthorizedClient.Err()),
		authz("client id not found", "", func(p []param) []param { return set(p, "client_id", unknownClient) },
			codes.UnauthorizedClient.With(codes.ClientIDNotFound), unknownClient),
		authz("invalid redirect uri", "client", func(p []param) []param { return set(p, "redirect_uri", foreignURI) },
			codes.UnauthorizedClient.With(codes.InvalidRedirectURI), foreignURI),
		authz("response type is not code or token", "client", func(p []param) []param { return set(p, "response_type", badResponse) },
			codes.UnsupportedResponseType.Err(), badResponse),
		authz("missing response type", "client", func(p []param) []param { return del(p, "response_type") }, codes.InvalidRequest.Err()),
		authz("scope not found", "client", func(p []param) []param {
			return set(p, "scope", strings.TrimSpace(c.cfg.Scope+" "+unknownScope))
		}, codes.InvalidScope.Err(), unknownScope),
		authz("parameter given more than once", "client", func(p []param) []param { return append(p, param{"client_id", c.cfg.ClientID}) },
			codes.InvalidRequest.Err()),
		authz("malformed query", "client", func(p []param) []param { return append(p, param{"nonce", "%zz"}) }, codes.InvalidRequest.Err()),
		{name: "authorize: wrong HTTP method (PUT)", needs: "client", strict: true, check: func(c *checker) (outcome, error) {
			a, err := c.do(request{method: http.MethodPut, path: c.authorize, rawQuery: c.authorizeQuery(nil)})
			if err != nil {
				return outcome{}, err
			}
			return c.redirect(a, codes.InvalidRequest.Err(), expect{}), nil
		}},
		{name: "authorize: prompt=none without a session", needs: "client redirect openid", strict: true, check: (*checker).promptNone},
		{name: "authorize: GET accepted", needs: "client", check: func(c *checker) (outcome, error) {
			a, err := c.do(request{method: http.MethodGet, path: c.authorize, rawQuery: c.authorizeQuery(nil)})
			if err != nil {
				return outcome{}, err
			}
			return c.accepted(a), nil
		}},
		{name: "authorize: POST accepted", needs: "client", check: func(c *checker) (outcome, error) {
			a, err := c.do(request{method: http.MethodPost, path: c.authorize, body: c.authorizeQuery(nil)})
			if err != nil {
				return outcome{}, err
			}
			return c.accepted(a), nil
		}},
		{name: loopName, needs: "client", strict: true, check: (*checker).loop},
		{name: "open redirect: hostile Host and X-Forwarded-Host", check: func(c *checker) (outcome, error) {
			a, err := c.do(request{method: http.MethodGet, path: c.authorize, host: hostileHost,
				rawQuery: c.authorizeQuery(func(p []param) []param { return set(p, "client_id", unknownClient) }),
				header:   http.Header{"X-Forwarded-Host": {hostileHost}, "X-Forwarded-Proto": {"https"}}})
			if err != nil {
				return outcome{}, err
			}
			return c.onHost(a), nil
		}},
		{name: "open redirect: hostile redirect_uri on an error", check: func(c *checker) (outcome, error) {
			client := c.cfg.ClientID
			if client == "" {
				client = unknownClient
			}
			a, err := c.do(request{method: http.MethodGet, path: c.authorize, rawQuery: c.authorizeQuery(func(p []param) []param {
				return set(set(set(p, "client_id", client), "redirect_uri", "//"+hostileHost+"/callback"), "response_type", badResponse)
			})})
			if err != nil {
				return outcome{}, err
			}
			return c.onHost(a), nil
		}},

		tok("wrong HTTP method", "", func(c *checker) request {
			return request{method: http.MethodGet, rawQuery: "grant_type=authorization_code&code=" + badCode}
		}, codes.InvalidRequest.Err(), badCode),
		tok("invalid HTTP body encoding", "", func(c *checker) request {
			r := request{body: "grant_type=authorization_code&code=%zz"}
			if c.cfg.ClientID != "" && c.cfg.ClientSecret != "" {
				r.basic = valid(c)
			}
			return r
		}, codes.InvalidRequest.Err()),
		tok("missing client id", "", func(c *checker) request { return request{body: codeGrant(c)} },
			codes.UnauthorizedClient.Err(), badCode),
		tok("client id not found", "", func(c *checker) request {
			return request{body: codeGrant(c), basic: &[2]string{unknownClient, wrongSecret}}
		}, codes.UnauthorizedClient.With(codes.ClientIDNotFound), unknownClient, badCode),
		tok("invalid client secret", "client", func(c *checker) request {
			return request{body: codeGrant(c), basic: &[2]string{c.cfg.ClientID, wrongSecret}}
		}, codes.UnauthorizedClient.Err(), wrongSecret, badCode),
		tok("authorization code invalid", "secret", func(c *checker) request {
			return request{body: codeGrant(c), basic: valid(c)}
		}, codes.InvalidGrant.Err(), badCode),
		tok("refresh token not found", "secret", func(c *checker) request {
			return request{body: "grant_type=refresh_token&refresh_token=" + unknownRefresh, basic: valid(c)}
		}, codes.UnauthorizedClient.Err(), unknownRefresh),
		tok("missing grant type", "secret", func(c *checker) request {
			b := "code=" + badCode
			if c.cfg.RedirectURI != "" {
				b += "&redirect_uri=" + url.QueryEscape(c.cfg.RedirectURI)
			}
			return request{body: b, basic: valid(c)}
		}, codes.InvalidRequest.Err(), badCode),
		tok("grant type not supported (unknown)", "secret", func(c *checker) request {
			return request{body: "grant_type=" + badGrant, basic: valid(c)}
		}, codes.UnsupportedGrantType.Err(), badGrant),
		tok("disabled grant type (client_credentials)", "secret", func(c *checker) request {
			return request{body: "grant_type=client_credentials", basic: valid(c)}
		}, codes.UnsupportedGrantType.Err()),

		login("identity does not exist", func(c *checker) string { return form(c, unknownUser, wrongPassword) },
			codes.Unauthorized.Err(), false, unknownUser, wrongPassword),
		login("wrong password", func(c *checker) string { return form(c, c.cfg.User, wrongPassword) },
			codes.Unauthorized.Err(), true, wrongPassword),
		login("invalid HTTP body encoding", func(c *checker) string {
			return c.cfg.UserField + "=%zz&" + c.cfg.PasswordField + "=" + wrongPassword
		}, codes.IdentityInvalidRequest.Err(), false, wrongPassword),
	}
}

// loop arrives at the authorization endpoint LoopLimit+1 times with one
// cookie jar, as a browser a client keeps sending back would; the last
// arrival must end on the error page with the loop detail.
func (c *checker) loop() (outcome, error) {
	jar, q := loopJar(), c.authorizeQuery(nil)
	start := time.Now()
	var early []string
	var a *answer
	for i := 1; i <= c.cfg.LoopLimit+1; i++ {
		var err error
		if a, err = c.do(request{method: http.MethodGet, path: c.authorize, rawQuery: q, jar: jar}); err != nil {
			return outcome{}, err
		}
		if i <= c.cfg.LoopLimit && c.loopStopped(a) {
			early = append(early, fmt.Sprintf("arrival %d was already stopped", i))
		}
	}
	if time.Since(start) >= c.cfg.LoopWindow {
		return outcome{skip: fmt.Sprintf("the %d arrivals took longer than the window of %v", c.cfg.LoopLimit+1, c.cfg.LoopWindow), strict: true}, nil
	}
	o := c.redirect(a, codes.InvalidRequest.With(codes.TooManyRedirects), expect{anyCode: true})
	o.expected = fmt.Sprintf("arrival %d: %s", c.cfg.LoopLimit+1, strings.Replace(o.expected, "to_many_redirects", c.spelling(), 1))
	o.problems = append(early, o.problems...)
	return o, nil
}

// param is one query parameter; a list keeps the order it is sent in.
type param struct{ name, value string }

// authorizeQuery is a valid authorization request, edited.
func (c *checker) authorizeQuery(edit func([]param) []param) string {
	p := []param{{"response_type", "code"}, {"client_id", c.cfg.ClientID}}
	if c.cfg.RedirectURI != "" {
		p = append(p, param{"redirect_uri", c.cfg.RedirectURI})
	}
	if c.cfg.Scope != "" {
		p = append(p, param{"scope", c.cfg.Scope})
	}
	p = append(p, param{"state", state})
	if edit != nil {
		p = edit(p)
	}
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv.name + "=")
		if kv.value == "%zz" {
			b.WriteString(kv.value) // malformed on purpose
		} else {
			b.WriteString(url.QueryEscape(kv.value))
		}
	}
	return b.String()
}

// set sets name to value, in place or at the end.
func set(p []param, name, value string) []param {
	for i := range p {
		if p[i].name == name {
			p[i].value = value
			return p
		}
	}
	return append(p, param{name, value})
}

// del removes name.
func del(p []param, name string) []param {
	out := p[:0]
	for _, kv := range p {
		if kv.name != name {
			out = append(out, kv)
		}
	}
	return out
}

// promptNone asks, without a session, for a sign-in that must show no
// screen (prompt=none): OpenID Connect Core 3.1.2.6 answers login_required
// at the client's redirect_uri with the request's state. It is the one row
// whose Location is the client's, not a page of the service.
func (c *checker) promptNone() (outcome, error) {
	a, err := c.do(request{method: http.MethodGet, path: c.authorize,
		rawQuery: c.authorizeQuery(func(p []param) []param { return set(p, "prompt", "none") })})
	if err != nil {
		return outcome{}, err
	}
	return c.clientRedirect(a, "login_required", "OpenID Connect Core 3.1.2.6"), nil
}
