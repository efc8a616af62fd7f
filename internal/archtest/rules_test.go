package archtest

import (
	"fmt"
	"go/ast"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// rule is one row of the package table of docs/architecture.md.
type rule struct {
	pkg   string   // a package's short name, or a pattern "channel/..."
	layer int      // 0 base … 6 cmd
	may   []string // short names or patterns it may import
}

// match reports whether the short name of a package is pattern: the name
// itself, or for "x/..." x and every package below it.
func match(pattern, name string) bool {
	if x, ok := strings.CutSuffix(pattern, "/..."); ok {
		return name == x || strings.HasPrefix(name, x+"/")
	}
	return name == pattern
}

var tickRE = regexp.MustCompile("`([^`]+)`")

// readRules reads the package table under "## Package rules" of
// docs/architecture.md.
func readRules(t *testing.T, root string) []rule {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Package rules\n")
	if !ok {
		t.Fatal(`docs/architecture.md has no "## Package rules" section`)
	}
	var rules []rule
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := tickRE.FindStringSubmatch(cells[1])
		layer, err := strconv.Atoi(strings.Fields(cells[2])[0])
		if name == nil || err != nil {
			t.Fatalf("docs/architecture.md: cannot read the row %q", line)
		}
		r := rule{pkg: name[1], layer: layer}
		for _, m := range tickRE.FindAllStringSubmatch(cells[3], -1) {
			r.may = append(r.may, m[1])
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		t.Fatal("docs/architecture.md: the package table is empty")
	}
	return rules
}

// ruleFor returns the row of a package: its own, else the longest pattern
// that matches it.
func ruleFor(rules []rule, name string) (rule, bool) {
	var best rule
	found := false
	for _, r := range rules {
		if r.pkg == name {
			return r, true
		}
		if match(r.pkg, name) && (!found || len(r.pkg) > len(best.pkg)) {
			best, found = r, true
		}
	}
	return best, found
}

// violation is one breach of a rule: key names it in the ratchet list
// ("rule: subject"), detail says more.
type violation struct{ key, detail string }

// importViolations checks every import between the module's packages
// against the table.
func importViolations(t *testing.T, r *repo) []violation {
	rules := readRules(t, r.root)
	var out []violation
	for _, p := range r.pkgs {
		name := short(p.rel)
		own, ok := ruleFor(rules, name)
		if !ok {
			out = append(out, violation{"package: " + name, "has no row in the package table of docs/architecture.md"})
			continue
		}
		for _, imp := range p.Imports {
			rel, ok := strings.CutPrefix(imp, r.module+"/")
			if !ok {
				continue
			}
			target := short(rel)
			if slices.ContainsFunc(own.may, func(m string) bool { return match(m, target) }) {
				continue
			}
			detail := "not in its row's list"
			if to, ok := ruleFor(rules, target); ok && to.layer > own.layer {
				detail = fmt.Sprintf("imports a higher layer (%d → %d)", own.layer, to.layer)
			}
			out = append(out, violation{"import: " + name + " -> " + target, detail})
		}
	}
	return out
}

// databasePackages are the imports only internal/store may have.
var databasePackages = []string{"database/sql", "github.com/duckdb/", "github.com/marcboeker/go-duckdb", "github.com/jackc/pgx", "github.com/lib/pq"}

// testOnlyPackages give the store's database handle to tests and
// benchmarks: no package's non-test files outside the store import them.
var testOnlyPackages = []string{"internal/store/rawdb", "internal/store/storetest"}

// databaseViolations finds, outside internal/store, imports of
// database/sql or a driver, or of the test-only passes to the database
// handle (store/rawdb, store/storetest: only tests and bench/ import them,
// which this check, reading non-test files, never sees), and uses of
// Store.Embedded, Store.Raw or Dialect.Name.
func databaseViolations(t *testing.T, r *repo) []violation {
	var out []violation
	for _, p := range r.pkgs {
		name := short(p.rel)
		if inStore(name) {
			continue
		}
		for _, imp := range p.Imports {
			if slices.ContainsFunc(databasePackages, func(d string) bool { return strings.HasPrefix(imp, d) }) {
				out = append(out, violation{"sql-import: " + name + " -> " + imp, "only internal/store reaches the database"})
			}
			if slices.Contains(testOnlyPackages, strings.TrimPrefix(imp, r.module+"/")) {
				out = append(out, violation{"test-import: " + name + " -> " + imp, "only tests and bench/ reach the database handle"})
			}
		}
	}
	for _, u := range dialectUses(t, r) {
		out = append(out, violation{"dialect: " + u.file + ": " + u.method, fmt.Sprintf("used %d times", u.n)})
	}
	return out
}

// dialectUse counts the uses of one of the store's dialect questions in a
// file outside the store.
type dialectUse struct {
	pkg, file, method string
	n                 int
}

// dialectUses finds, outside internal/store, the uses of Store.Embedded,
// Store.Raw or Dialect.Name (calls, method values or the field, found by
// their types, not their spelling), in file order; tests may use them.
func dialectUses(t *testing.T, r *repo) []dialectUse {
	var out []dialectUse
	storePath := r.module + "/internal/store"
	for _, p := range r.pkgs {
		if inStore(short(p.rel)) || len(p.files) == 0 {
			continue
		}
		info, err := r.typeCheck(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range p.files {
			calls := map[string]int{}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if m := dialectMethod(info, sel, storePath); m != "" {
						calls[m]++
					}
				}
				return true
			})
			for _, m := range slices.Sorted(maps.Keys(calls)) {
				out = append(out, dialectUse{short(p.rel), p.names[i], m, calls[m]})
			}
		}
	}
	return out
}

