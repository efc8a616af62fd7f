package service

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// ActivityType is one activity type of the campaign document, as a
// canvas or an editor needs it: where it goes in a palette, its ports,
// and a JSON Schema of its settings, reflected from the settings struct
// that validation decodes them into (campaign.Types), so the two cannot
// drift.
type ActivityType struct {
	Type string `json:"type"`
	// Group is flow, targeting or channel.
	Group string `json:"group"`
	// Entry types start a run (they take no input).
	Entry bool `json:"entry"`
	// MinInputs and MaxInputs bound its incoming transitions; MaxInputs
	// -1 is any number.
	MinInputs int `json:"min_inputs"`
	MaxInputs int `json:"max_inputs"`
	// Outputs must be connected (a channel's out may end the branch);
	// OptionalOutputs may be left unconnected; DynamicOutputs: the
	// settings add ports (split subsets, test branches, complement).
	Outputs         []string `json:"outputs"`
	OptionalOutputs []string `json:"optional_outputs"`
	DynamicOutputs  bool     `json:"dynamic_outputs"`
	// Settings is the JSON Schema (2020-12) of the activity's keys other
	// than type and label.
	Settings json.RawMessage `json:"settings"`
}

// channelContent is the content each channel type's settings hold.
var channelContent = map[string]any{
	"email": message.Email{},
	"sms":   message.SMS{},
	"push":  message.Push{},
}

// ActivityTypes lists every activity type, in alphabetical order.
func (l *Local) ActivityTypes(context.Context) ([]ActivityType, error) {
	return activityTypes()
}

var activityTypes = sync.OnceValues(func() ([]ActivityType, error) {
	var out []ActivityType
	for _, name := range campaign.TypeNames() {
		t := campaign.Types[name]
		s, err := settingsSchema(name, t)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("the settings schema of %s: %w", name, err)
		}
		group := "flow"
		switch {
		case t.Channel:
			group = "channel"
		case t.Targeting:
			group = "targeting"
		}
		out = append(out, ActivityType{Type: name, Group: group, Entry: t.Entry, MinInputs: t.MinInputs, MaxInputs: t.MaxInputs,
			Outputs: nonNil(t.Outputs), OptionalOutputs: nonNil(t.Optional), DynamicOutputs: t.Dynamic, Settings: raw})
	}
	return out, nil
})

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// settingsSchema reflects the schema of a type's settings: its settings
// struct, or for a channel its content with the delivery options.
func settingsSchema(name string, t campaign.TypeInfo) (*jsonschema.Schema, error) {
	if !t.Channel {
		return reflectSchema(t.NewSettings()), nil
	}
	content, ok := channelContent[name]
	if !ok {
		return nil, fmt.Errorf("channel type %s has no content type for its settings schema", name)
	}
	s := reflectSchema(content)
	opts := reflectSchema(campaign.ChannelOptions{})
	for p := opts.Properties.Oldest(); p != nil; p = p.Next() {
		s.Properties.Set(p.Key, p.Value)
	}
	return s, nil
}

// reflectSchema reflects the schema of v's type: one tree (no $defs),
// unknown keys refused as the settings' decoding refuses them, and the
// types read more loosely than their Go form described as they are read.
func reflectSchema(v any) *jsonschema.Schema {
	r := &jsonschema.Reflector{Anonymous: true, DoNotReference: true, ExpandedStruct: true, Mapper: settingsMapper}
	s := r.Reflect(v)
	s.Version = "https://json-schema.org/draft/2020-12/schema"
	if s.Properties == nil {
		s.Properties = orderedmap.New[string, *jsonschema.Schema]()
	}
	return s
}

var (
	limitType = reflect.TypeFor[campaign.Limit]()
	rawType   = reflect.TypeFor[json.RawMessage]()
	anyType   = reflect.TypeFor[any]()
)

// settingsMapper describes the settings types whose JSON is not their Go
// form's.
func settingsMapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case limitType:
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "integer", Minimum: "1"},
			{Type: "string", Pattern: `^\s*([0-9]+|[0-9]+(\.[0-9]+)?\s*%)\s*$`},
		}}
	case rawType:
		// An audience query's JSON tree (docs/audiences.md).
		return &jsonschema.Schema{Type: "object"}
	case anyType:
		// deduplicate's by: an attribute, or a list of them.
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string"},
			{Type: "array", Items: &jsonschema.Schema{Type: "string"}},
		}}
	}
	return nil
}

// CampaignSchema returns a JSON Schema (2020-12) of the whole campaign
// document, for editors and the CI of campaigns as code: its fields, and
// each activity's keys by its type (the settings schemas of
// ActivityTypes). It checks the document's shape; campaign validate
// checks the rest (the data model, the graph, queries and templates).
func (l *Local) CampaignSchema(context.Context) (json.RawMessage, error) {
	return CampaignSchema()
}

