package store

import (
	"strings"
	"testing"
)

// TestShortName: names of indexes over long table names stay within
// PostgreSQL's 63 bytes and distinct.
func TestShortName(t *testing.T) {
	long := strings.Repeat("a", 63)
	n1, n2 := indexName(long, "x"), indexName(long, "y")
	if len(n1) > 63 || n1 == n2 {
		t.Fatalf("indexName = %q, %q", n1, n2)
	}
}
