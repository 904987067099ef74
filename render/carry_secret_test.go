package render_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/render"
)

// Names that carry credentials or tokens (RFC 6749, RFC 8693, RFC 8628,
// OpenID Connect Core, SAML, and common password, one-time-code and
// session names) are refused in Carry, in any case; so is any name of a
// documented pattern.
var secretNames = []string{
	// RFC 6749 and its assertions
	"password", "client_secret", "code", "refresh_token", "access_token", "token",
	"code_verifier", "assertion", "client_assertion",
	// RFC 8693 token exchange
	"subject_token", "actor_token",
	// RFC 8628 device grant
	"device_code", "user_code",
	// OpenID Connect Core
	"id_token", "id_token_hint", "login_hint_token",
	// passwords
	"passwd", "pwd", "pass", "passphrase", "new_password", "current_password", "old_password",
	// one-time codes and second factors
	"otp", "totp", "hotp", "mfa_code", "pin", "recovery_code", "backup_code", "verification_code",
	// other secrets
	"secret", "api_key", "apikey", "private_key", "SAMLResponse", "session_token", "session",
	"sessionid", "jwt", "credential", "credentials", "authorization", "cookie",
	// by pattern only
	"my_token_id", "webhook_secret", "userPassword", "old_passwd", "sms_code", "email_otp",
	"saml_artifact", "x-api-key", "signed_jwt",
}

func TestCarry_RefusesSecretNames(t *testing.T) {
	for _, name := range secretNames {
		for _, n := range []string{name, strings.ToUpper(name), strings.ToLower(name)} {
			_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Carry: []string{"client_id", n}})
			assert.True(t, errors.Is(err, render.ErrConfig), "Carry %q must be refused", n)
		}
	}
}

// The names a sign-in must carry stay allowed.
func TestCarry_AllowsTheFlowsNames(t *testing.T) {
	names := []string{"code_challenge", "code_challenge_method", "nonce", "state", "redirect_uri", "scope",
		"response_type", "client_id", "prompt", "login_hint", "ui_locales", "max_age", "acr_values",
		"response_mode", "display", "audience", "resource", "claims"}
	_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Carry: names})
	assert.NoError(t, err)
}

// A refused name is carried only when CarryRefused names it too; a name
// there that Carry lacks, or that is not refused, is a mistake.
func TestCarry_RefusedNameOptedInExplicitly(t *testing.T) {
	_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login",
		Carry: []string{"client_id", "pin"}, CarryRefused: []string{"pin"}})
	assert.NoError(t, err)
	for _, cfg := range []render.Config{
		{Carry: []string{"client_id"}, CarryRefused: []string{"pin"}},
		{Carry: []string{"client_id", "state"}, CarryRefused: []string{"state"}},
		{Carry: []string{"client_id", "exception_details"}, CarryRefused: []string{"exception_details"}},
	} {
		cfg.ErrorPage, cfg.LoginPage = "/ooops", "/login"
		_, err := render.New(cfg)
		assert.True(t, errors.Is(err, render.ErrConfig), "%+v", cfg)
	}
}
