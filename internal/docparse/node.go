package docparse

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// ParseBytes parses a YAML (or JSON) document into its syntax tree,
// allowing duplicate keys so that readers can report them with their
// lines. It turns a panic of the YAML parser into an error: documents are
// untrusted input.
func ParseBytes(doc []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("cannot parse the document: %v", r)
		}
	}()
	return parser.ParseBytes(doc, 0, parser.AllowDuplicateMapKey())
}

// SyntaxProblem describes an error of ParseBytes, with its line when the
// parser knows it.
func SyntaxProblem(err error) Problem {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		line := 0
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			line = tk.Position.Line
		}
		return Problem{Line: line, Message: "syntax error: " + yerr.GetMessage()}
	}
	return Problem{Message: "syntax error: " + err.Error()}
}

// Join returns the path of field name below path.
func Join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Index returns the path of element i of the list at path.
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Nearest returns the line recorded in lines for path or for its nearest
// ancestor, found by cutting path at the last of seps (".[" turns
// "a.b[2].c" into "a.b[2]", "a.b" and "a"); 0 when there is none.
func Nearest(lines map[string]int, path, seps string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, seps)
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}

// LineOf returns the line where n starts, or 0 when unknown.
func LineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// Unwrap looks through anchors and tags.
func Unwrap(n ast.Node) ast.Node {
	for i := 0; i < 100; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

// Describe names what n is, for messages such as "expected a string,
// found a list".
func Describe(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.AliasNode:
		return "an alias (aliases are not supported)"
	}
	if s, ok := ScalarText(n); ok {
		return fmt.Sprintf("%q", s)
	}
	return "a " + n.Type().String()
}

// ScalarText returns the text of a scalar: the decoded value of a string,
// the source text of a number or boolean, "" for null.
func ScalarText(n ast.Node) (string, bool) {
	switch v := Unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.NullNode:
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		tk := v.GetToken()
		if tk == nil {
			return "", false
		}
		return tk.Value, true
	}
	return "", false
}
