package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// executor runs one activity type: it reads env.inputs and returns the
// outputs it produced (a port it leaves out is a branch not taken). Output
// tables are created with env.table(port) names; the engine counts them,
// records them and drops them if the step does not complete.
type executor func(v *env) ([]output, error)

// executors maps every activity type of package campaign to its
// implementation, in the order of docs/campaigns.md. It is the one place a
// new type is wired; TestEveryActivityTypeHasAnExecutor keeps it and
// campaign.Types in step.
var executors = map[string]executor{
	"start":     control,
	"scheduler": control,
	"signal":    control,
	"wait":      passOn,
	"fork":      passOn,
	"and_join":  andJoin,
	"test":      test,
	"end":       end,

	"build_audience":    buildAudience,
	"read_audience":     readAudience,
	"incremental_query": incrementalQuery,
	"combine":           combine,
	"deduplicate":       deduplicate,
	"enrich":            enrich,
	"split":             split,
	"change_dimension":  changeDimension,
	"reconcile":         reconcile,
	"load_file":         loadFile,
	"save_audience":     saveAudience,

	"email": channel,
	"sms":   channel,
	"push":  channel,
}

// env is what an executor works with.
type env struct {
	ctx     context.Context
	e       *Engine
	st      *runState
	act     *campaign.Activity
	seq     int
	attempt int
	now     time.Time
	// started is when this attempt began.
	started time.Time
	inputs  []input
	// state holds campaign state values (an incremental query's high-water
	// mark) that the completing transaction writes.
	kept map[string]string
}

// store returns the store.
func (v *env) store() *store.Store { return v.e.store }

// model returns the data model.
func (v *env) model() *datamodel.Model { return v.st.model }

// simulate reports a simulation: channels and save_audience write nothing.
func (v *env) simulate() bool { return v.st.run.Mode == ModeSimulate }

// table names the working table of one of this activity's output ports for
// this attempt.
func (v *env) table(port string) string {
	idx := 0
	if ports, err := v.act.Outputs(); err == nil {
		for i, p := range ports {
			if p == port {
				idx = i
			}
		}
	}
	return fmt.Sprintf("%s%d_a%d", workTablePrefix(v.st.run.ID, v.seq), idx, v.attempt)
}

// dimension is the campaign's default targeting dimension.
func (v *env) dimension() string { return v.st.doc.Dimension }

// exec runs a statement built by the executor.
func (v *env) exec(query string, args ...any) error {
	if _, err := v.e.store.Generated().Exec(v.ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", v.act.ID, err)
	}
	return nil
}

// params are the values queries' $name placeholders take: the campaign's
// variables, overridden by the run's parameters.
func (v *env) params() map[string]any {
	out := map[string]any{}
	for k, x := range v.st.doc.Variables {
		out[k] = x
	}
	for k, x := range v.st.run.Params {
		out[k] = x
	}
	return out
}

// query builds an audience query over a dimension from a setting in the
// text syntax or as a JSON tree, with the run's parameters and clock.
func (v *env) query(dimension, text string, where []byte) (*audience.Query, error) {
	q := &audience.Query{Dimension: dimension, Params: v.params(), Now: v.now}
	switch {
	case strings.TrimSpace(text) != "":
		n, err := audience.ParseText(text)
		if err != nil {
			return nil, err
		}
		q.Where = n
	case len(where) > 0 && string(where) != "null":
		n, err := audience.ParseJSON(where)
		if err != nil {
			return nil, err
		}
		q.Where = n
	default:
		q.Where = &audience.Node{And: []*audience.Node{}}
	}
	return q, nil
}

// compile validates and compiles a query against the model and the saved
// audiences.
func (v *env) compile(q *audience.Query) (*audience.Compiled, error) {
	svc := &audience.Service{Store: v.e.store}
	_, c, err := svc.Prepare(v.ctx, q)
	return c, err
}

// only returns the single live input, or an error naming the activity.
func (v *env) only() (input, error) {
	if len(v.inputs) != 1 {
		return input{}, fmt.Errorf("%s takes one input, has %d", v.act.ID, len(v.inputs))
	}
	return v.inputs[0], nil
}

// passThrough hands the single input on unchanged on port out (no copy:
// the output names the input's table).
func passThrough(v *env, port string) ([]output, error) {
	if len(v.inputs) == 0 {
		return []output{{Port: port, Control: true}}, nil
	}
	in := v.inputs[0]
	if in.Table == "" {
		return []output{{Port: port, Control: true}}, nil
	}
	return []output{{Port: port, Table: in.Table, Dimension: in.Dimension}}, nil
}
