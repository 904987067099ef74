package render

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/authredirect/authredirect/codes"
)

// The contract's own targets, used when a Config leaves them empty.
const (
	DefaultErrorPage = "https://accounts.livechatinc.com/ooops"
	DefaultLoginPage = "https://accounts.livechatinc.com/"
)

// ErrConfig is wrapped by every error that [New] returns.
var ErrConfig = errors.New("render: invalid configuration")

// Config says where errors are sent and how answers are spelled. The zero
// Config is the contract's defaults.
type Config struct {
	// ErrorPage receives authorization errors; default [DefaultErrorPage].
	// LoginPage receives authentication errors; default [DefaultLoginPage].
	// Each is an absolute http or https URL with a host, or an absolute
	// path starting with "/", with no userinfo and no fragment. A query
	// on the target is kept and the contract's parameters follow it; it
	// may not hold the contract's own parameters.
	ErrorPage, LoginPage string

	// TooManyRedirectsNewSpelling emits the loop detail as
	// "too_many_redirects" instead of the contract's "to_many_redirects".
	TooManyRedirectsNewSpelling bool

	// Realm is the realm of the WWW-Authenticate header sent with 401 JSON
	// answers; default "accounts". Printable ASCII without quotes or
	// backslashes.
	Realm string

	// RetryAfter is sent as Retry-After with 503 JSON answers, in whole
	// seconds; default one minute, at least one second.
	RetryAfter time.Duration
}

func (c Config) withDefaults() Config {
	if c.ErrorPage == "" {
		c.ErrorPage = DefaultErrorPage
	}
	if c.LoginPage == "" {
		c.LoginPage = DefaultLoginPage
	}
	if c.Realm == "" {
		c.Realm = "accounts"
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Minute
	}
	return c
}

// target is a validated error or login page.
type target struct {
	raw    string // as configured
	prefix string // raw without fragment, ending in "?" or "&"
	path   string // the path a request for this page has
}

// ValidateTarget reports whether raw may be an error or login page, and why
// not: see [Config].
func ValidateTarget(raw string) error {
	_, err := parseTarget(raw)
	return err
}

func parseTarget(raw string) (target, error) {
	fail := func(why string) (target, error) {
		return target{}, fmt.Errorf("%w: target %q: %s", ErrConfig, raw, why)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f {
			return fail("contains a space, control or non-ASCII character")
		}
	}
	if strings.Contains(raw, "#") {
		return fail("has a fragment")
	}
	if strings.Contains(raw, "\\") || strings.HasPrefix(raw, "//") {
		// Browsers read "\\" as "/" and "///host" as a host: both could
		// send the user elsewhere.
		return fail("is scheme-relative or has a backslash")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("does not parse")
	}
	switch {
	case u.User != nil:
		return fail("has userinfo")
	case u.Opaque != "":
		return fail("is not hierarchical")
	case u.Scheme == "" && u.Host != "":
		return fail("is scheme-relative; give a scheme or a path")
	case u.Scheme == "" && !strings.HasPrefix(u.Path, "/"):
		return fail("is a relative path; it must start with /")
	case u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https":
		return fail("scheme must be http or https")
	case u.Scheme != "" && u.Hostname() == "":
		return fail("has no host")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("has a malformed query")
	}
	for _, p := range contractParams {
		if q.Has(p) {
			return fail("its query already holds " + p)
		}
	}
	t := target{raw: raw, path: u.Path, prefix: raw + "?"}
	if t.path == "" {
		t.path = "/"
	}
	switch {
	case strings.HasSuffix(raw, "?"):
		t.prefix = raw
	case u.RawQuery != "":
		t.prefix = raw + "&"
	}
	return t, nil
}

// contractParams are the query parameters the contract owns.
var contractParams = [...]string{"oauth_exception", "identity_exception", "exception_details", "entity_id"}

func validRealm(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\' {
			return false
		}
	}
	return true
}

// detailName is the wire name the renderer emits for d.
func (c Config) detailName(d codes.Detail) string {
	if d == codes.TooManyRedirects && c.TooManyRedirectsNewSpelling {
		return codes.TooManyRedirectsNewSpelling
	}
	return d.Name()
}
