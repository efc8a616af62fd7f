package service

import (
	"context"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/keyring"
)

// TokenRequest names a new API token.
type TokenRequest struct {
	Name string `json:"name"`
}

// TokenCreated is a new token: the only answer that shows it.
type TokenCreated struct {
	Name  string `json:"name"`
	Token string `json:"token"`
}

// TokenList lists the API tokens (never the tokens themselves).
type TokenList struct {
	Tokens []keyring.Token `json:"tokens"`
}

// KeyList lists the keys of the keyring (never their secrets) and says
// which one issues new links.
type KeyList struct {
	Keys    []keyring.Key `json:"keys"`
	Current string        `json:"current"`
}

// by names the caller in the log of a decision.
func by(ctx context.Context) string {
	if a, ok := audit.From(ctx); ok {
		return a.String()
	}
	return ""
}

// Tokens lists the API tokens (names and dates).
func (l *Local) Tokens(ctx context.Context) ([]keyring.Token, error) {
	return l.tokens.List(ctx)
}

// CreateToken makes an API token.
func (l *Local) CreateToken(ctx context.Context, name string) (string, error) {
	tok, err := l.tokens.Create(ctx, name)
	if err != nil {
		return "", err
	}
	l.log.Info("API token created", "name", name, "by", by(ctx))
	return tok, nil
}

// RevokeToken revokes the active token of that name, and ends the
// console sessions it opened.
func (l *Local) RevokeToken(ctx context.Context, name string) error {
	if err := l.tokens.Revoke(ctx, name); err != nil {
		return err
	}
	l.log.Info("API token revoked", "name", name, "by", by(ctx))
	n, err := l.sessions.CloseSubject(ctx, audit.Token(name).String())
	if err != nil {
		return err
	}
	if n > 0 {
		l.log.Info("console sessions of a revoked token closed", "name", name, "sessions", n)
	}
	return nil
}

// Keys lists the keyring, the current key made if there is none yet.
func (l *Local) Keys(ctx context.Context) (*KeyList, error) {
	cur, err := l.keys.Current(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := l.keys.List(ctx)
	if err != nil {
		return nil, err
	}
	return &KeyList{Keys: keys, Current: cur.ID}, nil
}

// RotateKey adds the key that issues new links.
func (l *Local) RotateKey(ctx context.Context) (*KeyList, error) {
	k, err := l.keys.Rotate(ctx)
	if err != nil {
		return nil, err
	}
	l.log.Info("key rotated", "key", k.ID, "by", by(ctx))
	return l.Keys(ctx)
}

// RetireKey retires a key: the links it issued are refused from now on.
func (l *Local) RetireKey(ctx context.Context, id string) (*KeyList, error) {
	if err := l.keys.Retire(ctx, id); err != nil {
		return nil, err
	}
	l.log.Info("key retired", "key", id, "by", by(ctx))
	return l.Keys(ctx)
}
