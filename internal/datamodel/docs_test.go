package datamodel

import (
	"os"
	"strings"
	"testing"
)

// TestDocumentedModelIsValid keeps the example in docs/data-model.md true.
func TestDocumentedModelIsValid(t *testing.T) {
	doc, err := os.ReadFile("../../docs/data-model.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	if !ok {
		t.Fatal("no yaml example in docs/data-model.md")
	}
	example, _, _ := strings.Cut(rest, "```")
	if _, err := Parse([]byte(example)); err != nil {
		t.Fatalf("the documented model is invalid: %v", err)
	}
}
