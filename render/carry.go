package render

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authredirect/authredirect/internal/query"
)

// MaxCarriedValue is the longest value, in bytes, that [Config.Carry]
// carries; a longer one is left out, never cut (a cut state or redirect
// URI would be wrong, not shorter).
const MaxCarriedValue = 2048

// secretParams are names that carry credentials or tokens; a redirect
// must never copy them into a URL, where they reach logs, history and
// Referer headers. secretParts and secretSuffixes catch the names this
// list misses. All are lower case and compared with the name lowered.
var (
	secretParams = [...]string{
		// RFC 6749 and its assertions (RFC 7521)
		"password", "client_secret", "code", "refresh_token", "access_token", "token",
		"code_verifier", "assertion", "client_assertion",
		// RFC 8693 token exchange
		"subject_token", "actor_token",
		// RFC 8628 device authorization
		"device_code", "user_code",
		// OpenID Connect Core
		"id_token", "id_token_hint",
		// passwords, one-time codes, second factors, sessions, keys
		"passwd", "pwd", "pass", "passphrase", "otp", "totp", "hotp", "mfa_code", "pin",
		"secret", "api_key", "apikey", "private_key", "samlresponse", "session_token",
		"session", "sessionid", "jwt", "credential", "credentials", "authorization", "cookie",
	}
	secretParts    = [...]string{"token", "secret", "password", "passwd", "credential", "jwt", "session", "saml", "api_key", "apikey", "api-key"}
	secretSuffixes = [...]string{"_code", "-code", "otp", "pin"}
)

// checkCarry validates [Config.Carry] and [Config.CarryRefused]: each name
// is a plain parameter name (letters, digits, '_', '-', '.'; at most 64
// bytes), given once, not one of the contract's parameters, not one that
// carries a secret (see [isSecretParam]) unless opted in, and not one the
// login page's own query already holds.
func checkCarry(names, optedIn []string, loginPage string) ([]string, error) {
	for _, name := range optedIn {
		if !slices.Contains(names, name) || !isSecretParam(name) {
			return nil, fmt.Errorf("%w: CarryRefused %q is not a name of Carry that is refused", ErrConfig, name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	var own url.Values
	if u, err := url.Parse(loginPage); err == nil {
		own, _ = url.ParseQuery(u.RawQuery)
	}
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		fail := func(why string) ([]string, error) {
			return nil, fmt.Errorf("%w: Carry %q %s", ErrConfig, name, why)
		}
		switch {
		case !validParamName(name) || len(name) > 64:
			return fail("is not a plain parameter name (letters, digits, '_', '-', '.', at most 64 bytes)")
		case seen[name]:
			return fail("is given twice")
		case isSecretParam(name) && !slices.Contains(optedIn, name):
			return fail("may carry a credential or token and is never copied into a URL (see Config.CarryRefused)")
		case own.Has(name):
			return fail("is already in the login page's own query")
		}
		for _, p := range contractParams {
			if name == p {
				return fail("is one of the contract's own parameters")
			}
		}
		seen[name] = true
	}
	return append([]string(nil), names...), nil
}

// isSecretParam reports whether name, in any case, is one of
// secretParams, contains one of secretParts, ends in one of
// secretSuffixes or starts with "private".
func isSecretParam(name string) bool {
	name = strings.ToLower(name)
	return slices.Contains(secretParams[:], name) ||
		slices.ContainsFunc(secretParts[:], func(p string) bool { return strings.Contains(name, p) }) ||
		slices.ContainsFunc(secretSuffixes[:], func(s string) bool { return strings.HasSuffix(name, s) }) ||
		strings.HasPrefix(name, "private")
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// CarriedQuery is the part of req's URL query that [Config.Carry] allows,
// encoded ("client_id=a&state=b", names in Carry's order), or "". It is
// what an authentication redirect appends after the contract's parameters,
// and what an application puts on its login form's action so that a
// failed sign-in keeps the flow. A query that does not parse cleanly
// carries nothing; a name given more than once, or with a value longer
// than [MaxCarriedValue] or not valid UTF-8, is left out. Only the URL's
// query is read, never a form body.
func (r *Renderer) CarriedQuery(req *http.Request) string {
	return r.withCarried("", "", req, false)
}

// withCarried is prefix, then sep and the carried query of req when it
// carries one, in one allocation; prefix alone otherwise. For a page's
// link (href), '&' and '+' are spelled as html/template writes them in
// a quoted attribute (sep is given spelled so).
func (r *Renderer) withCarried(prefix, sep string, req *http.Request, href bool) string {
	if len(r.carry) == 0 || req == nil || req.URL == nil || req.URL.RawQuery == "" {
		return prefix
	}
	// Read as url.ParseQuery would, without a map of every parameter.
	var firstBuf [8]string
	var countBuf [8]int
	first, count := firstBuf[:], countBuf[:]
	if len(r.carry) > len(first) {
		first, count = make([]string, len(r.carry)), make([]int, len(r.carry))
	}
	if !query.Pick(req.URL.RawQuery, r.carry, first, count) {
		return prefix
	}
	amp, space := "&", "+"
	if href {
		amp, space = "&amp;", "&#43;"
	}
	n := 0
	for i, name := range r.carry {
		if v := first[i]; count[i] != 1 || len(v) > MaxCarriedValue || !utf8.ValidString(v) {
			count[i] = 0 // left out
			continue
		}
		if n > 0 {
			n += len(amp)
		}
		n += len(name) + 1 + escapedLen(first[i], len(space))
	}
	if n == 0 {
		return prefix
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(sep) + n)
	b.WriteString(prefix)
	b.WriteString(sep)
	n = 0
	for i, name := range r.carry {
		if count[i] != 1 {
			continue
		}
		if n > 0 {
			b.WriteString(amp)
		}
		n++
		b.WriteString(name) // a plain name: nothing to escape
		b.WriteByte('=')
		writeEscaped(&b, first[i], space)
	}
	return b.String()
}

// escapedLen is the length of s as url.QueryEscape writes it, a space
// taking spaceLen bytes.
func escapedLen(s string, spaceLen int) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			n += spaceLen - 1
		case !unreserved(c):
			n += 2
		}
	}
	return n
}

// writeEscaped writes s as url.QueryEscape does, a space as space.
func writeEscaped(b *strings.Builder, s, space string) {
	const hex = "0123456789ABCDEF"
	done := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			continue
		}
		b.WriteString(s[done:i])
		if c == ' ' {
			b.WriteString(space)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
		done = i + 1
	}
	b.WriteString(s[done:])
}

// unreserved reports whether url.QueryEscape keeps c as it is.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
