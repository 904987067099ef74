package render

import (
	"fmt"
	"net/url"
	"strings"
)

// target is a validated error or login page.
type target struct {
	raw    string // as configured
	prefix string // raw and the separator the contract's first parameter needs
	path   string // the path a request for this page has
}

// ValidateTarget reports whether raw may be an error or login page, and why
// not (an error wrapping [ErrConfig]): see [Config].
func ValidateTarget(raw string) error {
	_, err := parseTarget(raw)
	return err
}

func parseTarget(raw string) (target, error) {
	fail := func(why string) (target, error) {
		return target{}, fmt.Errorf("%w: target %q: %s", ErrConfig, raw, why)
	}
	if raw == "" {
		return fail("is empty: the error page and the login page are required (ContractErrorPage and ContractLoginPage are the contract's own)")
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
	t := target{raw: raw, path: u.Path}
	if t.path == "" {
		t.path = "/"
	}
	// Join on the query, not on raw's last byte: "/??" has the query "?".
	switch {
	case u.RawQuery == "" && u.ForceQuery:
		t.prefix = raw // "/login?"
	case u.RawQuery == "":
		t.prefix = raw + "?"
	case strings.HasSuffix(u.RawQuery, "&"):
		t.prefix = raw
	default:
		t.prefix = raw + "&"
	}
	return t, nil
}

// contractParams are the query parameters the contract owns.
var contractParams = [...]string{"oauth_exception", "identity_exception", "exception_details", "entity_id"}
