package engine

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// loadFileDoc is a campaign whose load_file reads path.
func loadFileDoc(name, path, format string) string {
	return `name: ` + name + `
dimension: customers
policy: {retries: 1}
activities:
  start: {type: start}
  load: {type: load_file, path: '` + path + `', format: ` + format + `, columns: {customer_id: integer, email: string}}
  done: {type: end}
  bad: {type: end}
transitions:
  - start -> load
  - load -> done
  - load.rejects -> bad
`
}

// TestLoadFileLimits loads files with a line past a small limit and bytes
// that are not UTF-8: those rows are rejects with their line and reason,
// the good rows load; a gzip file inflating past the cap fails the run
// naming the file. Both stores.
func TestLoadFileLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	long := strings.Repeat("x", 100<<10)
	csvPath := filepath.Join(dir, "people.csv")
	csv := "customer_id,email\n1,a@example.com\n2,b\xe9@example.com\n3," + long + "\n4,d@example.com\n"
	jsonPath := filepath.Join(dir, "people.jsonl")
	jsonl := `{"customer_id":1,"email":"a@example.com"}` + "\n" + `{"customer_id":2,"email":"b` + "\xe9" + `@example.com"}` + "\n" +
		`{"customer_id":3,"email":"` + long + `"}` + "\n" + `{"customer_id":4,"email":"d@example.com"}` + "\n"
	bombPath := filepath.Join(dir, "bomb.csv.gz")
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte("customer_id,email\n"))
	zw.Write(bytes.Repeat([]byte("1,a@example.com\n"), 1<<20)) // 16 MiB
	zw.Close()
	for p, b := range map[string][]byte{csvPath: []byte(csv), jsonPath: []byte(jsonl), bombPath: bomb.Bytes()} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		eng.FileLimits = ingest.Limits{MaxLine: 64 << 10, MaxInflated: 10 << 20}
		eng.FilesDir = dir
		for i, f := range []struct{ path, format, out string }{{csvPath, "csv", "2,5"}, {jsonPath, "jsonl", "1,4"}} {
			st := actRun(t, eng, loadFileDoc(sprintf("limits_%d", i), filepath.Base(f.path), f.format), ModeSimulate)
			if got := keyStr(t, eng, st.Run.ID, "load", "out"); got != f.out {
				t.Errorf("%s: out lines = %s, want %s", f.format, got, f.out)
			}
			want := []string{"3|email|b\uFFFD@example.com|invalid UTF-8 (byte 0xE9 at position 2)", "4|||line longer than 64 KiB (the limit on a line); skipped"}
			if f.format == "jsonl" {
				want = []string{"2|email|b\uFFFD@example.com|invalid UTF-8 (byte 0xE9 at position 2)", "3|||line longer than 64 KiB (the limit on a line); skipped"}
			}
			if got := rejectRows(t, eng, st.Run.ID, "load"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: rejects =\n%s\nwant\n%s", f.format, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		st := runToEnd(t, eng, loadFileDoc("limits_bomb", filepath.Base(bombPath), "csv"), ModeSimulate)
		if want := "bomb.csv.gz: gzip file inflates past the limit: it inflates to more than 10 MiB"; st.Run.Status != RunFailed || !strings.Contains(st.Run.Error, want) {
			t.Errorf("run %s: %q, want failed with %q", st.Run.Status, st.Run.Error, want)
		}
	})
}
