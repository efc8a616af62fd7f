package audience

import (
	"context"
	"errors"
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Modes of SaveTable.
const (
	// SaveReplace makes the table's rows the audience's members.
	SaveReplace = "replace"
	// SaveAppend adds the table's rows to the current members.
	SaveAppend = "append"
)

// SaveTable saves the distinct key columns of table, a population of the
// dimension (such as a campaign's working table), as the named audience:
// version 1 of a new audience, or a new current version of an existing one
// of the same dimension, replacing its members or adding to them (mode
// SaveReplace, the default, or SaveAppend).
//
// No query selects a population computed elsewhere, so the version's query
// is membership of the audience itself: a refresh keeps the saved members
// that still exist (and, after an append, also re-runs the earlier query).
func (s *Service) SaveTable(ctx context.Context, name, dimension, table, mode string) (*Audience, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	switch mode {
	case "":
		mode = SaveReplace
	case SaveReplace, SaveAppend:
	default:
		return nil, fmt.Errorf("%w: mode %q: want replace or append", ErrInvalidRequest, mode)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	m, mv, err := schema.Current(ctx, s.Store)
	if err != nil {
		return nil, fmt.Errorf("save audience %s: load data model: %w", name, err)
	}
	dim := m.Entity(dimension)
	if dim == nil {
		return nil, fmt.Errorf("%w: unknown dimension %q", ErrInvalidRequest, dimension)
	}
	self := &Query{Dimension: dim.Name, Where: &Node{Audience: name}}
	p := &prepared{m: m, modelVersion: mv, dim: dim, q: self}
	members := store.Members{Keys: dim.KeyAttributes(), Table: table}

	cur, err := s.currentVersion(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		sq, err := encodeStored(self)
		if err != nil {
			return nil, err
		}
		if err := s.create(ctx, name, "", p, sq, members); err != nil {
			return nil, fmt.Errorf("save audience %s: %w", name, err)
		}
		return s.Get(ctx, name)
	case err != nil:
		return nil, err
	}
	if cur.Dimension != dim.Name {
		return nil, fmt.Errorf("%w: audience %s holds %s rows, not %s", ErrInvalidRequest, name, cur.Dimension, dim.Name)
	}
	kind, stored := KindSnapshot, self
	if mode == SaveAppend {
		prev, err := versionQuery(cur)
		if err != nil {
			return nil, err
		}
		if stored, err = orQueries(prev, self); err != nil {
			return nil, fmt.Errorf("append to audience %s: %w", name, err)
		}
		kind, members.Union = KindAppend, cur.Table
	}
	sq, err := encodeStored(stored)
	if err != nil {
		return nil, err
	}
	if err := s.addVersion(ctx, cur, p, kind, sq, members); err != nil {
		return nil, fmt.Errorf("save audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
}
