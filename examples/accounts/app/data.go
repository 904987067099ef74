package app

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"maps"
	"slices"
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

// demoRefreshTokens are kept for as long as the server runs: the expired
// one shows invalid_grant whenever it is tried.
func demoRefreshTokens(now time.Time, max int) *table[refreshToken] {
	t := newTable[refreshToken](max)
	forever := now.AddDate(100, 0, 0)
	t.put("rt-demo", refreshToken{clientID: "demo", userID: "u-jane", scope: "profile", expires: now.AddDate(10, 0, 0)}, forever, now)
	t.put("rt-expired", refreshToken{clientID: "demo", userID: "u-jane", scope: "profile", expires: now.Add(-time.Hour)}, forever, now)
	return t
}

// How long what the server issues is kept. A refresh token outlives its
// expiry by a week, so that a client still hears invalid_grant ("expired")
// rather than unauthorized_client ("not found") for it.
const (
	authCodeTTL     = time.Minute
	sessionTTL      = 12 * time.Hour
	refreshTokenTTL = 30 * 24 * time.Hour
	refreshGrace    = 7 * 24 * time.Hour
)

// DefaultMaxEntries bounds each table of what the server issues when
// Config.MaxEntries is 0.
const DefaultMaxEntries = 10_000

// table holds what the server issues (authorization codes, sessions,
// refresh tokens) without growing for ever: an entry is gone once its
// purge time has come (a read finds it absent and drops it), and a write to
// a full table first drops every entry whose time has come and then, down
// to three quarters full, those whose time comes soonest. That sort runs
// at most once per quarter table of writes, so a write costs O(log n)
// amortized. The server's mutex guards a table.
type table[V any] struct {
	max     int
	entries map[string]entry[V]
}

type entry[V any] struct {
	value   V
	purgeAt time.Time
}

func newTable[V any](max int) *table[V] {
	return &table[V]{max: max, entries: map[string]entry[V]{}}
}

// len is how many entries the table holds, due ones included.
func (t *table[V]) len() int { return len(t.entries) }

// get returns key's value, unless it is absent or its time has come.
func (t *table[V]) get(key string, now time.Time) (V, bool) {
	e, ok := t.entries[key]
	if ok && !now.Before(e.purgeAt) {
		delete(t.entries, key)
		ok = false
	}
	return e.value, ok
}

// update replaces key's value by f of it, keeping its purge time, and
// returns the value it had, unless it is absent or its time has come.
func (t *table[V]) update(key string, now time.Time, f func(V) V) (V, bool) {
	v, ok := t.get(key, now)
	if ok {
		t.entries[key] = entry[V]{f(v), t.entries[key].purgeAt}
	}
	return v, ok
}

// put stores v under key until purgeAt, making room first if the table is
// full.
func (t *table[V]) put(key string, v V, purgeAt, now time.Time) {
	if _, ok := t.entries[key]; !ok && len(t.entries) >= t.max {
		t.purge(now)
	}
	t.entries[key] = entry[V]{v, purgeAt}
}

// purge drops the entries whose time has come, then those whose time
// comes soonest until the table is at most three quarters full.
func (t *table[V]) purge(now time.Time) {
	maps.DeleteFunc(t.entries, func(_ string, e entry[V]) bool { return !now.Before(e.purgeAt) })
	excess := len(t.entries) - t.max*3/4
	if excess <= 0 {
		return
	}
	keys := slices.Collect(maps.Keys(t.entries))
	slices.SortFunc(keys, func(a, b string) int { return t.entries[a].purgeAt.Compare(t.entries[b].purgeAt) })
	for _, key := range keys[:excess] {
		delete(t.entries, key)
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
