package campaign

import (
	"fmt"
	"slices"
)

// Output ports with fixed names.
const (
	PortOut        = "out"
	PortComplement = "complement"
	PortDuplicates = "duplicates"
	PortRemainder  = "remainder"
	PortDefault    = "default"
	PortUnmatched  = "unmatched"
	PortRejects    = "rejects"
)

// TypeInfo describes one activity type.
type TypeInfo struct {
	// MinInputs and MaxInputs bound the transitions the activity receives;
	// MaxInputs -1 means any number.
	MinInputs, MaxInputs int
	// Outputs are the fixed ports that must be connected (except on
	// channel activities, whose out may end the branch).
	Outputs []string
	// Optional are fixed ports that may be left unconnected.
	Optional []string
	// Dynamic is true when the settings add ports: split subsets and
	// remainder, test branches and default, combine's complement.
	Dynamic bool
	// Entry activities start a run: start, scheduler, signal.
	Entry bool
	// Channel activities hand their population to the outbox.
	Channel bool
	// Targeting activities read or write populations (as opposed to flow
	// and channel activities).
	Targeting bool
	// settings returns a new value the activity's settings decode into.
	settings func() any
}

// Types lists every activity type of docs/campaigns.md.
var Types = map[string]TypeInfo{
	"start":     {Entry: true, Outputs: []string{PortOut}, settings: func() any { return &NoSettings{} }},
	"scheduler": {Entry: true, Outputs: []string{PortOut}, settings: func() any { return &Scheduler{} }},
	"signal":    {Entry: true, Outputs: []string{PortOut}, settings: func() any { return &Signal{} }},
	"wait":      {MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &Wait{} }},
	"fork":      {MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &NoSettings{} }},
	"and_join":  {MinInputs: 2, MaxInputs: -1, Outputs: []string{PortOut}, settings: func() any { return &AndJoin{} }},
	"test":      {MinInputs: 1, MaxInputs: 1, Dynamic: true, settings: func() any { return &Test{} }},
	"end":       {MinInputs: 1, MaxInputs: -1, settings: func() any { return &End{} }},

	"build_audience":    {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &BuildAudience{} }},
	"read_audience":     {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &ReadAudience{} }},
	"incremental_query": {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &IncrementalQuery{} }},
	"combine":           {Targeting: true, MinInputs: 2, MaxInputs: -1, Outputs: []string{PortOut}, Dynamic: true, settings: func() any { return &Combine{} }},
	"deduplicate":       {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, Optional: []string{PortDuplicates}, settings: func() any { return &Deduplicate{} }},
	"enrich":            {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &Enrich{} }},
	"split":             {Targeting: true, MinInputs: 1, MaxInputs: 1, Dynamic: true, settings: func() any { return &Split{} }},
	"change_dimension":  {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &ChangeDimension{} }},
	"reconcile":         {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, Optional: []string{PortUnmatched}, settings: func() any { return &Reconcile{} }},
	"load_file":         {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, Optional: []string{PortRejects}, settings: func() any { return &LoadFile{} }},
	"save_audience":     {Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &SaveAudience{} }},

	"email": {Channel: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &Channel{} }},
	"sms":   {Channel: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &Channel{} }},
	"push":  {Channel: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, settings: func() any { return &Channel{} }},
}

// TypeNames returns the activity types in alphabetical order.
func TypeNames() []string {
	names := make([]string, 0, len(Types))
	for n := range Types {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TypedSettings decodes the activity's settings into a new value of its type's
// settings struct (such as *Split).
func (a *Activity) TypedSettings() (any, error) {
	t, ok := Types[a.Type]
	if !ok {
		return nil, fmt.Errorf("unknown activity type %q", a.Type)
	}
	v := t.settings()
	if err := a.Decode(v); err != nil {
		return nil, err
	}
	return v, nil
}

// Outputs returns the activity's output ports given its settings: the
// fixed and optional ports of its type and those its settings add.
func (a *Activity) Outputs() ([]string, error) {
	t, ok := Types[a.Type]
	if !ok {
		return nil, fmt.Errorf("unknown activity type %q", a.Type)
	}
	out := append(slices.Clone(t.Outputs), t.Optional...)
	if !t.Dynamic {
		return out, nil
	}
	s, err := a.TypedSettings()
	if err != nil {
		return nil, err
	}
	switch s := s.(type) {
	case *Split:
		for _, sub := range s.Subsets {
			out = append(out, sub.Name)
		}
		if s.Remainder {
			out = append(out, PortRemainder)
		}
	case *Test:
		for _, b := range s.Branches {
			out = append(out, b.Name)
		}
		out = append(out, PortDefault)
	case *Combine:
		if s.Complement {
			out = append(out, PortComplement)
		}
	}
	return out, nil
}

// requiredOutputs returns the ports that must feed a transition: fixed
// outputs (not on channels), enabled complement and remainder, every split
// subset and test branch. A test's default may end the branch.
func (a *Activity) requiredOutputs() []string {
	t := Types[a.Type]
	var out []string
	if !t.Channel {
		out = append(out, t.Outputs...)
	}
	if !t.Dynamic {
		return out
	}
	all, err := a.Outputs()
	if err != nil {
		return out
	}
	for _, p := range all {
		if p != PortDefault && !slices.Contains(out, p) && !slices.Contains(t.Optional, p) {
			out = append(out, p)
		}
	}
	return out
}