// CampaignSchema is the campaign document's JSON Schema: it needs no
// store (fanfare campaign schema prints it without opening one).
var CampaignSchema = sync.OnceValues(func() (json.RawMessage, error) {
	types, err := activityTypes()
	if err != nil {
		return nil, err
	}
	names := make([]any, len(types))
	var cases []any
	for i, t := range types {
		names[i] = t.Type
		var settings map[string]any
		if err := json.Unmarshal(t.Settings, &settings); err != nil {
			return nil, err
		}
		delete(settings, "$schema")
		props, _ := settings["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		props["type"] = map[string]any{"const": t.Type}
		props["label"] = map[string]any{"type": "string", "description": "the activity's name on the canvas"}
		settings["properties"] = props
		cases = append(cases, map[string]any{"if": map[string]any{"properties": map[string]any{"type": map[string]any{"const": t.Type}}}, "then": settings})
	}
	schedule := reflectSchema(campaign.Schedule{})
	schedule.Version = ""
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                "Fanfare campaign",
		"description":          "A campaign document (docs/campaigns.md): activities joined by transitions.",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"name", "activities"},
		"properties": map[string]any{
			"name":        map[string]any{"type": "string", "pattern": `^[A-Za-z0-9_.-]{1,100}$`},
			"description": map[string]any{"type": "string"},
			"dimension":   map[string]any{"type": "string", "description": "the default targeting dimension of the activities"},
			"variables":   map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": `^[A-Za-z_][A-Za-z0-9_]*$`}},
			"schedule":    schedule,
			"policy": map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
				"on_error":     map[string]any{"enum": []string{campaign.OnErrorAbort, campaign.OnErrorWait}, "default": campaign.OnErrorAbort},
				"retries":      map[string]any{"type": "integer", "minimum": 0, "maximum": campaign.MaxRetries, "default": campaign.DefaultRetries},
				"retention":    map[string]any{"type": "string", "default": campaign.DefaultRetention},
				"confirm_send": map[string]any{"type": "boolean"},
				"tracking":     map[string]any{"enum": campaign.TrackingModes, "description": "opens and clicks of every channel activity that sets none: off, anonymous or identified (default: identified for marketing, off for transactional)"},
			}},
			"report": map[string]any{"type": "object", "additionalProperties": false, "description": "what a run's report counts; never changes what a run does", "properties": map[string]any{
				"conversions": map[string]any{"type": "array", "description": "conversions the report compares each split's treated subsets with its control group on (docs/tracking.md)", "items": map[string]any{
					"type": "object", "additionalProperties": false, "required": []string{"name", "query"}, "properties": map[string]any{
						"name":   map[string]any{"type": "string", "pattern": `^[A-Za-z_][A-Za-z0-9_]{0,63}$`},
						"query":  map[string]any{"type": "string", "description": "an audience query over the split's rows; $sent_at is each member's reference time, $window_end that time plus within"},
						"within": map[string]any{"type": "string", "description": "the window, a duration such as 7d"},
					},
				}},
			}},
			"activities": map[string]any{
				"type":          "object",
				"propertyNames": map[string]any{"pattern": `^[A-Za-z_][A-Za-z0-9_]{0,63}$`},
				"additionalProperties": map[string]any{
					"type":       "object",
					"required":   []string{"type"},
					"properties": map[string]any{"type": map[string]any{"enum": names}},
					"allOf":      cases,
				},
			},
			"transitions": map[string]any{"type": "array", "items": map[string]any{"oneOf": []any{
				map[string]any{"type": "string", "pattern": `^\s*[^\s.]+(\.[^\s.]+)?\s*->\s*\S+\s*$`, "description": "from[.output] -> to"},
				map[string]any{"type": "object", "additionalProperties": false, "required": []string{"from", "to"}, "properties": map[string]any{
					"from": map[string]any{"type": "string"}, "output": map[string]any{"type": "string", "default": campaign.PortOut}, "to": map[string]any{"type": "string"},
				}},
			}}},
			"layout": map[string]any{"type": "object", "description": "where the console's canvas draws each activity", "additionalProperties": map[string]any{
				"type": "object", "additionalProperties": false, "required": []string{"x", "y"}, "properties": map[string]any{
					"x": map[string]any{"type": "number", "minimum": -campaign.MaxCoordinate, "maximum": campaign.MaxCoordinate},
					"y": map[string]any{"type": "number", "minimum": -campaign.MaxCoordinate, "maximum": campaign.MaxCoordinate},
				},
			}},
		},
	}
	return json.Marshal(doc)
})
