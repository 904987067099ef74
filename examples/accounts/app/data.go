package app

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"
)

// The demo data, all in memory. README's "Demo data" section lists it.

type client struct {
	id, secret  string
	redirectURI string // "" for a client without one
	scopes      []string
}

type user struct {
	id, email, password string
	banned              bool
	ssoOnly             bool            // credentials login disabled
	storageDown         bool            // its lookup fails as if storage were down
	granted             map[string]bool // client id + " " + scope
}

type refreshToken struct {
	clientID, userID, scope string
	expires                 time.Time
}

// knownScopes are the scopes this server has at all.
var knownScopes = map[string]bool{"profile": true, "chats": true}

// errStorageDown is what the storage-down user's lookup fails with.
var errStorageDown = errors.New("users: storage unavailable: dial tcp 10.0.0.5:5432: connection refused")

func demoClients(base string) map[string]client {
	return map[string]client{
		"demo":         {id: "demo", secret: "demo-secret", redirectURI: base + "/demo/callback", scopes: []string{"profile", "chats"}},
		"loopy":        {id: "loopy", secret: "loopy-secret", redirectURI: base + "/demo/loop", scopes: []string{"profile"}},
		"unconfigured": {id: "unconfigured", secret: "unconfigured-secret", scopes: []string{"profile"}},
	}
}

func demoUsers() map[string]*user {
	users := []*user{
		{id: "u-jane", email: "jane@example.com", password: "jane-password",
			granted: map[string]bool{"demo profile": true, "loopy profile": true}},
		{id: "u-sso", email: "sso@example.com", ssoOnly: true},
		{id: "u-banned", email: "banned@example.com", password: "banned-password", banned: true},
		{id: "u-storage", email: "storage-down@example.com", storageDown: true},
	}
	m := make(map[string]*user, len(users))
	for _, u := range users {
		m[u.email] = u
	}
	return m
}

func demoRefreshTokens(now time.Time) map[string]refreshToken {
	return map[string]refreshToken{
		"rt-demo":    {clientID: "demo", userID: "u-jane", scope: "profile", expires: now.AddDate(10, 0, 0)},
		"rt-expired": {clientID: "demo", userID: "u-jane", scope: "profile", expires: now.Add(-time.Hour)},
	}
}

// equalSecret reports whether the password or client secret got is want,
// in time that depends on neither: both are hashed to SHA-256 first, so
// subtle.ConstantTimeCompare always compares 32 bytes and the time does
// not tell how long want is. (A real server stores a slow password hash
// such as argon2id or bcrypt, not the password, and compares that.)
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
