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

// TypeInfo describes one activity type: what the graph checks of it, and
// the functions that check and read its settings. Every type is declared
// once, in Types; package engine holds the executor of each.
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

	// fileRows are the ports whose rows are still rows of a file, not yet
	// matched to an entity.
	fileRows []string
	// settings returns a new value the activity's settings decode into.
	settings func() any
	// ports returns the ports the settings add (Dynamic types).
	ports func(settings any) []string
	// check checks the settings that depend neither on the data model nor
	// on the graph; nil when there is nothing to check.
	check func(v *validator, a *Activity, settings any)
	// rows checks what depends on the dimensions of the activity's inputs
	// and returns the dimension of its rows; nil only on entry types.
	rows func(v *validator, a *Activity, settings any, ins []input) string
}

// kind holds the functions of an activity type over its settings struct
// S, typed; activity turns them into a TypeInfo.
type kind[S any] struct {
	ports func(s *S) []string
	check func(v *validator, a *Activity, s *S)
	rows  func(v *validator, a *Activity, s *S, ins []input) string
}

// activity completes t with the settings struct S and the functions of k;
// a type is Dynamic exactly when its settings add ports.
func activity[S any](t TypeInfo, k kind[S]) TypeInfo {
	t.settings = func() any { return new(S) }
	t.Dynamic = k.ports != nil
	if k.ports != nil {
		t.ports = func(s any) []string { return k.ports(s.(*S)) }
	}
	if k.check != nil {
		t.check = func(v *validator, a *Activity, s any) { k.check(v, a, s.(*S)) }
	}
	if k.rows != nil {
		t.rows = func(v *validator, a *Activity, s any, ins []input) string { return k.rows(v, a, s.(*S), ins) }
	}
	return t
}

// Types lists every activity type of docs/campaigns.md, each with its
// ports, its settings and their checks.
var Types = map[string]TypeInfo{
	"start":     activity(TypeInfo{Entry: true, Outputs: []string{PortOut}}, kind[NoSettings]{}),
	"scheduler": activity(TypeInfo{Entry: true, Outputs: []string{PortOut}}, kind[Scheduler]{check: (*validator).checkScheduler}),
	"signal":    activity(TypeInfo{Entry: true, Outputs: []string{PortOut}}, kind[Signal]{check: (*validator).checkSignal}),
	"wait":      activity(TypeInfo{MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}}, kind[Wait]{check: (*validator).checkWait, rows: passes[Wait]}),
	"fork":      activity(TypeInfo{MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}}, kind[NoSettings]{rows: passes[NoSettings]}),
	"and_join":  activity(TypeInfo{MinInputs: 2, MaxInputs: -1, Outputs: []string{PortOut}}, kind[AndJoin]{check: (*validator).checkAndJoin, rows: (*validator).rowsAndJoin}),
	"test":      activity(TypeInfo{MinInputs: 1, MaxInputs: 1}, kind[Test]{ports: testPorts, check: (*validator).test, rows: passes[Test]}),
	"end":       activity(TypeInfo{MinInputs: 1, MaxInputs: -1}, kind[End]{check: (*validator).checkEnd, rows: noRows[End]}),

	"build_audience": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}},
		kind[BuildAudience]{check: (*validator).checkBuildAudience, rows: (*validator).rowsBuildAudience}),
	"read_audience": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}},
		kind[ReadAudience]{check: (*validator).checkReadAudience, rows: (*validator).rowsReadAudience}),
	"incremental_query": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}},
		kind[IncrementalQuery]{check: (*validator).checkIncremental, rows: (*validator).rowsIncremental}),
	"combine": activity(TypeInfo{Targeting: true, MinInputs: 2, MaxInputs: -1, Outputs: []string{PortOut}},
		kind[Combine]{ports: combinePorts, check: (*validator).checkCombine, rows: (*validator).rowsCombine}),
	"deduplicate": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, Optional: []string{PortDuplicates}},
		kind[Deduplicate]{check: (*validator).checkDeduplicate, rows: onPopulation((*validator).deduplicate)}),
	"enrich": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}},
		kind[Enrich]{check: (*validator).enrichStatic, rows: onPopulation((*validator).enrich)}),
	"split": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1},
		kind[Split]{ports: splitPorts, check: (*validator).splitStatic, rows: (*validator).rowsSplit}),
	"change_dimension": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}},
		kind[ChangeDimension]{check: (*validator).checkChangeDimension, rows: (*validator).rowsChangeDimension}),
	"reconcile": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, Optional: []string{PortUnmatched}, fileRows: []string{PortUnmatched}},
		kind[Reconcile]{check: (*validator).checkReconcile, rows: (*validator).rowsReconcile}),
	"load_file": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}, Optional: []string{PortRejects}, fileRows: []string{PortRejects}},
		kind[LoadFile]{check: (*validator).checkLoadFile, rows: (*validator).rowsLoadFile}),
	"save_audience": activity(TypeInfo{Targeting: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}},
		kind[SaveAudience]{check: (*validator).checkSaveAudience, rows: onPopulation[SaveAudience](nil)}),

	"email": activity(TypeInfo{Channel: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}}, channelKind),
	"sms":   activity(TypeInfo{Channel: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}}, channelKind),
	"push":  activity(TypeInfo{Channel: true, MinInputs: 1, MaxInputs: 1, Outputs: []string{PortOut}}, channelKind),
}

// channelKind is shared by the channels: free-form content checked by
// delivery, pacing checked here, and a population that can receive them.
var channelKind = kind[Channel]{check: (*validator).checkChannel, rows: onPopulation((*validator).channelRows)}

// splitPorts are a split's subsets, then remainder if kept.
func splitPorts(s *Split) []string {
	var out []string
	for _, sub := range s.Subsets {
		out = append(out, sub.Name)
	}
	if s.Remainder {
		out = append(out, PortRemainder)
	}
	return out
}

// testPorts are a test's branches, then default.
func testPorts(s *Test) []string {
	var out []string
	for _, b := range s.Branches {
		out = append(out, b.Name)
	}
	return append(out, PortDefault)
}

// combinePorts is complement when asked for.
func combinePorts(s *Combine) []string {
	if s.Complement {
		return []string{PortComplement}
	}
	return nil
}

// NewSettings returns a new value of the type's settings struct (such as
// *Split), what its settings decode into; a channel's is *Channel, free
// content that the message package reads (message.Email…) with the
// options of ChannelOptions.
func (t TypeInfo) NewSettings() any { return t.settings() }

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
	return append(out, t.ports(s)...), nil
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
