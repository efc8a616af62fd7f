package campaign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format writes a document as YAML that Parse reads back to an equal
// Document (lines aside): fields in documentation order, activities in
// document order with their settings sorted by key, transitions as
// "from.output -> to". Strings are written JSON-quoted, so no value
// changes type on the way back.
func Format(d *Document) []byte {
	var b bytes.Buffer
	if d.Name != "" {
		fmt.Fprintf(&b, "name: %s\n", quote(d.Name))
	}
	if d.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", quote(d.Description))
	}
	if d.Dimension != "" {
		fmt.Fprintf(&b, "dimension: %s\n", quote(d.Dimension))
	}
	if len(d.Variables) > 0 {
		b.WriteString("variables:")
		writeValue(&b, 2, d.Variables)
	}
	if s := d.Schedule; s != nil {
		b.WriteString("schedule:")
		writeValue(&b, 2, scheduleMap(s))
	}
	b.WriteString("policy:\n")
	fmt.Fprintf(&b, "  on_error: %s\n", quote(d.Policy.OnError))
	fmt.Fprintf(&b, "  retries: %d\n", d.Policy.Retries)
	if d.Policy.Retention != (Duration{}) {
		fmt.Fprintf(&b, "  retention: %s\n", quote(d.Policy.Retention.String()))
	}
	if d.Policy.ConfirmSend {
		b.WriteString("  confirm_send: true\n")
	}
	if d.Policy.Tracking != "" {
		fmt.Fprintf(&b, "  tracking: %s\n", quote(d.Policy.Tracking))
	}
	if len(d.Conversions) > 0 {
		b.WriteString("report:\n  conversions:\n")
	}
	for _, c := range d.Conversions {
		fmt.Fprintf(&b, "    - {name: %s, query: %s", quote(c.Name), quote(c.Query))
		if c.Within != (Duration{}) {
			fmt.Fprintf(&b, ", within: %s", quote(c.Within.String()))
		}
		b.WriteString("}\n")
	}
	if len(d.Activities) > 0 {
		b.WriteString("activities:\n")
	}
	for _, a := range d.Activities {
		fmt.Fprintf(&b, "  %s:\n", key(a.ID))
		fmt.Fprintf(&b, "    type: %s\n", quote(a.Type))
		if a.Label != "" {
			fmt.Fprintf(&b, "    label: %s\n", quote(a.Label))
		}
		for _, k := range sortedKeys(a.Settings) {
			fmt.Fprintf(&b, "    %s:", key(k))
			writeValue(&b, 6, a.Settings[k])
		}
	}
	if len(d.Transitions) > 0 {
		b.WriteString("transitions:\n")
	}
	for _, t := range d.Transitions {
		if isIdent(t.From) && isIdent(t.To) && isIdent(t.Output) {
			fmt.Fprintf(&b, "  - %s\n", t)
		} else {
			fmt.Fprintf(&b, "  - {from: %s, output: %s, to: %s}\n", quote(t.From), quote(t.Output), quote(t.To))
		}
	}
	if len(d.Layout) > 0 {
		b.WriteString("layout:\n")
	}
	for _, id := range layoutOrder(d) {
		p := d.Layout[id]
		fmt.Fprintf(&b, "  %s: {x: %s, y: %s}\n", key(id), strconv.FormatFloat(p.X, 'f', -1, 64), strconv.FormatFloat(p.Y, 'f', -1, 64))
	}
	return b.Bytes()
}

func scheduleMap(s *Schedule) map[string]any {
	m := map[string]any{}
	for k, t := range map[string]time.Time{"at": s.At, "from": s.From, "until": s.Until} {
		if !t.IsZero() {
			m[k] = t.Format(time.RFC3339Nano)
		}
	}
	if s.Cron != "" {
		m["cron"] = s.Cron
	}
	if s.TimeZone != "" {
		m["timezone"] = s.TimeZone
	}
	return m
}

func quote(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}

// yamlWords are plain scalars YAML reads as something other than a
// string key.
var yamlWords = map[string]bool{"null": true, "true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true}

// key writes a mapping key bare when YAML reads it back unchanged.
func key(s string) string {
	if isIdent(s) && !yamlWords[strings.ToLower(s)] {
		return s
	}
	return quote(s)
}

// writeValue writes a value after "key:" (or "-"), then a newline; nested
// mappings and lists go on the following lines at indent.
func writeValue(b *bytes.Buffer, indent int, v any) {
	pad := strings.Repeat(" ", indent)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		for _, k := range sortedKeys(x) {
			fmt.Fprintf(b, "%s%s:", pad, key(k))
			writeValue(b, indent+2, x[k])
		}
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		for _, e := range x {
			fmt.Fprintf(b, "%s-", pad)
			writeValue(b, indent+2, e)
		}
	default:
		b.WriteString(" ")
		b.WriteString(scalar(x))
		b.WriteString("\n")
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(x)
	case json.Number:
		return string(x)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(data)
}

// layoutOrder lists the ids of the layout's positions: the activities'
// in document order, then any other (an invalid document's) sorted.
func layoutOrder(d *Document) []string {
	ids := make([]string, 0, len(d.Layout))
	seen := make(map[string]bool, len(d.Layout))
	for _, a := range d.Activities {
		if _, ok := d.Layout[a.ID]; ok && !seen[a.ID] {
			ids = append(ids, a.ID)
			seen[a.ID] = true
		}
	}
	for _, id := range sortedKeys(d.Layout) {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	return ids
}
