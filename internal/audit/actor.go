package audit

import (
	"context"
	"fmt"
	"os/user"
	"strings"
)

// Actor kinds.
const (
	// KindToken is a caller of the HTTP API, named by its API token.
	KindToken = "token"
	// KindCLI is a person running a command on the store directly (no
	// server), named by their operating-system user.
	KindCLI = "cli"
	// KindRun is a campaign's run (its save_audience), named by its id.
	KindRun = "run"
)

// Actor is who made a decision: a kind and a name, written "kind:name"
// (token:ci, cli:alice).
type Actor struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// String returns "kind:name".
func (a Actor) String() string { return a.Kind + ":" + a.Name }

// IsZero reports whether the actor is unknown.
func (a Actor) IsZero() bool { return a.Kind == "" && a.Name == "" }

// Parse reads "kind:name".
func Parse(s string) (Actor, error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || kind == "" || name == "" {
		return Actor{}, fmt.Errorf("actor %q: want kind:name", s)
	}
	return Actor{Kind: kind, Name: name}, nil
}

// Token is the actor of an API call made with the named token.
func Token(name string) Actor { return Actor{Kind: KindToken, Name: name} }

// CLI is the actor of a command run on the store directly: the
// operating-system user running it ("unknown" when it cannot be told).
func CLI() Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return Actor{Kind: KindCLI, Name: name}
}

type actorKey struct{}

// WithActor returns a context carrying the actor of the request.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// From returns the actor a context carries, if any.
func From(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
