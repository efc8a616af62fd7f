package datamodel

import (
	"fmt"
	"strconv"
	"strings"
)

// Document writes the model as canonical YAML: entities, attributes and
// links in declaration order, attributes in short form when they need
// nothing else, link columns always explicit, reverse links left out (they
// are derived). Parse(Document(m)) yields a model equal to m for any model
// Parse returned.
func Document(m *Model) []byte {
	var b strings.Builder
	b.WriteString("entities:\n")
	for _, e := range m.Entities {
		fmt.Fprintf(&b, "  %s:\n", yamlName(e.Name))
		if e.Description != "" {
			fmt.Fprintf(&b, "    description: %s\n", yamlString(e.Description))
		}
		if len(e.Key) == 1 {
			fmt.Fprintf(&b, "    key: %s\n", yamlName(e.Key[0]))
		} else {
			fmt.Fprintf(&b, "    key: %s\n", yamlList(e.Key, yamlName))
		}
		b.WriteString("    attributes:\n")
		for _, a := range e.Attributes {
			fmt.Fprintf(&b, "      %s: %s\n", yamlName(a.Name), attributeYAML(a))
		}
		if links := e.DeclaredLinks(); len(links) > 0 {
			b.WriteString("    links:\n")
			for _, l := range links {
				fields := []string{"entity: " + yamlName(l.Entity)}
				if l.Kind != "" && l.Kind != ManyToOne {
					fields = append(fields, "kind: "+yamlName(string(l.Kind)))
				}
				fields = append(fields, "columns: "+yamlList(l.Columns, yamlName), "reverse: "+yamlName(l.ReverseName))
				fmt.Fprintf(&b, "      %s: {%s}\n", yamlName(l.Name), strings.Join(fields, ", "))
			}
		}
		if t := e.Targeting; t != nil {
			if t.Email == "" && t.SMS == "" && t.Push == nil {
				b.WriteString("    targeting: {}\n")
				continue
			}
			b.WriteString("    targeting:\n")
			if t.Email != "" {
				fmt.Fprintf(&b, "      email: %s\n", yamlName(t.Email))
			}
			if t.SMS != "" {
				fmt.Fprintf(&b, "      sms: %s\n", yamlName(t.SMS))
			}
			if p := t.Push; p != nil {
				fields := []string{"link: " + yamlName(p.Link), "token: " + yamlName(p.Token)}
				if p.Platform != "" {
					fields = append(fields, "platform: "+yamlName(p.Platform))
				}
				if p.Active != "" {
					fields = append(fields, "active: "+yamlName(p.Active))
				}
				fmt.Fprintf(&b, "      push: {%s}\n", strings.Join(fields, ", "))
			}
		}
	}
	return []byte(b.String())
}

func attributeYAML(a *Attribute) string {
	plain := !a.Required && a.Description == "" && len(a.Values) == 0
	if plain && a.Type == TypeDecimal && a.Precision != 0 {
		return fmt.Sprintf("decimal(%d,%d)", a.Precision, a.Scale)
	}
	if plain && a.Precision == 0 && a.Scale == 0 {
		return yamlName(string(a.Type))
	}
	fields := []string{"type: " + yamlName(string(a.Type))}
	if a.Precision != 0 {
		fields = append(fields, "precision: "+strconv.Itoa(a.Precision))
	}
	if a.Scale != 0 {
		fields = append(fields, "scale: "+strconv.Itoa(a.Scale))
	}
	if a.Values != nil {
		fields = append(fields, "values: "+yamlList(a.Values, yamlString))
	}
	if a.Required {
		fields = append(fields, "required: true")
	}
	if a.Description != "" {
		fields = append(fields, "description: "+yamlString(a.Description))
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// yamlName writes an identifier plainly and anything else quoted.
func yamlName(s string) string {
	if identRE.MatchString(s) {
		switch s {
		case "null", "true", "false", "yes", "no", "on", "off", "y", "n":
		default:
			return s
		}
	}
	return yamlString(s)
}

// yamlString writes a double-quoted YAML scalar. Go's escapes (\n, \t,
// \uXXXX, \UXXXXXXXX, \xXX for control bytes) are all valid YAML escapes.
func yamlString(s string) string {
	return strconv.Quote(s)
}

func yamlList(items []string, quote func(string) string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
