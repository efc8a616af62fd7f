package archtest

import (
	"fmt"
	"go/ast"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sqlRE finds what looks like SQL in a string literal: a statement's first
// word, or FROM/INTO/WHERE/JOIN before a name (the measure of issue #14).
// The keywords are matched in upper case, as Fanfare writes its SQL: the
// first measure ignored case, and so on 2026-12-06 also counted 48 pieces
// of prose ("drop entity", "create staging table: %w", "where recipients
// reach…", the model's list of reserved words, "a transition needs from
// and to") and 4 route patterns (routeRE), and no SQL that this one
// misses. The name after FROM… may have either case.
var sqlRE = regexp.MustCompile(`^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|MERGE|WITH|TRUNCATE)\b|\b(FROM|INTO|WHERE|JOIN)\s+(?i:[a-z_"])`)

// routeRE is an HTTP route pattern ("DELETE /api/tokens/{name}"), which
// starts like a statement but is none.
var routeRE = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE) /`)

// TestReport logs, per package outside internal/store, the string
// literals that look like SQL and the uses of Store.Embedded, Store.Raw and
// Dialect.Name (see them with go test -v -run TestReport). It fails
// nothing: literals are easy to hide, so the rules check imports and
// types instead; these are the figures the move of SQL into the store is
// measured by.
func TestReport(t *testing.T) {
	t.Parallel()
	r := load(t)
	lits := map[string]int{}
	for _, p := range r.pkgs {
		name := short(p.rel)
		if inStore(name) || !strings.HasPrefix(p.rel, "internal/") {
			continue
		}
		top, _, _ := strings.Cut(name, "/")
		for _, f := range p.files {
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && sqlRE.MatchString(s) && !routeRE.MatchString(s) {
						lits[top]++
					}
				}
				return true
			})
		}
	}
	uses := map[string]int{}
	files := map[string]bool{}
	for _, u := range dialectUses(t, r) {
		top, _, _ := strings.Cut(u.pkg, "/")
		uses[top] += u.n
		files[u.file] = true
	}
	t.Logf("SQL literals outside the store: %s", figures(lits))
	t.Logf("Store.Embedded, Store.Raw and Dialect.Name outside the store: %s, in %d files", figures(uses), len(files))
}

// figures prints "total N: pkg n, pkg n…".
func figures(m map[string]int) string {
	total := 0
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		total += m[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return fmt.Sprintf("total %d: %s", total, strings.Join(parts, ", "))
}
