package message

import (
	"fmt"
	"regexp"
	"strings"
)

// analyzer walks a template's source and checks every variable path that
// starts at a known root (profile, target, vars, campaign, run) or at a
// name the template binds from one (for loops, assign). Reading the source
// rather than only rendering a sample sees branches a sample does not take.
type analyzer struct {
	roots   map[string]*shape
	aliases map[string]*shape
	needs   *Needs
}

// problem is one finding of the analyzer, at a line of the source.
type problem struct {
	line int
	msg  string
}

var (
	chainRE  = regexp.MustCompile(`[A-Za-z_][\w-]*(?:\s*\.\s*[A-Za-z_][\w-]*|\[\s*\d+\s*\])*`)
	partRE   = regexp.MustCompile(`[A-Za-z_][\w-]*|\[\s*\d+\s*\]`)
	stringRE = regexp.MustCompile(`"[^"]*"|'[^']*'`)
)

// analyze returns the problems of one template source and records the
// links it reads in a.needs. Aliases carry over between fields that share
// an analyzer only when the caller wants them to.
func (a *analyzer) analyze(src string) []problem {
	var out []problem
	pos := 0
	for {
		i := strings.Index(src[pos:], "{")
		if i < 0 || pos+i+1 >= len(src) {
			return out
		}
		start := pos + i
		var closer string
		switch src[start+1] {
		case '{':
			closer = "}}"
		case '%':
			closer = "%}"
		default:
			pos = start + 1
			continue
		}
		end := strings.Index(src[start+2:], closer)
		if end < 0 {
			return out // the parser reports the unclosed tag
		}
		body := src[start+2 : start+2+end]
		bodyStart := start + 2
		pos = start + 2 + end + 2
		if closer == "}}" {
			out = append(out, a.expr(body, bodyStart, src)...)
			continue
		}
		out = append(out, a.expr(body, bodyStart, src)...)
		// Tags: skip raw and comment blocks, bind loop and assigned names.
		trimmed := strings.TrimSpace(strings.Trim(body, "-"))
		tag, rest, _ := strings.Cut(trimmed, " ")
		rest = strings.TrimSpace(rest)
		switch tag {
		case "raw", "comment":
			endTag := "end" + tag
			j := strings.Index(src[pos:], endTag)
			if j < 0 {
				return out
			}
			pos += j + len(endTag)
		case "for", "tablerow":
			if name, coll, ok := strings.Cut(rest, " in "); ok {
				a.bind(strings.TrimSpace(name), coll, true)
			}
		case "assign":
			if name, val, ok := strings.Cut(rest, "="); ok {
				a.bind(strings.TrimSpace(name), val, false)
			}
		case "capture", "increment", "decrement":
			a.aliases[rest] = &shape{kind: kindScalar}
		}
	}
}

// expr checks the variable paths of one expression found at offset off.
func (a *analyzer) expr(text string, off int, src string) []problem {
	// Blank out string literals so their contents are not read as paths.
	clean := stringRE.ReplaceAllStringFunc(text, func(s string) string { return strings.Repeat(" ", len(s)) })
	var out []problem
	for _, loc := range chainRE.FindAllStringIndex(clean, -1) {
		if prev := strings.TrimRight(clean[:loc[0]], " \t\r\n"); strings.HasSuffix(prev, "|") || strings.HasSuffix(prev, ".") {
			continue // a filter name
		}
		chain := clean[loc[0]:loc[1]]
		if next := strings.TrimLeft(clean[loc[1]:], " \t\r\n"); strings.HasPrefix(next, ":") {
			continue // a keyword argument (limit: 3)
		}
		if _, msg := a.resolve(chain); msg != "" {
			out = append(out, problem{line: 1 + strings.Count(src[:off+loc[0]], "\n"), msg: msg})
		}
	}
	return out
}

// resolve walks a path; it returns its shape (nil when the root is not
// one the analyzer knows) or a problem.
func (a *analyzer) resolve(chain string) (*shape, string) {
	parts := partRE.FindAllString(chain, -1)
	if len(parts) == 0 {
		return nil, ""
	}
	cur, ok := a.aliases[parts[0]]
	if !ok {
		if cur, ok = a.roots[parts[0]]; !ok {
			return nil, ""
		}
	}
	a.needs.record(cur)
	for i, p := range parts[1:] {
		path := strings.Join(parts[:i+2], ".")
		index := strings.HasPrefix(p, "[")
		switch cur.kind {
		case kindAny:
			return cur, ""
		case kindObject:
			if f, ok := cur.fields[p]; ok {
				cur = f
				a.needs.record(cur)
				continue
			}
			if p == "size" {
				cur = &shape{kind: kindScalar}
				continue
			}
			return nil, "undefined variable " + path
		case kindArray:
			switch {
			case index || p == "first" || p == "last":
				cur = cur.elem
				a.needs.record(cur)
			case p == "size":
				cur = &shape{kind: kindScalar}
			default:
				return nil, fmt.Sprintf("undefined variable %s: %s is a list (loop over it, or use first or last)", path, strings.Join(parts[:i+1], "."))
			}
		case kindScalar:
			if p == "size" || p == "first" || p == "last" {
				continue
			}
			return nil, fmt.Sprintf("undefined variable %s: %s is a value, not an object", path, strings.Join(parts[:i+1], "."))
		}
	}
	return cur, ""
}

// listFilters keep a list a list; first and last take one row.
var listFilters = map[string]bool{"sort": true, "sort_natural": true, "reverse": true, "where": true, "uniq": true, "compact": true, "concat": true}

// bind names the value of expr: the rows of a list for a loop, the value
// itself for assign. Names bound from anything else accept any path.
func (a *analyzer) bind(name, expr string, loop bool) {
	clean := stringRE.ReplaceAllString(expr, `""`)
	head, filters, _ := strings.Cut(clean, "|")
	s, msg := a.resolve(strings.TrimSpace(strings.Fields(head + " ")[0]))
	if s == nil || msg != "" {
		a.aliases[name] = &shape{kind: kindAny}
		return
	}
	if filters != "" {
		for _, f := range strings.Split(filters, "|") {
			fname := strings.TrimSpace(strings.SplitN(f, ":", 2)[0])
			switch {
			case listFilters[fname]:
			case (fname == "first" || fname == "last") && s.kind == kindArray:
				s = s.elem
			default:
				s = &shape{kind: kindAny}
			}
		}
	}
	if loop {
		if s.kind == kindArray {
			s = s.elem
		} else {
			s = &shape{kind: kindAny}
		}
	}
	a.aliases[name] = s
}
