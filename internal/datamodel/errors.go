package datamodel

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a model document.
type Problem struct {
	// Path locates the offending value, such as
	// "entities.purchases.links.customer.entity".
	Path string `json:"path"`
	// Line is the 1-based line in the document, or 0 when unknown (for
	// models built in Go).
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

// ValidationError lists every problem found in a model, not just the first.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid data model: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid data model: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
