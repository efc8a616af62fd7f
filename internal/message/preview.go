package message

import (
	"context"
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrNoProfile is returned by Preview when the key matches no row.
var ErrNoProfile = fmt.Errorf("no such profile: %w", store.ErrNotFound)

// Preview renders a content spec for one profile of the dimension, with
// the given variables. A preview has no run, so any target column reads
// as empty. It returns a *ValidationError for an invalid spec, a
// *RenderError when the template fails for this profile.
func Preview(ctx context.Context, s *store.Store, m *datamodel.Model, dimension, channel string, spec any, key []any, vars map[string]any) (any, error) {
	env := PreviewEnv("Preview", vars)
	t, err := Compile(m, dimension, channel, spec, env)
	if err != nil {
		return nil, err
	}
	ctxs, err := NewLoader(s, m, dimension, t.Needs()).WithEnv(env).Load(ctx, [][]any{key}, nil)
	if err != nil {
		return nil, err
	}
	c, ok := ctxs[KeyString(key)]
	if !ok {
		return nil, ErrNoProfile
	}
	return t.Render(c)
}

// PreviewEnv is the environment of a preview of a campaign's content: no
// run, so any target column is accepted and reads as empty.
func PreviewEnv(campaign string, vars map[string]any) Env {
	return Env{Vars: vars, Mode: "preview", Campaign: campaign, anyTarget: true}
}