// dialectMethod names what sel selects when it is Store.Embedded, the
// Store's database handle (Raw), or the Dialect's Name (on the interface or a dialect
// of the store), else "".
func dialectMethod(info *types.Info, sel *ast.SelectorExpr, storePath string) string {
	s, ok := info.Selections[sel]
	if !ok || s.Obj().Pkg() == nil || s.Obj().Pkg().Path() != storePath {
		return ""
	}
	recv := s.Recv()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := recv.(*types.Named)
	if !ok {
		return ""
	}
	switch m, typ := s.Obj().Name(), named.Obj().Name(); {
	case m == "Embedded" && typ == "Store":
		return "Store.Embedded"
	case m == "Raw" && typ == "Store":
		// The database handle itself: statements go through an area.
		return "Store.Raw"
	case m == "Name" && typ == "Dialect":
		return "Dialect.Name"
	}
	return ""
}

// The size limits, and the marker that lifts them.
const (
	maxFileLines = 600
	maxFuncLines = 80
	sizeMarker   = "size:"
)

// hasMarker reports whether a comment group holds a line "// size: <reason>".
func hasMarker(g *ast.CommentGroup) bool {
	if g == nil {
		return false
	}
	for _, c := range g.List {
		text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
		if rest, ok := strings.CutPrefix(text, sizeMarker); ok && strings.TrimSpace(rest) != "" {
			return true
		}
	}
	return false
}

// sizeViolations finds the non-test files over maxFileLines without a
// "// size: <reason>" comment above their package clause, and the
// functions over maxFuncLines without one in their doc comment.
func sizeViolations(t *testing.T, r *repo) []violation {
	var out []violation
	for _, p := range r.pkgs {
		for i, f := range p.files {
			name := p.names[i]
			n, err := lines(filepath.Join(r.root, name))
			if err != nil {
				t.Fatal(err)
			}
			fileMarked := false
			for _, g := range f.Comments {
				if g.Pos() < f.Package && hasMarker(g) {
					fileMarked = true
				}
			}
			if n > maxFileLines && !fileMarked {
				out = append(out, violation{"file-size: " + name, fmt.Sprintf("%d lines", n)})
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				n := r.fset.Position(fd.End()).Line - r.fset.Position(fd.Pos()).Line + 1
				if n > maxFuncLines && !hasMarker(fd.Doc) {
					out = append(out, violation{"func-size: " + name + ": " + funcName(fd), fmt.Sprintf("%d lines", n)})
				}
			}
		}
	}
	return out
}

// funcName is "Name" or "Recv.Name" for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// checkRatchet compares what a rule finds with the known breaches of that
// rule (the entries of known with its prefix): a new breach fails, and so
// does a known one that is gone.
func checkRatchet(t *testing.T, prefix string, found []violation) {
	t.Helper()
	got := map[string]string{}
	for _, v := range found {
		if strings.HasPrefix(v.key, prefix) {
			got[v.key] = v.detail
		}
	}
	listed := map[string]bool{}
	for _, k := range known {
		if strings.HasPrefix(k, prefix) {
			listed[k] = true
		}
	}
	var added, gone []string
	for k, d := range got {
		if !listed[k] {
			added = append(added, fmt.Sprintf("%q, // %s", k, d))
		}
	}
	for k := range listed {
		if _, ok := got[k]; !ok {
			gone = append(gone, fmt.Sprintf("%q,", k))
		}
	}
	slices.Sort(added)
	slices.Sort(gone)
	if len(added) > 0 {
		t.Errorf("new breaches of the rules of docs/architecture.md (fix them; a size limit may be lifted by a \"// size: <reason>\" comment):\n\t%s", strings.Join(added, "\n\t"))
	}
	if len(gone) > 0 {
		t.Errorf("fixed, well done: remove these from known in internal/archtest/ratchet_test.go:\n\t%s", strings.Join(gone, "\n\t"))
	}
}

// TestImportRules: every import between Fanfare's packages is allowed by
// the package table of docs/architecture.md, and every package has a row.
func TestImportRules(t *testing.T) {
	t.Parallel()
	r := load(t)
	found := importViolations(t, r)
	checkRatchet(t, "import: ", found)
	checkRatchet(t, "package: ", found)
}

// TestOnlyTheStoreReachesTheDatabase: outside internal/store no package
// imports database/sql or a driver, or asks which database it runs on, and
// only tests and bench/ hold the database handle (store/rawdb,
// store/storetest).
func TestOnlyTheStoreReachesTheDatabase(t *testing.T) {
	t.Parallel()
	r := load(t)
	found := databaseViolations(t, r)
	checkRatchet(t, "sql-import: ", found)
	checkRatchet(t, "test-import: ", found)
	checkRatchet(t, "dialect: ", found)
}

// TestSizeLimits: no file over 600 lines, no function over 80, without a
// reason.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	r := load(t)
	found := sizeViolations(t, r)
	checkRatchet(t, "file-size: ", found)
	checkRatchet(t, "func-size: ", found)
}

// TestRulesTableIsConsistent: the table itself points downwards: no row
// lets a package import a higher layer, and each row names packages or
// patterns that exist.
func TestRulesTableIsConsistent(t *testing.T) {
	t.Parallel()
	r := load(t)
	rules := readRules(t, r.root)
	for _, row := range rules {
		for _, m := range row.may {
			to, ok := ruleFor(rules, strings.TrimSuffix(m, "/..."))
			if !ok {
				t.Errorf("row %s may import %s, which has no row", row.pkg, m)
			} else if to.layer > row.layer {
				t.Errorf("row %s (layer %d) may import %s (layer %d): a higher layer", row.pkg, row.layer, m, to.layer)
			}
		}
	}
}
