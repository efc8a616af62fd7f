package engine

import (
	"encoding/json"
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/message"
)

// SMSLength is an SMS activity's text as it travels, estimated when the
// campaign is validated by rendering it over the sample profile: personal
// values make each message shorter or longer, and one outside GSM-7 (a
// "ł" in a name) sends that message in UCS-2.
type SMSLength struct {
	Activity   string `json:"activity"`
	Encoding   string `json:"encoding"`   // GSM-7 or UCS-2
	Segments   int    `json:"segments"`   // the parts it is sent (and billed) as
	Characters int    `json:"characters"` // in the encoding's units
}

// checkContent compiles the content of every channel activity against the
// data model, so template errors and unknown fields are refused before a
// run, with the activity and field named. It returns the estimated length
// of every SMS activity's text. Each message renders within budget.
func checkContent(d *campaign.Document, m *datamodel.Model, budget message.Budget) ([]SMSLength, error) {
	var (
		problems []campaign.Problem
		sms      []SMSLength
	)
	target := enrichTypes(d, m)
	var cols []string
	for c := range target {
		cols = append(cols, c)
	}
	for _, a := range d.Activities {
		if a.Type != "email" && a.Type != "sms" && a.Type != "push" {
			continue
		}
		raw, err := json.Marshal(campaign.ChannelContent(a))
		if err != nil {
			return nil, err
		}
		dim := d.Dimension
		env := message.Env{Campaign: d.Name, Mode: "validate", Vars: d.Variables, Target: cols, TargetTypes: target, Budget: budget}
		tpl, err := message.Compile(m, dim, a.Type, raw, env)
		var verr *message.ValidationError
		switch {
		case err == nil:
			if a.Type == message.ChannelSMS {
				l := SMSLength{Activity: a.ID}
				l.Encoding, l.Segments, l.Characters = tpl.SMSSegments()
				sms = append(sms, l)
			}
		case asValidation(err, &verr):
			for _, p := range verr.Problems {
				problems = append(problems, campaign.Problem{Activity: a.ID, Path: "activities." + a.ID + "." + p.Field, Line: a.Line, Message: p.Message})
			}
		default:
			problems = append(problems, campaign.Problem{Activity: a.ID, Path: "activities." + a.ID, Line: a.Line, Message: err.Error()})
		}
	}
	if len(problems) > 0 {
		return nil, &campaign.ValidationError{Problems: problems}
	}
	return sms, nil
}

func asValidation(err error, target **message.ValidationError) bool {
	v, ok := err.(*message.ValidationError)
	if ok {
		*target = v
	}
	return ok
}

// enrichTypes lists the enrichment columns the document's enrich
// activities add, with their types.
func enrichTypes(d *campaign.Document, m *datamodel.Model) map[string]datamodel.Type {
	out := map[string]datamodel.Type{}
	dim := m.Entity(d.Dimension)
	if dim == nil {
		return out
	}
	attrType := func(e *datamodel.Entity, path string) datamodel.Type {
		if _, a, err := audience.ResolveAttr(m, e, path); err == nil {
			return a.Type
		}
		return datamodel.TypeString
	}
	for _, a := range d.Activities {
		if a.Type != "enrich" {
			continue
		}
		var s campaign.Enrich
		if a.Decode(&s) != nil {
			continue
		}
		for _, c := range s.Columns {
			switch {
			case c.Link == "":
				out[c.Name] = attrType(dim, c.Attribute)
			case c.Aggregate == "count":
				out[c.Name] = datamodel.TypeInteger
			case c.Aggregate == "sum" || c.Aggregate == "avg":
				out[c.Name] = datamodel.TypeDecimal
			case c.Aggregate != "":
				if _, hop, err := audience.ResolveLink(m, dim, c.Link); err == nil {
					out[c.Name] = attrType(hop.To, c.Attribute)
				}
			default:
				_, hop, err := audience.ResolveLink(m, dim, c.Link)
				if err != nil {
					continue
				}
				for i := 1; i <= c.First; i++ {
					for _, attr := range c.Attributes {
						out[fmt.Sprintf("%s_%d_%s", c.Name, i, flatName(attr))] = attrType(hop.To, attr)
					}
				}
			}
		}
	}
	return out
}

// flatName is an attribute path as a column name part (dots to "_").
func flatName(path string) string {
	b := []byte(path)
	for i, c := range b {
		if c == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}
