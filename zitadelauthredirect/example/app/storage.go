package app

import (
	"context"
	"net/url"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Storage is zitadel's in-memory example storage with two changes an
// adopter's storage makes too: a lookup of something that does not exist
// fails with an op.StorageNotFoundError (the example's own errors are plain
// text, which the adapter never reads), and clients send the user to this
// server's /login.
type Storage struct {
	*storage.Storage
	// Users are its accounts, for the login form.
	Users storage.UserStore
}

// NewStorage is the example storage holding clients, with its one user
// "test-user@" + the issuer's host name, password "verysecure".
func NewStorage(issuer string, clients map[string]*storage.Client) *Storage {
	users := storage.NewUserStore(issuer)
	return &Storage{storage.NewStorageWithClients(users, clients), users}
}

// missing is the error of a lookup that found nothing.
type missing struct{ what string }

func (m missing) Error() string { return m.what + " not found" }

// IsNotFound marks missing as op.StorageNotFoundError.
func (missing) IsNotFound() {}

var _ op.StorageNotFoundError = missing{}

// The in-memory maps of the example storage cannot fail: every error its
// lookups return means "not there".

// GetClientByClientID returns the client, or a not-found error.
func (s *Storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, missing{"client"}
	}
	return client{c}, nil
}

// AuthRequestByID returns the auth request, or a not-found error.
func (s *Storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByID(ctx, id)
	if err != nil {
		return nil, missing{"auth request"}
	}
	return r, nil
}

// AuthRequestByCode returns the auth request of a code, or a not-found error.
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, missing{"code"}
	}
	return r, nil
}

// TokenRequestByRefreshToken returns what a refresh token was issued for,
// or a not-found error.
func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	r, err := s.Storage.TokenRequestByRefreshToken(ctx, token)
	if err != nil {
		return nil, missing{"refresh token"}
	}
	return r, nil
}

// client sends the user to this server's login page.
type client struct{ op.Client }

func (client) LoginURL(id string) string { return "/?authRequestID=" + url.QueryEscape(id) }
