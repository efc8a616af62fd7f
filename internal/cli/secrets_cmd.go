package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/service"
)

// TokenCmd manages API tokens.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create an API token; it is printed once (the store keeps its hash)."`
	List   TokenListCmd   `cmd:"" help:"List the API tokens (names and dates)."`
	Revoke TokenRevokeCmd `cmd:"" help:"Revoke an API token: every node refuses it within 10 s."`
}

// TokenCreateCmd creates a token.
type TokenCreateCmd struct {
	Name string `arg:"" help:"A name for the token (letters, digits, _ . @ -): who uses it, such as ci or ann."`
}

// Run prints the new token.
func (c *TokenCreateCmd) Run(ctx context.Context, g *Globals) error {
	return withSecrets(ctx, g, func(b Backend) error {
		tok, err := b.CreateToken(ctx, c.Name)
		if err != nil {
			return err
		}
		fmt.Fprintln(g.stdout, tok)
		return nil
	})
}

// TokenListCmd lists tokens.
type TokenListCmd struct {
	JSON bool `help:"Print as JSON."`
}

// Run lists the tokens.
func (c *TokenListCmd) Run(ctx context.Context, g *Globals) error {
	return withSecrets(ctx, g, func(b Backend) error {
		list, err := b.Tokens(ctx)
		if err != nil || c.JSON {
			if err != nil {
				return err
			}
			return printJSON(g.stdout, list)
		}
		for _, t := range list {
			state := "active"
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(g.stdout, "%-24s created %s  %s\n", t.Name, t.CreatedAt.Format(time.RFC3339), state)
		}
		return nil
	})
}

// TokenRevokeCmd revokes a token.
type TokenRevokeCmd struct {
	Name string `arg:"" help:"The token's name."`
}

// Run revokes the token.
func (c *TokenRevokeCmd) Run(ctx context.Context, g *Globals) error {
	return withSecrets(ctx, g, func(b Backend) error {
		if err := b.RevokeToken(ctx, c.Name); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "token %s revoked\n", c.Name)
		return nil
	})
}

// KeysCmd manages the keyring of links.
type KeysCmd struct {
	List   KeysListCmd   `cmd:"" help:"List the keys of links (ids and dates; the current one issues new links)."`
	Rotate KeysRotateCmd `cmd:"" help:"Add a key that issues every new link; links of older keys keep working until retired."`
	Retire KeysRetireCmd `cmd:"" help:"Retire a key: the links it issued (in mail already sent) are refused from now on."`
}

// KeysListCmd lists keys.
type KeysListCmd struct {
	JSON bool `help:"Print as JSON."`
}

// Run lists the keys.
func (c *KeysListCmd) Run(ctx context.Context, g *Globals) error {
	return withSecrets(ctx, g, func(b Backend) error {
		list, err := b.Keys(ctx)
		if err != nil {
			return err
		}
		return printKeys(g, list, c.JSON)
	})
}

// KeysRotateCmd rotates the keyring.
type KeysRotateCmd struct{}

// Run adds a key.
func (c *KeysRotateCmd) Run(ctx context.Context, g *Globals) error {
	return withSecrets(ctx, g, func(b Backend) error {
		list, err := b.RotateKey(ctx)
		if err != nil {
			return err
		}
		return printKeys(g, list, false)
	})
}

// KeysRetireCmd retires a key.
type KeysRetireCmd struct {
	ID string `arg:"" help:"The key's id (see keys list)."`
}

// Run retires the key.
func (c *KeysRetireCmd) Run(ctx context.Context, g *Globals) error {
	return withSecrets(ctx, g, func(b Backend) error {
		list, err := b.RetireKey(ctx, c.ID)
		if err != nil {
			return err
		}
		return printKeys(g, list, false)
	})
}

func printKeys(g *Globals, list *service.KeyList, asJSON bool) error {
	if asJSON {
		return printJSON(g.stdout, list)
	}
	for _, k := range list.Keys {
		state := "active"
		switch {
		case k.RetiredAt != nil:
			state = "retired " + k.RetiredAt.Format(time.RFC3339)
		case k.ID == list.Current:
			state = "current (issues new links)"
		case k.Source == "legacy":
			state = "active (checks links of an earlier version)"
		}
		fmt.Fprintf(g.stdout, "%-16s created %s  %s\n", k.ID, k.CreatedAt.Format(time.RFC3339), state)
	}
	return nil
}

func withSecrets(ctx context.Context, g *Globals, fn func(Backend) error) error {
	return withBackend(ctx, g, fn)
}
