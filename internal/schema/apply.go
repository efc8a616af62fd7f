package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ApplyOptions control Apply.
type ApplyOptions struct {
	// AllowDestructive lets changes that drop or convert data run.
	AllowDestructive bool
	// DryRun plans the changes, counting what destructive ones would lose,
	// and changes nothing. A dry run never returns a *DestructiveError: the
	// changes carry Destructive and Loss instead.
	DryRun bool
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	// Version is the model version now current: the new one, or the
	// existing one when nothing changed or on a dry run (0 if none).
	Version int64    `json:"version"`
	Changes []Change `json:"changes"`
	// Unchanged is true when the document changed nothing.
	Unchanged bool `json:"unchanged"`
}

// DestructiveError refuses a plan holding destructive changes; each change
// says what would be lost.
type DestructiveError struct {
	Changes []Change
}

// Error lists the refused changes and what each would lose.
func (e *DestructiveError) Error() string {
	var b strings.Builder
	b.WriteString("the new model needs destructive changes; nothing was changed (allow destructive changes to proceed):")
	for _, c := range e.Changes {
		b.WriteString("\n  - ")
		b.WriteString(c.Description)
		if c.Loss != "" {
			b.WriteString(": ")
			b.WriteString(c.Loss)
		}
	}
	return b.String()
}

// ErrConcurrentChange is returned when another model was applied while
// Apply was planning its changes.
var ErrConcurrentChange = errors.New("another model version was applied meanwhile; apply again")

// Apply parses doc, plans the changes from the current model and, unless
// they are destructive and not allowed, runs them and records doc as the new
// model version in one transaction. An invalid document yields the parser's
// *datamodel.ValidationError; a refused plan a *DestructiveError.
func Apply(ctx context.Context, s *store.Store, doc []byte, opts ApplyOptions) (*ApplyResult, error) {
	m, err := datamodel.Parse(doc)
	if err != nil {
		return nil, err
	}
	old, current, err := Current(ctx, s)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	plan := Diff(old, m, s.Dialect)
	res := &ApplyResult{Version: current, Changes: plan.Changes, Unchanged: len(plan.Changes) == 0}
	if res.Unchanged {
		return res, nil
	}
	destructive := len(plan.Destructive()) > 0
	if destructive && (opts.DryRun || !opts.AllowDestructive) {
		if err := measureLoss(ctx, s, res.Changes); err != nil {
			return nil, err
		}
	}
	if opts.DryRun {
		return res, nil
	}
	if destructive && !opts.AllowDestructive {
		var refused []Change
		for _, c := range res.Changes {
			if c.Destructive {
				refused = append(refused, c)
			}
		}
		return nil, &DestructiveError{Changes: refused}
	}
	steps := make([]store.SchemaStep, len(plan.Changes))
	for i, c := range plan.Changes {
		steps[i] = store.SchemaStep{Description: c.Description, SQL: c.SQL}
	}
	res.Version, err = s.Schema().Apply(ctx, current, steps, store.NewModelVersion{
		Document: string(doc), Format: Format(doc), Summary: plan.Summary(), AppliedAt: time.Now().UTC()})
	if errors.Is(err, store.ErrModelChanged) {
		err = ErrConcurrentChange
	}
	if err != nil {
		return nil, fmt.Errorf("apply data model: %w", err)
	}
	return res, nil
}

// Format returns "json" for a document that is a JSON object, else "yaml".
func Format(doc []byte) string {
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '{' {
		return "json"
	}
	return "yaml"
}

// measureLoss fills Loss for the destructive changes by counting the rows
// and non-null values they would drop or convert.
func measureLoss(ctx context.Context, s *store.Store, changes []Change) error {
	for i := range changes {
		c := &changes[i]
		if !c.Destructive {
			continue
		}
		sc := s.Schema()
		count := func(column string) (int64, error) {
			var n int64
			var err error
			if column == "" {
				n, err = sc.CountRows(ctx, c.Entity)
			} else {
				n, err = sc.CountValues(ctx, c.Entity, column)
			}
			if err != nil {
				return 0, fmt.Errorf("count data affected by %q: %w", c.Description, err)
			}
			return n, nil
		}
		switch c.Kind {
		case DropEntity:
			n, err := count("")
			if err != nil {
				return err
			}
			c.Loss = fmt.Sprintf("%d %s would be lost", n, plural(n, "row", "rows"))
		case DropAttribute:
			n, err := count(c.Attribute)
			if err != nil {
				return err
			}
			c.Loss = fmt.Sprintf("%d non-null %s would be lost", n, plural(n, "value", "values"))
		case ChangeType:
			n, err := count(c.Attribute)
			if err != nil {
				return err
			}
			c.Loss = fmt.Sprintf("%d non-null %s would be converted; the change fails if any does not convert", n, plural(n, "value", "values"))
		case ChangeKey:
			n, err := count("")
			if err != nil {
				return err
			}
			c.Loss = fmt.Sprintf("%d %s must satisfy the new key; the change fails on empty or duplicate keys", n, plural(n, "row", "rows"))
		}
	}
	return nil
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
