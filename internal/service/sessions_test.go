package service_test

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestSessionOperations checks the console's sessions on Local (the
// client has no door to them): a sign-in with an unknown or a revoked
// token is refused alike; a session opened with an active token names it
// and ends at a sign-out, or when its token is revoked.
func TestSessionOperations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := service.New(service.Config{Store: s, Log: quiet()})
		tok := got(svc.CreateToken(ctx, "ci")).must(t)
		old := got(svc.CreateToken(ctx, "old")).must(t)
		if err := svc.RevokeToken(ctx, "old"); err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string]string{"unknown": "ff_0123456789abcdef0123456789abcdef", "revoked": old, "empty": ""} {
			cookie, sess, err := svc.SignIn(ctx, service.SignInRequest{Token: bad})
			wantIs(t, "sign in with an "+name+" token", err, service.ErrSignIn)
			if cookie != "" || sess != nil {
				t.Errorf("a refused sign-in gave %q, %+v", cookie, sess)
			}
		}

		cookie, sess, err := svc.SignIn(ctx, service.SignInRequest{Token: tok})
		if err != nil || cookie == "" || sess.Subject != "token:ci" || sess.ExpiresAt.IsZero() {
			t.Fatalf("sign in = %q, %+v, %v", cookie, sess, err)
		}
		if got, err := svc.Session(ctx, cookie); err != nil || got.Subject != "token:ci" {
			t.Fatalf("session = %+v, %v", got, err)
		}
		if err := svc.SignOut(ctx, cookie); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Session(ctx, cookie)
		wantIs(t, "a session signed out", err, service.ErrNoSession)
		wantIs(t, "sign out twice", svc.SignOut(ctx, cookie), service.ErrNoSession)

		// Revoking a token ends the sessions it opened.
		cookie = got3(svc.SignIn(ctx, service.SignInRequest{Token: tok})).must(t)
		if err := svc.RevokeToken(ctx, "ci"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Session(ctx, cookie)
		wantIs(t, "a session of a revoked token", err, service.ErrNoSession)
	})
}

// got3 keeps the first of three results, for must.
func got3[A, B any](a A, _ B, err error) result[A] { return got(a, err) }
