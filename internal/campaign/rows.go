package campaign

import (
	"slices"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/docparse"
)

// The rows functions of the activity types (TypeInfo.rows): each checks
// what depends on the dimension of the activity's inputs and returns the
// dimension of its own rows.

// passRows is the dimension of wait, fork and test: rows (or their
// absence) pass through.
func passRows(ins []input) string {
	if len(ins) == 1 {
		return ins[0].dim
	}
	return dimUnknown
}

// passes makes passRows the rows function of a type.
func passes[S any](_ *validator, _ *Activity, _ *S, ins []input) string { return passRows(ins) }

// noRows is the dimension of end, which outputs nothing.
func noRows[S any](*validator, *Activity, *S, []input) string { return dimNone }

// onPopulation makes the rows function of a type that keeps its single
// input's dimension (deduplicate, enrich, save_audience, channels);
// check, if any, checks the settings against that dimension's entity.
func onPopulation[S any](check func(v *validator, a *Activity, s *S, e *datamodel.Entity)) func(*validator, *Activity, *S, []input) string {
	return func(v *validator, a *Activity, s *S, ins []input) string {
		dim, ok := v.population(a, ins, false)
		if !ok {
			return dimUnknown
		}
		if check != nil {
			check(v, a, s, v.m.Entity(dim))
		}
		return dim
	}
}

func (v *validator) rowsBuildAudience(a *Activity, s *BuildAudience, _ []input) string {
	e := v.ownDimension(a, actPath(a.ID), s.Dimension)
	if e == nil {
		return dimUnknown
	}
	v.query(a.ID, queryPath(actPath(a.ID), s.Where), e.Name, s.Query, s.Where)
	return e.Name
}

func (v *validator) rowsIncremental(a *Activity, s *IncrementalQuery, _ []input) string {
	id, path := a.ID, actPath(a.ID)
	e := v.ownDimension(a, path, s.Dimension)
	if e == nil {
		return dimUnknown
	}
	v.query(id, queryPath(path, s.Where), e.Name, s.Query, s.Where)
	if s.Since != "" {
		if _, attr, err := audience.ResolveAttr(v.m, e, s.Since); err != nil {
			v.add(id, path+".since", "since %q: %v", s.Since, err)
		} else if attr.Type != datamodel.TypeDate && attr.Type != datamodel.TypeTimestamp {
			v.add(id, path+".since", "since %q is %s: want a date or timestamp attribute", s.Since, attr.Type)
		}
	}
	return e.Name
}

func (v *validator) rowsReadAudience(a *Activity, s *ReadAudience, _ []input) string {
	if s.Audience == "" {
		return dimUnknown
	}
	if v.audiences == nil {
		// Saved audiences are unknown here: assume the campaign's
		// dimension so that what follows is still checked.
		if v.m.Entity(v.d.Dimension) != nil {
			return v.d.Dimension
		}
		return dimUnknown
	}
	dim, ok := v.audiences(s.Audience)
	if !ok {
		v.add(a.ID, actPath(a.ID)+".audience", "unknown audience %q", s.Audience)
		return dimUnknown
	}
	return dim
}

func (v *validator) rowsLoadFile(*Activity, *LoadFile, []input) string { return dimFile }

func (v *validator) rowsReconcile(a *Activity, s *Reconcile, ins []input) string {
	id, path := a.ID, actPath(a.ID)
	if _, ok := v.population(a, ins, true); !ok {
		return dimUnknown
	}
	e := v.ownDimension(a, path, s.Dimension)
	if e == nil {
		return dimUnknown
	}
	for i, m := range s.Match {
		if m.Attribute == "" {
			continue
		}
		if e.Attribute(m.Attribute) == nil {
			v.add(id, docparse.Index(path+".match", i)+".attribute", "%s has no attribute %q", e.Name, m.Attribute)
		}
	}
	return e.Name
}

func (v *validator) rowsChangeDimension(a *Activity, s *ChangeDimension, ins []input) string {
	from, ok := v.population(a, ins, false)
	if !ok || s.Link == "" {
		return dimUnknown
	}
	to, err := followToOne(v.m, v.m.Entity(from), s.Link)
	if err != nil {
		v.add(a.ID, actPath(a.ID)+".link", "link %q: %v", s.Link, err)
		return dimUnknown
	}
	return to.Name
}

func (v *validator) rowsCombine(a *Activity, s *Combine, ins []input) string {
	return v.join(a, ins, s.Primary, true)
}

func (v *validator) rowsAndJoin(a *Activity, s *AndJoin, ins []input) string {
	return v.join(a, ins, s.Primary, false)
}

