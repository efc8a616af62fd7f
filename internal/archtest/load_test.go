package archtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// pkg is one package of the module, as go list describes it, with its
// non-test files parsed.
type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Export     string
	Module     *struct {
		Path string
		Main bool
	}

	rel   string      // "internal/engine", "cmd/fanfare"
	files []*ast.File // non-test files, with comments
	names []string    // their paths from the module root
}

// repo is the module as the tests see it.
type repo struct {
	root   string
	module string
	fset   *token.FileSet
	pkgs   []*pkg            // the module's packages, by import path
	export map[string]string // import path → export data, every dependency
}

var (
	loadOnce sync.Once
	loaded   *repo
	loadErr  error
)

// load lists the module's packages and their dependencies once per test
// binary (go list -deps -export, which builds what is not in the cache) and
// parses every non-test file.
func load(t *testing.T) *repo {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = list() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func list() (*repo, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-deps", "-export", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.String())
	}
	r := &repo{root: root, fset: token.NewFileSet(), export: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(pkg)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list: %w", err)
		}
		r.export[p.ImportPath] = p.Export
		if p.Module == nil || !p.Module.Main {
			continue
		}
		r.module = p.Module.Path
		p.rel = strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, p.Module.Path), "/")
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(r.fset, path, nil, parser.ParseComments)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(root, path)
			p.files = append(p.files, f)
			p.names = append(p.names, filepath.ToSlash(rel))
		}
		r.pkgs = append(r.pkgs, p)
	}
	return r, nil
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test")
		}
		dir = parent
	}
}

// short names a package of the module as docs/architecture.md does: the
// path under internal/, else the path from the module's root.
func short(rel string) string { return strings.TrimPrefix(rel, "internal/") }

// inStore reports whether a package (short name) is internal/store or
// below it.
func inStore(name string) bool { return name == "store" || strings.HasPrefix(name, "store/") }

// typeCheck type-checks p from its parsed files against the export data of
// its dependencies.
func (r *repo) typeCheck(p *pkg) (*types.Info, error) {
	imp := importer.ForCompiler(r.fset, "gc", func(path string) (io.ReadCloser, error) {
		file := r.export[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check(p.ImportPath, r.fset, p.files, info); err != nil {
		return nil, fmt.Errorf("type-check %s: %w", p.ImportPath, err)
	}
	return info, nil
}

// lines counts the lines of a file.
func lines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}
