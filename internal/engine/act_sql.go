package engine

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// The targeting activities ask the working-table compiler (package
// worktable) for their statements, one CREATE TABLE … AS SELECT per
// output, and run them in order.

// compiler returns the working-table compiler for this execution: the
// run's model, parameters and clock, and a salt for random orders that is
// the same on every attempt of the activity.
func (v *env) compiler() *worktable.Compiler {
	return &worktable.Compiler{
		Model: v.st.model,
		Query: func(dimension, text string, where []byte) (*audience.Compiled, error) {
			q, err := v.query(dimension, text, where)
			if err != nil {
				return nil, err
			}
			return v.compile(q)
		},
		Salt:  fmt.Sprintf(":%d:%s", v.st.run.ID, v.act.ID),
		Table: v.table,
	}
}

// work describes an input to the compiler.
func work(in input) worktable.Input {
	return worktable.Input{From: in.From, Table: in.Table, Dimension: in.Dimension, Columns: in.Columns, Count: in.Count}
}

// run runs an activity's statements in order and returns their outputs;
// an error (the compiler's or the database's) names the activity.
func (v *env) run(stmts []worktable.Statement, err error) ([]output, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	outs := make([]output, len(stmts))
	for i, s := range stmts {
		if err := v.exec(s.SQL, s.Args...); err != nil {
			return nil, err
		}
		outs[i] = output{Port: s.Port, Table: s.Table, Dimension: s.Dimension}
	}
	return outs, nil
}

// entity returns a dimension's entity or an error naming the activity.
func (v *env) entity(dimension string) (*datamodel.Entity, error) {
	e := v.st.model.Entity(dimension)
	if e == nil {
		return nil, fmt.Errorf("%s: unknown dimension %q", v.act.ID, dimension)
	}
	return e, nil
}

// population returns the single input, which must carry rows.
func (v *env) population() (input, error) {
	in, err := v.only()
	if err != nil {
		return input{}, err
	}
	if in.Table == "" {
		return input{}, fmt.Errorf("%s needs a population, but its input %s carries none", v.act.ID, in.From)
	}
	return in, nil
}

// resolvePath checks an attribute path from a dimension.
func (v *env) resolvePath(dim *datamodel.Entity, path string) (*datamodel.Attribute, error) {
	_, a, err := audience.ResolveAttr(v.st.model, dim, path)
	if err != nil {
		return nil, fmt.Errorf("%s: attribute %q: %w", v.act.ID, path, err)
	}
	return a, nil
}

// whereSQL joins conditions into " WHERE … AND …", or nothing (the channel
// activity's outbox statements).
func whereSQL(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// connected reports whether a transition leaves the activity's port.
func (v *env) connected(port string) bool {
	for _, t := range v.st.doc.Transitions {
		p := t.Output
		if p == "" {
			p = "out"
		}
		if t.From == v.act.ID && p == port {
			return true
		}
	}
	return false
}
