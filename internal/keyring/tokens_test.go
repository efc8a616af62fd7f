package keyring_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			first, second := nodes(t, backend)
			s := first()
			a := keyring.NewTokens(s)
			tok, err := a.Create(ctx, "ci")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, keyring.TokenPrefix) || len(tok) != 51 {
				t.Errorf("token %q", tok)
			}
			// Kept hashed: the token is nowhere in the table.
			var n int
			if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_api_tokens WHERE hash = $1 OR name = $1`, tok).Scan(&n); err != nil || n != 0 {
				t.Errorf("the token is stored in clear (%d, %v)", n, err)
			}
			if _, err := a.Create(ctx, "ci"); !errors.Is(err, keyring.ErrTokenExists) {
				t.Errorf("a second active ci: %v", err)
			}
			if _, err := a.Create(ctx, "no spaces"); !errors.Is(err, keyring.ErrTokenName) {
				t.Errorf("a name with a space: %v", err)
			}
			if err := a.Add(ctx, "local", "ff_from_a_file_0123456789"); err != nil {
				t.Fatal(err)
			}

			// Another node accepts both, knows their names, revokes one.
			b := keyring.NewTokens(second())
			for tk, want := range map[string]string{tok: "ci", "ff_from_a_file_0123456789": "local"} {
				if name, ok, err := b.Check(ctx, tk); err != nil || !ok || name != want {
					t.Errorf("other node checks %s: %q %v %v", want, name, ok, err)
				}
			}
			if _, ok, _ := b.Check(ctx, tok+"x"); ok {
				t.Error("a altered token is accepted")
			}
			if err := b.Revoke(ctx, "ci"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := b.Check(ctx, tok); ok {
				t.Error("a revoked token is accepted")
			}
			if err := b.Revoke(ctx, "ci"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("revoke twice: %v", err)
			}
			// Configured again, a revoked token stays revoked; its name
			// is free for a new one.
			if err := b.Add(ctx, "ci-again", tok); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := b.Check(ctx, tok); ok {
				t.Error("adding a revoked token again revived it")
			}
			if known, revoked, err := b.Status(ctx, tok); !known || !revoked || err != nil {
				t.Errorf("status = %v %v %v", known, revoked, err)
			}
			if _, err := b.Create(ctx, "ci"); err != nil {
				t.Errorf("a new ci after the revocation: %v", err)
			}
			list, err := b.List(ctx)
			if err != nil || len(list) != 3 || list[0].Name != "ci" || list[0].RevokedAt == nil {
				t.Errorf("list = %+v, %v", list, err)
			}
			if n, err := b.Active(ctx); n != 2 || err != nil {
				t.Errorf("active = %d, %v", n, err)
			}
		})
	}
}
