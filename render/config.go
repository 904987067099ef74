package render

import (
	"errors"
	"time"

	"github.com/authredirect/authredirect/codes"
)

// The contract's own pages: the error page and the login page of the
// accounts service the contract was written for. They are a named choice,
// never a default: use them only to send your users to that service.
const (
	ContractErrorPage = "https://accounts.livechatinc.com/ooops"
	ContractLoginPage = "https://accounts.livechatinc.com/"
)

// ErrConfig is wrapped by every error of [New]: the configuration is
// refused at construction, never later.
var ErrConfig = errors.New("render: invalid configuration")

// Config says where errors are sent and how answers are spelled.
type Config struct {
	// ErrorPage receives authorization errors and LoginPage authentication
	// errors; both are required. Each is an absolute http or https URL
	// with a host, or an absolute path starting with "/" (on the server
	// that answers), with no userinfo and no fragment. A query on the
	// target is kept and the contract's parameters follow it; it may not
	// hold the contract's own parameters.
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

	// Carry names the request's own query parameters an authentication
	// redirect carries back to the login page after the contract's (code,
	// exception_details, entity_id, then these in this order), so that a
	// failed sign-in keeps the flow it came from: for example
	// response_type, client_id, redirect_uri, state and scope. See
	// [Renderer.CarriedQuery] for what is carried; the target stays the
	// login page. Names that carry credentials or tokens are refused,
	// whatever their case: a maintained list (RFC 6749's password,
	// client_secret, code, refresh_token, access_token, token; RFC 8693's
	// subject_token and actor_token; RFC 8628's device_code and user_code;
	// OpenID Connect's id_token and id_token_hint; SAMLResponse; password,
	// one-time-code and session names such as pwd, otp, mfa_code and
	// session_token) and every name that contains token, secret, password,
	// passwd, credential, jwt, session, saml or api_key/apikey/api-key,
	// ends in _code, -code, otp or pin, or starts with private.
	// code_challenge, code_challenge_method, nonce, state, redirect_uri,
	// scope, response_type, client_id and prompt are not refused.
	Carry []string

	// CarryRefused opts names of Carry that the rule above refuses in,
	// each of which must be in Carry and refused.
	//
	// Warning: a carried value lands in the login page's URL, and from
	// there in browser history, server and proxy logs and Referer
	// headers. Name a parameter here only when its name misleads: its
	// value is no credential, token, code or secret in any flow.
	CarryRefused []string

	// Page configures the pages people read: language, links, messages
	// and template.
	Page PageConfig
}

func (c Config) withDefaults() Config {
	if c.Realm == "" {
		c.Realm = "accounts"
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Minute
	}
	return c
}

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
		return "too_many_redirects" // the newer public spelling
	}
	return d.Name()
}
