package apitest

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// seen records, per operation, the statuses checked traffic reached in
// this test binary.
var seen = struct {
	sync.Mutex
	ops map[string]map[int]bool
}{ops: map[string]map[int]bool{}}

func record(op string, status int) {
	seen.Lock()
	defer seen.Unlock()
	if seen.ops[op] == nil {
		seen.ops[op] = map[int]bool{}
	}
	seen.ops[op][status] = true
}

// Exercised returns the operations checked traffic reached so far in this
// test binary, each with its statuses in order: "GET /api/runs/{id}" →
// [200 404].
func Exercised() map[string][]int {
	seen.Lock()
	defer seen.Unlock()
	out := make(map[string][]int, len(seen.ops))
	for op, statuses := range seen.ops {
		out[op] = slices.Sorted(maps.Keys(statuses))
	}
	return out
}

// Uncovered returns, in order, the operations of the document whose
// success status (the first 2xx it declares) no checked exchange reached,
// leaving out those in except (operation → why it has no test traffic);
// an excepted operation that is reached after all, or that the document
// does not have, is listed too, so that the exceptions only shrink.
func Uncovered(except map[string]string) ([]string, error) {
	c, err := load()
	if err != nil {
		return nil, err
	}
	got := Exercised()
	var out []string
	known := map[string]bool{}
	for _, op := range c.operations() {
		known[op.name] = true
		reached := slices.Contains(got[op.name], op.success)
		why, excepted := except[op.name]
		switch {
		case !reached && !excepted:
			out = append(out, fmt.Sprintf("%s: no checked test traffic reached its %d", op.name, op.success))
		case reached && excepted:
			out = append(out, fmt.Sprintf("%s: its %d is reached now; drop its exception (%s)", op.name, op.success, why))
		}
	}
	for op := range except {
		if !known[op] {
			out = append(out, fmt.Sprintf("%s: excepted, but the document has no such operation", op))
		}
	}
	slices.Sort(out)
	return out, nil
}

// Report writes one line per operation of the document: its declared
// statuses, those reached marked with a star.
func Report(w io.Writer) error {
	c, err := load()
	if err != nil {
		return err
	}
	got := Exercised()
	for _, op := range c.operations() {
		var cols []string
		for _, s := range op.statuses {
			mark := ""
			if slices.Contains(got[op.name], s) {
				mark = "*"
			}
			cols = append(cols, strconv.Itoa(s)+mark)
		}
		if _, err := fmt.Fprintf(w, "%-60s %s\n", op.name, strings.Join(cols, " ")); err != nil {
			return err
		}
	}
	return nil
}

// declared is an operation of the document with its statuses.
type declared struct {
	name     string
	statuses []int
	success  int
}

// operations lists the document's operations in order.
func (c *contract) operations() []declared {
	var out []declared
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			d := declared{name: method + " " + path}
			for code := range op.Responses.Map() {
				if n, err := strconv.Atoi(code); err == nil {
					d.statuses = append(d.statuses, n)
				}
			}
			slices.Sort(d.statuses)
			for _, s := range d.statuses {
				if s/100 == 2 && d.success == 0 {
					d.success = s
				}
			}
			if d.success == 0 {
				d.success = http.StatusOK
			}
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b declared) int { return strings.Compare(a.name, b.name) })
	return out
}
