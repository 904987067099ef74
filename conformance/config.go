package conformance

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ErrConfig is wrapped by the error Run returns for a configuration it
// refuses; no request has been sent then.
var ErrConfig = errors.New("conformance: invalid configuration")

// MaxRequests bounds the requests of one run; a run that would need more
// stops with an error instead.
const MaxRequests = 200

// Config says which service to probe and how. Only BaseURL is required;
// rows that need a client, its secret or an account are SKIP without them.
type Config struct {
	// BaseURL is the service, such as "https://accounts.staging.example.com".
	// Every request goes to its scheme and host, and nowhere else.
	BaseURL string

	// ClientID, ClientSecret, RedirectURI and Scope are a registered
	// client: a request made with them is valid, so that each row breaks
	// one thing. RedirectURI and Scope are sent only when set. The
	// prompt=none row, OpenID Connect's, runs only with a RedirectURI and
	// a Scope that includes openid: its answer goes to that redirect URI.
	ClientID, ClientSecret, RedirectURI, Scope string

	// ErrorPage and LoginPage are where authorization and authentication
	// errors must land: a path on BaseURL's host or an absolute URL on it.
	// Defaults "/ooops" and "/".
	ErrorPage, LoginPage string

	// AuthorizePath, TokenPath and LoginPath are the endpoints. When
	// AuthorizePath or TokenPath is empty, the service's OpenID discovery
	// document (/.well-known/openid-configuration) names them if it is
	// served on BaseURL's host; otherwise "/oauth/authorize",
	// "/oauth/token" and "/login".
	AuthorizePath, TokenPath, LoginPath string

	// User is a known account for the login rows, posted as the form
	// field UserField (default "email") with a wrong password in
	// PasswordField (default "password"); every login row is SKIP without
	// it. The rows never sign in, so Password is never sent: it is only
	// kept out of the report, should the service echo it.
	User, Password           string
	UserField, PasswordField string

	// Strict adds a strict row beside each contract row: this library's
	// hardening policy (303 See Other, Cache-Control: no-store, Pragma:
	// no-cache, Referrer-Policy: no-referrer on redirects, no Refresh,
	// Link or Content-Location header, no body that reflects the request,
	// no duplicate JSON keys).
	Strict bool

	// Run, when set, keeps only the rows whose names it matches; the
	// others are neither run nor reported.
	Run *regexp.Regexp

	// LoopLimit arrivals within LoopWindow are allowed; the next one must
	// end with to_many_redirects. Defaults 3 and 30 seconds. The loop row
	// arrives with a cookie jar of its own, as one browser; the other
	// authorize rows keep no cookies. Warning: a loop guard that counts a
	// client per address, not per browser, stops those other rows too, as
	// they arrive from one address within the window.
	LoopLimit  int
	LoopWindow time.Duration
	// LoopSpelling is the accepted spelling of the loop detail:
	// "to_many_redirects" (the contract's, the default),
	// "too_many_redirects" (newer public documents of the same service)
	// or "any".
	LoopSpelling string

	// Timeout bounds each request; default 10 seconds.
	Timeout time.Duration

	// HTTPClient sends the requests (its Transport, TLS settings
	// included); nil means one on http.DefaultTransport. Run never
	// follows a redirect and keeps cookies only within the loop row,
	// whatever the client says.
	HTTPClient *http.Client

	// UserAgent is sent with every request; default "authredirect-check".
	UserAgent string

	// Progress, when set, is called before each row runs with the row's
	// name and how many rows ran before it.
	Progress func(done int, name string)
}

func (c Config) withDefaults() (Config, error) {
	fail := func(format string, a ...any) (Config, error) {
		return c, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fail("base URL %q must be an http or https URL with a host and no userinfo", c.BaseURL)
	}
	c.BaseURL = u.Scheme + "://" + u.Host
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.ErrorPage, "/ooops")
	def(&c.LoginPage, "/")
	def(&c.LoginPath, "/login")
	def(&c.UserField, "email")
	def(&c.PasswordField, "password")
	def(&c.LoopSpelling, "to_many_redirects")
	def(&c.UserAgent, "authredirect-check")
	for _, p := range []struct{ name, value string }{{"authorize", c.AuthorizePath}, {"token", c.TokenPath}, {"login", c.LoginPath}} {
		if p.value != "" && !strings.HasPrefix(p.value, "/") {
			return fail("the %s endpoint %q must be a path starting with /", p.name, p.value)
		}
	}
	switch c.LoopSpelling {
	case "to_many_redirects", "too_many_redirects", "any":
	default:
		return fail("loop spelling %q is not to_many_redirects, too_many_redirects or any", c.LoopSpelling)
	}
	if c.LoopLimit == 0 {
		c.LoopLimit = 3
	}
	if c.LoopLimit < 1 || c.LoopLimit > 100 {
		return fail("loop limit %d is not between 1 and 100", c.LoopLimit)
	}
	if c.LoopWindow == 0 {
		c.LoopWindow = 30 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.LoopWindow < 0 || c.Timeout < 0 {
		return fail("the loop window and the timeout must be positive")
	}
	return c, nil
}
