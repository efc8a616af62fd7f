package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Schema is the area of the customer tables' shape and of the model
// versions applied to them (ff_model_versions): the DDL that takes the
// tables from one model to the next, with what differs between the
// databases (column types, primary keys, link indexes) decided here, and
// the transaction that runs it and records the new version. Package schema
// plans the changes (what changed between two models) and calls it.
type Schema struct {
	area
	db *sql.DB // for Apply's own transaction; nil when built by SchemaFor
}

// Schema returns the store's schema area.
func (s *Store) Schema() Schema { return Schema{area: s.area(), db: s.db} }

// SchemaFor returns the schema area's statements for dialect d, bound to
// no database: it plans DDL and runs nothing (schema.Diff's tests give it a
// dialect of their own).
func SchemaFor(d Dialect) Schema { return Schema{area: area{d: d}} }

// On returns the area bound to q (a transaction, a connection) for its
// reads.
func (sc Schema) On(q Querier) Schema { sc.area = sc.area.on(q); return sc }

// ModelVersion describes one applied model version.
type ModelVersion struct {
	Version   int64
	AppliedAt time.Time
	Summary   string
}

// NewModelVersion is the model version Apply records.
type NewModelVersion struct {
	Document, Format, Summary string
	AppliedAt                 time.Time
}

// SchemaStep is one step of a plan: its statements, run in order, and
// what it does (which prefixes the error of a failing statement).
type SchemaStep struct {
	Description string
	SQL         []string
}

// ErrModelChanged is returned by Apply when the latest model version is no
// longer the one the plan was made from.
var ErrModelChanged = errors.New("another model version was applied meanwhile")

// LatestVersion returns the number of the model version applied last, 0
// when none was.
func (sc Schema) LatestVersion(ctx context.Context) (int64, error) {
	var v int64
	err := sc.row(ctx, []any{&v}, `SELECT coalesce(max(version), 0) FROM ff_model_versions`)
	return v, err
}

// Document returns the document of model version v as it was applied;
// ErrNotFound if there is no such version.
func (sc Schema) Document(ctx context.Context, v int64) (string, error) {
	var doc string
	err := sc.row(ctx, []any{&doc}, `SELECT document FROM ff_model_versions WHERE version = $1`, v)
	return doc, err
}

// Versions lists the applied model versions, oldest first.
func (sc Schema) Versions(ctx context.Context) ([]ModelVersion, error) {
	var out []ModelVersion
	err := sc.each(ctx, func(rows *sql.Rows) error {
		var mv ModelVersion
		if err := rows.Scan(&mv.Version, &mv.AppliedAt, &mv.Summary); err != nil {
			return err
		}
		out = append(out, mv)
		return nil
	}, `SELECT version, applied_at, summary FROM ff_model_versions ORDER BY version`)
	return out, err
}

// CountRows counts the rows of a customer table (a name checked against
// the model).
func (sc Schema) CountRows(ctx context.Context, table string) (int64, error) {
	var n int64
	err := sc.row(ctx, []any{&n}, "SELECT count(*) FROM "+Quote(table))
	return n, err
}

// CountValues counts the non-null values of a column of a customer table.
func (sc Schema) CountValues(ctx context.Context, table, column string) (int64, error) {
	var n int64
	err := sc.row(ctx, []any{&n}, "SELECT count("+Quote(column)+") FROM "+Quote(table))
	return n, err
}

// Apply runs the steps and records v as the new model version in one
// transaction, provided the latest version is still from (ErrModelChanged
// otherwise), and returns the new version's number. It runs on the
// store's database, never inside a caller's transaction.
func (sc Schema) Apply(ctx context.Context, from int64, steps []SchemaStep, v NewModelVersion) (int64, error) {
	if sc.db == nil {
		return 0, errors.New("schema area without a database")
	}
	tx, err := sc.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin transaction: %w", err)
	}
	version, err := sc.On(tx).apply(ctx, from, steps, v)
	if err != nil {
		_ = tx.Rollback()
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return version, nil
}

func (sc Schema) apply(ctx context.Context, from int64, steps []SchemaStep, v NewModelVersion) (int64, error) {
	latest, err := sc.LatestVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read current model version: %w", err)
	}
	if latest != from {
		return 0, ErrModelChanged
	}
	for _, st := range steps {
		for _, stmt := range st.SQL {
			if _, err := sc.q.ExecContext(ctx, stmt); err != nil {
				return 0, fmt.Errorf("%s: %w", st.Description, err)
			}
		}
	}
	var version int64
	err = sc.row(ctx, []any{&version},
		`INSERT INTO ff_model_versions (document, format, summary, applied_at) VALUES ($1, $2, $3, $4) RETURNING version`,
		v.Document, v.Format, v.Summary, v.AppliedAt)
	if err != nil {
		return 0, fmt.Errorf("record model version: %w", err)
	}
	return version, nil
}
