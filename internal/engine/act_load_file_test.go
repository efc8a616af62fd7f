package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// loadCSVColumns declares every column of testdata/load_customers.csv.
const loadCSVColumns = `{customer_id: integer, email: string, spent: decimal, optin: boolean, joined: date, seen: timestamp, note: string}`

func TestLoadFileCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: load_csv
dimension: customers
activities:
  start: {type: start}
  load:
    type: load_file
    path: testdata/load_customers.csv
    columns: ` + loadCSVColumns + `
  match: {type: reconcile, match: [{column: customer_id, attribute: customer_id}]}
  bad: {type: end}
  done: {type: end}
transitions:
  - start -> load
  - load -> match
  - load.rejects -> bad
  - match -> done
`
		st := actRun(t, eng, doc, ModeLive)
		id := st.Run.ID
		if got := keyStr(t, eng, id, "load", "out"); got != "2,3,5,6,7,8" {
			t.Errorf("out lines = %s, want 2,3,5,6,7,8", got)
		}
		if got := keyStr(t, eng, id, "load", "rejects"); got != "4,9,9" {
			t.Errorf("rejects lines = %s, want 4,9,9", got)
		}
		c := counts(st)
		if c["load.out->match"] != 6 || c["load.rejects->bad"] != 3 {
			t.Errorf("counts = %v", c)
		}
		if a := activity(st, "load"); a.RowsOut == nil || *a.RowsOut != 9 {
			t.Errorf("load rows out = %v, want 9 (6 rows, 3 rejects)", a.RowsOut)
		}

		// Columns in header order after _line, each value typed.
		cols, _, err := eng.Preview(context.Background(), id, "load", "out", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(cols, ","); got != "_line,customer_id,email,spent,optin,joined,seen,note" {
			t.Errorf("columns = %s", got)
		}
		row := previewRow(t, eng, id, "load", "out", "2")
		if row["customer_id"] != "1" || row["email"] != "ann@example.com" || row["spent"] != "80.5" || row["optin"] != "true" ||
			!strings.HasPrefix(row["joined"], "2024-01-01") || !strings.HasPrefix(row["seen"], "2026-10-20 10:00:00") {
			t.Errorf("line 2 = %v", row)
		}
		if row := previewRow(t, eng, id, "load", "out", "3"); row["spent"] != "null" || row["joined"] != "null" || row["optin"] != "false" {
			t.Errorf("line 3 = %v", row)
		}
		if row := previewRow(t, eng, id, "load", "out", "6"); row["note"] != "duplicate, quoted" {
			t.Errorf("line 6 = %v", row)
		}
		// The column types are the data model's on both stores.
		types := map[string]string{}
		for _, col := range cols {
			types[col] = string(sqlTypeOf(columnType(t, s, activityTable(t, s, id, "load", "out"), col)))
		}
		want := map[string]string{"_line": "integer", "customer_id": "integer", "email": "string", "spent": "decimal", "optin": "boolean", "joined": "date", "seen": "timestamp", "note": "string"}
		for k, w := range want {
			if types[k] != w {
				t.Errorf("column %s is %s, want %s", k, types[k], w)
			}
		}

		rej := rejectRows(t, eng, id, "load")
		wantRej := []string{
			"4|customer_id|x|not an integer",
			"9|joined|2024-13-01|invalid date, want YYYY-MM-DD",
			"9|spent|abc|not a decimal number",
		}
		if strings.Join(rej, "\n") != strings.Join(wantRej, "\n") {
			t.Errorf("rejects =\n%s\nwant\n%s", strings.Join(rej, "\n"), strings.Join(wantRej, "\n"))
		}
	})
}

func TestLoadFileGzipNDJSON(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		// A name that does not say gzip.
		path := "testdata/load_customers.jsonl.gz"
		doc := `name: load_ndjson
dimension: customers
activities:
  start: {type: start}
  load:
    type: load_file
    path: '` + path + `'
    format: jsonl
    columns: {customer_id: integer, email: string, spent: decimal}
  match: {type: reconcile, match: [{column: customer_id, attribute: customer_id}]}
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello {{ profile.email }}'}
  lost: {type: end}
  bad: {type: end}
transitions:
  - start -> load
  - load -> match
  - load.rejects -> bad
  - match -> mail
  - match.unmatched -> lost
