package service_test

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestTokenOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		tok := got(svc.CreateToken(ctx, "ci")).must(t)
		if tok == "" {
			t.Fatal("no token")
		}
		_, err := svc.CreateToken(ctx, "ci")
		wantIs(t, "a token made twice", err, keyring.ErrTokenExists)
		_, err = svc.CreateToken(ctx, "no spaces")
		wantIs(t, "a bad name", err, keyring.ErrTokenName)
		if list := got(svc.Tokens(ctx)).must(t); len(list) != 1 || list[0].Name != "ci" {
			t.Errorf("tokens: %+v", list)
		}
		if err := svc.RevokeToken(ctx, "ci"); err != nil {
			t.Fatal(err)
		}
		wantIs(t, "revoke twice", svc.RevokeToken(ctx, "ci"), store.ErrNotFound)
	})
}

func TestKeyOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		first := got(svc.Keys(ctx)).must(t)
		if len(first.Keys) != 1 || first.Current == "" {
			t.Fatalf("keys: %+v", first)
		}
		rotated := got(svc.RotateKey(ctx)).must(t)
		if len(rotated.Keys) != 2 || rotated.Current == first.Current {
			t.Errorf("rotate: %+v", rotated)
		}
		_, err := svc.RetireKey(ctx, rotated.Current)
		wantIs(t, "retire the current key", err, keyring.ErrCurrentKey)
		retired := got(svc.RetireKey(ctx, first.Current)).must(t)
		if len(retired.Keys) != 2 || retired.Current != rotated.Current {
			t.Errorf("retire: %+v", retired)
		}
		_, err = svc.RetireKey(ctx, "nonesuch")
		wantIs(t, "retire an unknown key", err, store.ErrNotFound)
	})
}
