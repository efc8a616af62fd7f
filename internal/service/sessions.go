package service

import (
	"context"
	"errors"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/keyring"
)

// The console's sessions are the server's alone (the CLI works with a
// token), so their operations are methods of Local, not of Service.

// ErrSignIn is a sign-in refused: the token is unknown or revoked, and
// which of the two is not told.
var ErrSignIn = errors.New("not a valid API token")

// ErrNoSession matches a session cookie that names no session in use
// (forged, signed out, expired: which is not told).
var ErrNoSession = keyring.ErrNoSession

// SignInRequest is what the console signs in with: an API token, today;
// a user's credentials once user accounts exist.
type SignInRequest struct {
	Token string `json:"token"`
}

// SessionInfo tells the holder of a session whom it acts for and when it
// ends: if not used again (ExpiresAt, which each use moves forward), and
// however much it is used (MaxExpiresAt).
type SessionInfo struct {
	Subject      string    `json:"subject"`
	ExpiresAt    time.Time `json:"expires_at"`
	MaxExpiresAt time.Time `json:"max_expires_at"`
}

// SignIn opens a session for the holder of an active API token and
// returns its cookie value (the only place its secret shows); ErrSignIn
// for any other token. The token is checked against the store as it is
// now, so a token revoked on another node a moment ago opens nothing.
func (l *Local) SignIn(ctx context.Context, req SignInRequest) (string, *SessionInfo, error) {
	name, ok, err := l.tokens.CheckNow(ctx, req.Token)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, ErrSignIn
	}
	subject := audit.Token(name).String()
	cookie, sess, err := l.sessions.Open(ctx, subject)
	if err != nil {
		return "", nil, err
	}
	l.log.Info("console session opened", "subject", subject)
	// Each sign-in clears away the sessions no one can use any more, so
	// the table holds about the sessions in use.
	if _, err := l.sessions.Purge(ctx); err != nil {
		l.log.Warn("purge sessions", "err", err)
	}
	return cookie, info(sess), nil
}

// Session returns the session a cookie names, recording its use (which
// moves its idle expiry), or ErrNoSession.
func (l *Local) Session(ctx context.Context, cookie string) (*SessionInfo, error) {
	sess, err := l.sessions.Check(ctx, cookie)
	if err != nil {
		return nil, err
	}
	return info(sess), nil
}

// SignOut ends the session a cookie names, on every node at once; a
// cookie that names none in use is ErrNoSession.
func (l *Local) SignOut(ctx context.Context, cookie string) error {
	subject, err := l.sessions.Close(ctx, cookie)
	if err != nil {
		return err
	}
	l.log.Info("console session closed", "subject", subject)
	return nil
}

func info(s keyring.Session) *SessionInfo {
	return &SessionInfo{Subject: s.Subject, ExpiresAt: s.ExpiresAt, MaxExpiresAt: s.MaxExpiresAt}
}