`
		st := actRun(t, eng, doc, ModeSimulate)
		id := st.Run.ID
		if got := keyStr(t, eng, id, "load", "out"); got != "1,3,5,6,9" {
			t.Errorf("out lines = %s, want 1,3,5,6,9", got)
		}
		wantRej := []string{
			"2|customer_id|x|not an integer",
			"7|extra||unknown column",
			"8||not json|invalid JSON: invalid character 'o' in literal null (expecting 'u') at byte 2",
		}
		if got := rejectRows(t, eng, id, "load"); strings.Join(got, "\n") != strings.Join(wantRej, "\n") {
			t.Errorf("rejects =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRej, "\n"))
		}
		if got := keyStr(t, eng, id, "match", "out"); got != "1,3,8" {
			t.Errorf("matched = %s, want 1,3,8", got)
		}
		if got := keyStr(t, eng, id, "match", "unmatched"); got != "3" {
			t.Errorf("unmatched lines = %s, want 3", got)
		}
		c := counts(st)
		if c["load.out->match"] != 5 || c["load.rejects->bad"] != 3 || c["match.out->mail"] != 3 || c["match.unmatched->lost"] != 1 {
			t.Errorf("counts = %v", c)
		}
		if row := previewRow(t, eng, id, "load", "out", "5"); row["spent"] != "80.5" || row["email"] != "ann@example.com" {
			t.Errorf("line 5 = %v", row)
		}
	})
}

// TestLoadFileFailures runs campaigns whose load_file or reconcile cannot
// work and checks that the run fails with a message saying why.
func TestLoadFileFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		tests := []struct {
			name    string
			load    string
			match   string
			wantErr string
		}{
			{
				name:    "header column not declared",
				load:    `{type: load_file, path: testdata/load_customers.csv, columns: {customer_id: integer, email: string}}`,
				match:   `[{column: customer_id, attribute: customer_id}]`,
				wantErr: `header column "spent", "optin", "joined", "seen", "note" not declared in columns`,
			},
			{
				name:    "declared column not in header",
				load:    `{type: load_file, path: testdata/load_customers.csv, columns: ` + strings.TrimSuffix(loadCSVColumns, "}") + `, phone: string}}`,
				match:   `[{column: customer_id, attribute: customer_id}]`,
				wantErr: "the header has no column phone",
			},
			{
				name:    "missing file",
				load:    `{type: load_file, path: testdata/load_nothing_here.csv, columns: {a: string}}`,
				match:   `[{column: a, attribute: email}]`,
				wantErr: "no such file or directory",
			},
			{
				name:    "a directory",
				load:    `{type: load_file, path: testdata, columns: {a: string}}`,
				match:   `[{column: a, attribute: email}]`,
				wantErr: "testdata is not a regular file",
			},
			{
				name:    "column type unlike the attribute's",
				load:    `{type: load_file, path: testdata/load_customers.csv, columns: ` + strings.Replace(loadCSVColumns, "customer_id: integer", "customer_id: string", 1) + `}`,
				match:   `[{column: customer_id, attribute: customer_id}]`,
				wantErr: "column customer_id is string and attribute customer_id is integer: they cannot be compared",
			},
			{
				name:    "unknown column",
				load:    `{type: load_file, path: testdata/load_customers.csv, columns: ` + loadCSVColumns + `}`,
				match:   `[{column: mail, attribute: email}]`,
				wantErr: `the file has no column "mail"`,
			},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				doc := sprintf(`name: load_fail_%d
dimension: customers
policy: {retries: 1}
activities:
  start: {type: start}
  load: %s
  match: {type: reconcile, match: %s}
  done: {type: end}
transitions:
  - start -> load
  - load -> match
  - match -> done
`, i, tc.load, tc.match)
				st := runToEnd(t, eng, doc, ModeSimulate)
				if st.Run.Status != RunFailed || !strings.Contains(st.Run.Error, tc.wantErr) {
					t.Errorf("run %s: %q, want failed with %q", st.Run.Status, st.Run.Error, tc.wantErr)
				}
				// A failed activity leaves no working table behind.
				if n := actCount(t, s, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE $1 ESCAPE '!'
					AND table_name NOT IN (SELECT table_name FROM ff_run_outputs WHERE run_id = $2 AND table_name IS NOT NULL)`,
					escapeUnderscore(workTablePrefix(st.Run.ID, -1))+"%", st.Run.ID); n != 0 {
					t.Errorf("%d working tables left by the failed activity", n)
				}
			})
		}
	})
}

