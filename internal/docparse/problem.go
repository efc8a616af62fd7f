package docparse

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a document.
type Problem struct {
	// Path locates the offending value, such as
	// "entities.purchases.links.customer.entity".
	Path string `json:"path"`
	// Line is the 1-based line in the document, or 0 when unknown (for
	// documents built in Go).
	Line int `json:"line"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// String renders the problem as "line 12: path: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ErrorText renders a list of problems as the text of a validation error:
// "invalid thing: problem" for one, else a count and one problem a line.
func ErrorText[P fmt.Stringer](invalid string, problems []P) string {
	if len(problems) == 1 {
		return invalid + ": " + problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", invalid, len(problems))
	for _, p := range problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