// rowsSplit checks the subsets' queries and orders against the input's
// dimension, which the subsets keep.
func (v *validator) rowsSplit(a *Activity, s *Split, ins []input) string {
	dim, ok := v.population(a, ins, false)
	if !ok {
		return dimUnknown
	}
	e := v.m.Entity(dim)
	id, path := a.ID, actPath(a.ID)
	for i, sub := range s.Subsets {
		sp := docparse.Index(path+".subsets", i)
		if sub.Where != "" {
			v.query(id, sp+".where", dim, sub.Where, nil)
		}
		if attr, _, err := parseOrder(sub.Order, true); err == nil && attr != "" {
			v.attribute(id, sp+".order", e, attr)
		}
	}
	return dim
}

// channelRows checks that the input's dimension can receive the channel.
func (v *validator) channelRows(a *Activity, _ *Channel, e *datamodel.Entity) {
	v.channel(a, e)
	v.channelWindow(a, e)
}

var orderedTypes = []datamodel.Type{datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate, datamodel.TypeTimestamp, datamodel.TypeString}

func (v *validator) deduplicate(a *Activity, s *Deduplicate, e *datamodel.Entity) {
	id, path := a.ID, actPath(a.ID)
	for i, f := range s.Fields {
		v.attribute(id, docparse.Index(path+".fields", i), e, f)
	}
	var by []string
	switch x := s.By.(type) {
	case nil:
	case string:
		by = []string{x}
	case []any:
		for _, b := range x {
			str, ok := b.(string)
			if !ok {
				v.add(id, path+".by", "expected attribute paths, found %s", describeValue(b))
				return
			}
			by = append(by, str)
		}
	default:
		v.add(id, path+".by", "expected an attribute path or a list of them, found %s", describeValue(s.By))
		return
	}
	switch s.Method {
	case "", "random":
		if len(by) > 0 {
			v.add(id, path+".by", "a random choice takes no by")
		}
	case "highest", "lowest":
		if len(by) != 1 {
			v.add(id, path+".by", "%s keeps the rows with the %s value of one attribute: give it as by", s.Method, s.Method)
			return
		}
		if attr := v.attribute(id, path+".by", e, by[0]); attr != nil && !slices.Contains(orderedTypes, attr.Type) {
			v.add(id, path+".by", "%s is %s, which has no order", by[0], attr.Type)
		}
	case "non_empty":
		if len(by) == 0 {
			v.add(id, path+".by", "non_empty keeps the rows with the most filled attributes: list them as by")
		}
		for _, b := range by {
			v.attribute(id, path+".by", e, b)
		}
	}
}

var aggregateTypes = map[string][]datamodel.Type{
	audience.FnSum: {datamodel.TypeInteger, datamodel.TypeDecimal},
	audience.FnAvg: {datamodel.TypeInteger, datamodel.TypeDecimal},
	audience.FnMin: orderedTypes,
	audience.FnMax: orderedTypes,
}

func (v *validator) enrich(a *Activity, s *Enrich, e *datamodel.Entity) {
	id, path := a.ID, actPath(a.ID)
	for i, c := range s.Columns {
		cp := docparse.Index(path+".columns", i)
		if c.Link == "" {
			if c.Attribute != "" {
				v.attribute(id, cp+".attribute", e, c.Attribute)
			}
			continue
		}
		_, many, err := audience.ResolveLink(v.m, e, c.Link)
		if err != nil {
			v.add(id, cp+".link", "link %q: %v", c.Link, err)
			continue
		}
		to := many.To
		if c.Aggregate != "" && c.Attribute != "" {
			if attr := v.attribute(id, cp+".attribute", to, c.Attribute); attr != nil {
				if types, ok := aggregateTypes[c.Aggregate]; ok && !slices.Contains(types, attr.Type) {
					v.add(id, cp+".attribute", "%s does not apply to %s (%s)", c.Aggregate, c.Attribute, attr.Type)
				}
			}
		}
		if c.First > 0 {
			for j, at := range c.Attributes {
				v.attribute(id, docparse.Index(cp+".attributes", j), to, at)
			}
			if attr, _, err := parseOrder(c.OrderBy, false); err == nil && attr != "" {
				v.attribute(id, cp+".order_by", to, attr)
			}
		}
		if c.Where != "" {
			v.query(id, cp+".where", to.Name, c.Where, nil)
		}
	}
}

func (v *validator) channel(a *Activity, e *datamodel.Entity) {
	t := e.Targeting
	ok := t != nil
	if ok {
		switch a.Type {
		case datamodel.ChannelEmail:
			ok = t.Email != ""
		case datamodel.ChannelSMS:
			ok = t.SMS != ""
		case datamodel.ChannelPush:
			ok = t.Push != nil
		}
	}
	if !ok {
		v.add(a.ID, actPath(a.ID), "%s cannot receive %s: the data model gives it no %s targeting (change_dimension to a dimension that can)", e.Name, a.Type, a.Type)
	}
}