// TestLoadFileOpen checks that load_file reads only regular files of its
// files directory: no absolute path, no "..", no symbolic link anywhere in
// the path (to /etc/passwd, to a directory outside, or even inside).
func TestLoadFileOpen(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "files")
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "plain.csv"), "a\n1\n")
	write(filepath.Join(dir, "sub", "ok.csv"), "a\n1\n")
	write(filepath.Join(tmp, "outside", "secret.csv"), "a\nsecret\n")
	link("/etc/passwd", "passwd.csv")
	link("plain.csv", "alias.csv")
	link(filepath.Join(tmp, "outside"), "out")
	link("sub", "subalias")
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"plain file", "plain.csv", ""},
		{"in a subdirectory", "sub/ok.csv", ""},
		{"nul byte", "plain.csv\x00.txt", "NUL byte"},
		{"empty", " ", "give the path of the file to load"},
		{"absolute", "/etc/passwd", "inside the server's files directory"},
		{"absolute inside", filepath.Join(dir, "plain.csv"), "inside the server's files directory"},
		{"dot dot out", "../outside/secret.csv", "no .."},
		{"dot dot in", "sub/../plain.csv", "no .."},
		{"link to /etc/passwd", "passwd.csv", "passwd.csv is a symbolic link"},
		{"link inside", "alias.csv", "alias.csv is a symbolic link"},
		{"directory link out", "out/secret.csv", "out is a symbolic link"},
		{"directory link inside", "subalias/ok.csv", "subalias is a symbolic link"},
		{"directory", "sub", "is not a regular file"},
		{"missing", "missing.csv", "missing.csv: no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := openLoadFile(dir, tc.path, ingest.FormatCSV, ingest.Limits{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(tc.path, tmp) && strings.Contains(err.Error(), tmp) {
				t.Errorf("err = %v: names the files directory's location", err)
			}
		})
	}
	if _, err := openLoadFile("", "plain.csv", ingest.FormatCSV, ingest.Limits{}); !errors.Is(err, ErrNoFilesDir) {
		t.Errorf("no files directory: err = %v, want ErrNoFilesDir", err)
	}
}

// TestLoadFileOutsideFilesDir runs a campaign whose load_file names a
// link to /etc/passwd: the run fails, and no line of the file reaches a
// working table (rejects included).
func TestLoadFileOutsideFilesDir(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		eng.FilesDir = t.TempDir()
		if err := os.Symlink("/etc/passwd", filepath.Join(eng.FilesDir, "users.csv")); err != nil {
			t.Fatal(err)
		}
		doc := `name: load_passwd
dimension: customers
activities:
  start: {type: start}
  load: {type: load_file, path: users.csv, columns: {a: string}}
  done: {type: end}
  bad: {type: end}
transitions:
  - start -> load
  - load -> done
  - load.rejects -> bad
`
		st := runToEnd(t, eng, doc, ModeSimulate)
		if st.Run.Status != RunFailed || !strings.Contains(st.Run.Error, "users.csv is a symbolic link") {
			t.Fatalf("run %s: %q, want failed: users.csv is a symbolic link", st.Run.Status, st.Run.Error)
		}
		if n := actCount(t, s, `SELECT count(*) FROM ff_run_outputs WHERE run_id = $1 AND table_name IS NOT NULL`, st.Run.ID); n != 0 {
			t.Errorf("%d working tables kept", n)
		}
	})
}

func TestLoadFileColumnsSetting(t *testing.T) {
	tests := []struct {
		name    string
		columns map[string]string
		wantErr string
	}{
		{"none", nil, "columns lists no column"},
		{"line column", map[string]string{"_LINE": "integer"}, "taken by the line number column"},
		{"not an identifier", map[string]string{"first name": "string"}, "a file column name is"},
		{"case twins", map[string]string{"Email": "string", "email": "string"}, "differ only in case"},
		{"enum", map[string]string{"tier": "enum"}, `type "enum"`},
		{"ok", map[string]string{"b": "boolean", "a": "timestamp"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cols, err := fileColumns(tc.columns, ingest.FormatCSV)
			if tc.wantErr == "" {
				if err != nil || len(cols) != 2 || cols[0].name != "a" {
					t.Fatalf("cols = %v, %v", cols, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// rejectRows lists an activity's rejects as line|column|value|reason, in
// line then column order.
func rejectRows(t *testing.T, eng *Engine, runID int64, activity string) []string {
	t.Helper()
	cols, rows, err := eng.Preview(context.Background(), runID, activity, "rejects", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cols, ",") != "line,column,value,reason" {
		t.Fatalf("reject columns = %v", cols)
	}
	var out []string
	for _, r := range rows {
		parts := make([]string, len(r))
		for i, v := range r {
			if v != nil {
				parts[i] = fmtValue(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	sort.Strings(out)
	return out
}

// activityTable returns the working table of a run's output.
func activityTable(t *testing.T, s *store.Store, runID int64, activity, port string) string {
	t.Helper()
	var table string
	if err := storetest.DB(s).QueryRow(`SELECT table_name FROM ff_run_outputs WHERE run_id = $1 AND activity_id = $2 AND port = $3`, runID, activity, port).Scan(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

// columnType returns a column's catalog data type.
func columnType(t *testing.T, s *store.Store, table, column string) string {
	t.Helper()
	var typ string
	if err := storetest.DB(s).QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, table, column).Scan(&typ); err != nil {
		t.Fatalf("type of %s.%s: %v", table, column, err)
	}
	return typ
}
