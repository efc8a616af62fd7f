package audience

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	keys := store.QuoteList(dim.Key)
	self := &Query{Dimension: dim.Name, Where: &Node{Audience: name}}
	p := &prepared{m: m, modelVersion: mv, dim: dim, q: self}
	src := "SELECT DISTINCT " + keys + " FROM " + store.Quote(table)

	cur, err := s.currentVersion(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		sq, err := encodeStored(self)
		if err != nil {
			return nil, err
		}
		now := time.Now().UTC()
		err = s.Store.InTx(ctx, func(tx *sql.Tx) error {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO ff_audiences (name, dimension, description, current_version, created_at, updated_at)
				VALUES ($1, $2, '', 1, $3, $3) RETURNING id`, name, dim.Name, now).Scan(&id)
			if err != nil {
				return ctxErr(ctx, "save audience "+name, err)
			}
			t := memberTable(id, 1)
			count, err := s.fillMembers(ctx, tx, dim, t, src, nil)
			if err != nil {
				return err
			}
			return insertVersion(ctx, tx, id, 1, KindSnapshot, sq, count, mv, t, now)
		})
		if err != nil {
			return nil, fmt.Errorf("save audience %s: %w", name, err)
		}
		return s.Get(ctx, name)
	case err != nil:
		return nil, err
	}
	if cur.dimension != dim.Name {
		return nil, fmt.Errorf("%w: audience %s holds %s rows, not %s", ErrInvalidRequest, name, cur.dimension, dim.Name)
	}
	kind, stored := KindSnapshot, self
	if mode == SaveAppend {
		prev, err := cur.query()
		if err != nil {
			return nil, err
		}
		if stored, err = orQueries(prev, self); err != nil {
			return nil, fmt.Errorf("append to audience %s: %w", name, err)
		}
		kind = KindAppend
		src = "SELECT " + keys + " FROM " + store.Quote(cur.table) + " UNION SELECT " + keys + " FROM " + store.Quote(table)
	}
	sq, err := encodeStored(stored)
	if err != nil {
		return nil, err
	}
	if err := s.addVersion(ctx, cur, p, kind, sq, src, nil); err != nil {
		return nil, fmt.Errorf("save audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
}
