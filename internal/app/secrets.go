package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/cli"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// localTokenName names the token a server writes in its data directory
// for the CLI on the same machine.
const localTokenName = "local"

// bootstrapToken makes sure the CLI can reach this server without typing
// a token. A configured token (--token, --token-file) is recorded in the
// store; else the data directory's api-token file is recorded, or made
// (0600) when there is none or its token was revoked. With PostgreSQL and
// neither, a store without any token gets an "admin" token, printed once.
// Tokens are kept hashed in the store: every node sharing it accepts them.
func bootstrapToken(ctx context.Context, g *cli.Globals, s *store.Store) error {
	tokens := keyring.NewTokens(s)
	if tok := g.ConfiguredToken(); tok != "" {
		return recordToken(ctx, g, tokens, "configured", tok)
	}
	if dir := g.DataDirectory(); dir != "" {
		path := tokenPath(dir)
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
			tok := strings.TrimSpace(string(b))
			if _, revoked, err := tokens.Status(ctx, tok); err != nil || !revoked {
				if err != nil {
					return err
				}
				return recordToken(ctx, g, tokens, localTokenName, tok)
			}
			g.Log().Warn("the API token in the data directory was revoked: making a new one", "file", path)
		}
		tok, err := createToken(ctx, tokens, localTokenName)
		if err != nil {
			return err
		}
		if err := writePrivate(path, tok+"\n"); err != nil {
			return fmt.Errorf("write API token: %w", err)
		}
		g.Log().Info("API token created", "file", path)
		return nil
	}
	n, err := tokens.Active(ctx)
	if err != nil || n > 0 {
		return err
	}
	tok, err := createToken(ctx, tokens, "admin")
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Stderr(), "API token created, shown once (give it to the CLI with FANFARE_API_TOKEN or --token-file; `fanfare token create` makes more):\n%s\n", tok)
	return nil
}

// recordToken records a token under a name, suffixed if another active
// token has it.
func recordToken(ctx context.Context, g *cli.Globals, tokens *keyring.Tokens, name, tok string) error {
	err := tokens.Add(ctx, name, tok)
	if errors.Is(err, keyring.ErrTokenExists) {
		sum := sha256.Sum256([]byte(tok))
		err = tokens.Add(ctx, name+"-"+hex.EncodeToString(sum[:3]), tok)
	}
	if err != nil {
		return fmt.Errorf("record the API token: %w", err)
	}
	if _, revoked, err := tokens.Status(ctx, tok); err == nil && revoked {
		g.Log().Warn("the configured API token was revoked: the server refuses it")
	}
	return nil
}

// createToken makes a token under a name, suffixed with random hex if
// another active token has it: nodes of one store starting in the same
// second each make their own (a time suffix made them collide).
func createToken(ctx context.Context, tokens *keyring.Tokens, name string) (string, error) {
	tok, err := tokens.Create(ctx, name)
	for range 3 {
		if !errors.Is(err, keyring.ErrTokenExists) {
			break
		}
		tok, err = tokens.Create(ctx, name+"-"+rand.Text()[:8])
	}
	return tok, err
}

// writePrivate writes a file readable by its owner only, in a directory
// made private if it is new.
func writePrivate(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// importLegacySecret adds the unsubscribe secret of earlier versions —
// FANFARE_SECRET (or _FILE), else the data directory's secret file — to
// the keyring, where it checks the links it signed until retired
// (`fanfare keys retire`). It never signs new links.
func importLegacySecret(ctx context.Context, g *cli.Globals, ring *keyring.Ring) error {
	var secret []byte
	switch {
	case os.Getenv("FANFARE_SECRET") != "":
		secret = []byte(os.Getenv("FANFARE_SECRET"))
	case os.Getenv("FANFARE_SECRET_FILE") != "":
		b, err := os.ReadFile(os.Getenv("FANFARE_SECRET_FILE"))
		if err != nil {
			return fmt.Errorf("FANFARE_SECRET_FILE: %w", err)
		}
		secret = []byte(strings.TrimSpace(string(b)))
	case g.DataDirectory() != "":
		b, err := os.ReadFile(filepath.Join(g.DataDirectory(), "secret"))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the secret of an earlier version: %w", err)
		}
		secret = b
	}
	if len(secret) == 0 {
		return nil
	}
	k, err := ring.Import(ctx, secret)
	if err != nil {
		return err
	}
	if k.Active() {
		g.Log().Info("the unsubscribe secret of an earlier version checks its links", "key", k.ID)
	}
	return nil
}
