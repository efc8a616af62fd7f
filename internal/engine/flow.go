package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Flow activities move populations without changing them.

// control lets an entry activity (start, scheduler, signal) start the run:
// it carries no population.
func control(v *env) ([]output, error) { return []output{{Port: "out", Control: true}}, nil }

// passOn hands wait's and fork's input on unchanged.
func passOn(v *env) ([]output, error) { return passThrough(v, "out") }

// end closes a branch; its signal is sent by afterDone.
func end(v *env) ([]output, error) { return nil, nil }

// andJoin continues with its primary input's rows once every input is in.
func andJoin(v *env) ([]output, error) {
	var s campaign.AndJoin
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	for _, in := range v.inputs {
		if s.Primary == "" || in.From == s.Primary {
			if in.Table == "" {
				return []output{{Port: "out", Control: true}}, nil
			}
			return []output{{Port: "out", Table: in.Table, Dimension: in.Dimension}}, nil
		}
	}
	return nil, fmt.Errorf("%s: the primary input %q did not arrive", v.act.ID, s.Primary)
}

// test takes the first branch whose condition holds over the input's count
// and the run's variables and parameters, else default.
func test(v *env) ([]output, error) {
	var s campaign.Test
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	var count int64
	var in input
	if len(v.inputs) > 0 {
		in = v.inputs[0]
		count = in.Count
	}
	vars := map[string]any{}
	for k, x := range v.st.doc.Variables {
		vars[k] = x
	}
	env := map[string]any{"count": count, "vars": vars, "params": v.st.run.Params}
	port := "default"
	for _, b := range s.Branches {
		c, err := campaign.ParseCondition(b.If)
		if err != nil {
			return nil, fmt.Errorf("%s: branch %s: %w", v.act.ID, b.Name, err)
		}
		ok, err := c.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("%s: branch %s: %w", v.act.ID, b.Name, err)
		}
		if ok {
			port = b.Name
			break
		}
	}
	if in.Table == "" {
		return []output{{Port: port, Control: true}}, nil
	}
	return []output{{Port: port, Table: in.Table, Dimension: in.Dimension}}, nil
}

// afterDone applies, inside the completing transaction, the effects of an
// activity that must happen exactly once with it: an end activity's signal
// starts another campaign's run.
func (e *Engine) afterDone(ctx context.Context, tx *store.Tx, v *env) error {
	if v.act.Type != "end" {
		return nil
	}
	var s campaign.End
	if err := v.act.Decode(&s); err != nil || s.Signal == nil || strings.TrimSpace(s.Signal.Campaign) == "" {
		return err
	}
	id, latest, published, err := e.store.Campaigns().On(tx).Versions(ctx, s.Signal.Campaign)
	if err != nil {
		return fmt.Errorf("%s: signal campaign %q: %w", v.act.ID, s.Signal.Campaign, err)
	}
	mode := v.st.run.Mode
	if published == 0 {
		if mode == ModeLive {
			return fmt.Errorf("%s: signal campaign %q: %w", v.act.ID, s.Signal.Campaign, ErrNotPublished)
		}
		published = latest
	}
	_, err = e.startTx(ctx, tx, id, published, RunOptions{Mode: mode, Params: s.Signal.Params, Trigger: fmt.Sprintf("signal from run %d", v.st.run.ID)})
	return err
}
