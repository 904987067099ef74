package render

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// target is a validated error or login page.
type target struct {
	prefix string // as configured, and the separator the contract's first parameter needs
	path   string // the path a request for this page has
}

// parseTarget validates raw as an error or login page (see [Config]).
func parseTarget(raw string) (target, error) {
	fail := func(why string) (target, error) {
		return target{}, fmt.Errorf("%w: target %q: %s", ErrConfig, raw, why)
	}
	if raw == "" {
		return fail("is empty: the error page and the login page are required (ContractErrorPage and ContractLoginPage are the contract's own)")
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x7f {
			return fail("contains a non-ASCII character")
		}
	}
	if strings.Contains(raw, "#") {
		return fail("has a fragment")
	}
	u, why := parseLink(raw, false)
	switch {
	case why != "":
		return fail(why)
	case u.Scheme != "" && !validHost(u):
		return fail("has a host or port no browser would follow")
	case hasDotSegment(u.Path):
		// A browser removes them before it fetches, so a failure of the
		// page would not be recognised as one and would loop.
		return fail(`has a "." or ".." path segment`)
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
	t := target{path: u.Path}
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

// parseLink parses raw as a link the library sends browsers to: an
// absolute http(s) URL with a host or an absolute path, a mailto: address
// too when mail is true; no space, control character, backslash or
// userinfo. why says what is wrong, "" when nothing is.
func parseLink(raw string, mail bool) (u *url.URL, why string) {
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] == 0x7f {
			return nil, "contains a space or control character"
		}
	}
	if strings.Contains(raw, `\`) || strings.HasPrefix(raw, "//") {
		// Browsers read "\" as "/" and "//host" as a host: both could
		// send the user elsewhere.
		return nil, "is scheme-relative or has a backslash"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, "does not parse"
	case u.User != nil:
		return nil, "has userinfo"
	case mail && u.Scheme == "mailto" && u.Opaque != "":
		return u, ""
	case u.Opaque != "":
		return nil, "is not hierarchical"
	case u.Scheme == "" && u.Host != "":
		return nil, "is scheme-relative; give a scheme or a path"
	case u.Scheme == "" && !strings.HasPrefix(u.Path, "/"):
		return nil, "is a relative path; it must start with /"
	case u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https":
		return nil, "scheme must be http or https"
	case u.Scheme != "" && u.Hostname() == "":
		return nil, "has no host"
	}
	return u, ""
}

// contractParams are the query parameters the contract owns.
var contractParams = [...]string{"oauth_exception", "identity_exception", "exception_details", "entity_id"}

// validHost reports whether u's host is a DNS name (ASCII letters, digits,
// '-' and '.'; IDNs in their xn-- form), an IPv4 address or a bracketed
// IPv6 address without a zone, and its port, if any, is 1 to 65535.
func validHost(u *url.URL) bool {
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
	} else {
		for i := 0; i < len(host); i++ {
			c := host[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
				return false
			}
		}
	}
	if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
		n, err := strconv.Atoi(port)
		return err == nil && n >= 1 && n <= 65535
	}
	return true
}

// hasDotSegment reports whether the decoded path has a "." or ".." segment
// ("%2e" decodes to ".").
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
