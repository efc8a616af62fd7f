package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// now is the instant test runs start at.
var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// shopData is a small, hand-checkable dataset: 8 customers, 4 products,
// purchases spread over the last year.
var shopData = map[string]string{
	"customers": `customer_id,email,country,tier,email_optin,created_at
1,ann@example.com,FR,gold,true,2024-01-01T00:00:00Z
2,bob@example.com,FR,none,true,2024-02-01T00:00:00Z
3,cy@example.com,DE,silver,false,2024-03-01T00:00:00Z
4,dee@example.com,DE,gold,true,2024-04-01T00:00:00Z
5,eve@example.com,FR,none,false,2024-05-01T00:00:00Z
6,fay@example.com,GB,silver,true,2024-06-01T00:00:00Z
7,gus@example.com,GB,none,true,2024-07-01T00:00:00Z
8,hal@example.com,FR,gold,true,2024-08-01T00:00:00Z
`,
	"products": `product_id,category,price
1,shoes,80.00
2,shoes,120.00
3,books,15.00
4,garden,40.00
`,
	"purchases": `purchase_id,customer_id,product_id,amount,purchased_at
1,1,1,80.00,2026-10-20T10:00:00Z
2,1,2,120.00,2026-09-15T10:00:00Z
3,2,1,80.00,2026-10-30T10:00:00Z
4,3,3,15.00,2026-06-01T10:00:00Z
5,4,2,120.00,2026-10-01T10:00:00Z
6,4,1,80.00,2026-10-25T10:00:00Z
7,4,4,40.00,2025-12-01T10:00:00Z
8,6,3,15.00,2026-10-31T10:00:00Z
9,8,2,120.00,2025-11-15T10:00:00Z
`,
}

// setup applies the shop model, loads the shop data and returns an engine
// with a fixed clock.
func setup(t testing.TB, s *store.Store) *Engine {
	t.Helper()
	doc, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	loadModel(t, s, doc, shopData)
	return newEngine(s)
}

// loadModel applies a model document to s and imports the CSV body given
// for each of its entities, in the model's load order.
func loadModel(t testing.TB, s *store.Store, doc []byte, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := schema.Apply(ctx, s, doc, schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.LoadOrder() {
		body, ok := data[e.Name]
		if !ok {
			continue
		}
		if _, err := ingest.Import(ctx, s, m, e.Name, e.Name+".csv", strings.NewReader(body), ingest.Options{Format: ingest.FormatCSV, MaxErrors: 0}); err != nil {
			t.Fatalf("load %s: %v", e.Name, err)
		}
	}
}

// newEngine returns an engine on s whose clock starts at testNow and runs
// in real time, so retries' backoffs come due.
func newEngine(s *store.Store) *Engine {
	started := time.Now()
	// load_file reads the package's own directory: paths are testdata/….
	eng := New(Config{Store: s, Log: slog.New(slog.DiscardHandler), Lease: 5 * time.Second, FilesDir: ".", Now: func() time.Time { return testNow.Add(time.Since(started)) }})
	eng.Poll = 10 * time.Millisecond
	return eng
}

// outboxLines returns the rows query reads, each as its columns (text)
// joined by spaces, the first a message id without its "<run>:<activity>:".
func outboxLines(t testing.TB, s *store.Store, query string) []string {
	t.Helper()
	rows, err := storetest.DB(s).Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := strings.SplitN(vals[0], ":", 3)
		vals[0] = parts[len(parts)-1]
		out = append(out, strings.Join(vals, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sendToAll is a campaign whose one channel activity (named activity,
// with the given YAML flow mapping) sends to all of a dimension.
func sendToAll(name, dimension, activity, spec string) string {
	return fmt.Sprintf(`name: %s
dimension: %s
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  %s: %s
transitions:
  - start -> all
  - all -> %s
`, name, dimension, activity, spec, activity)
}

// runCompleted runs a campaign live to its end and fails unless the run
// completed.
func runCompleted(t testing.TB, eng *Engine, doc string) {
	t.Helper()
	if st := runToEnd(t, eng, doc, ModeLive); st.Run.Status != RunCompleted {
		t.Fatalf("run: %s %s", st.Run.Status, st.Run.Error)
	}
}

// sameLines fails unless got is want, line for line.
func sameLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// runToEnd saves and starts a campaign and works its run until the run
// ends (or the deadline passes), returning its status.
func runToEnd(t testing.TB, eng *Engine, doc, mode string) *RunStatus {
	t.Helper()
	ctx := context.Background()
	if _, err := eng.Save(ctx, []byte(doc)); err != nil {
		t.Fatalf("save: %v", err)
	}
	name := docName(t, doc)
	if mode == ModeLive {
		if _, err := eng.Publish(ctx, name); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	r, err := eng.Start(ctx, name, RunOptions{Mode: mode})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return waitRun(t, eng, r.ID)
}

// waitRun works the engine until the run leaves the running state.
func waitRun(t testing.TB, eng *Engine, runID int64) *RunStatus {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := eng.Status(context.Background(), runID)
		if err != nil {
			t.Fatal(err)
		}
		switch st.Run.Status {
		case RunCompleted, RunFailed, RunStopped, RunWaiting, RunPaused:
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still %s: %+v", runID, st.Run.Status, st.Activities)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func docName(t testing.TB, doc string) string {
	for _, line := range strings.Split(doc, "\n") {
		if v, ok := strings.CutPrefix(line, "name:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("document without a name")
	return ""
}

// counts maps "from.port->to" to the transition's count (-1: not taken).
func counts(st *RunStatus) map[string]int64 {
	out := map[string]int64{}
	for _, tr := range st.Transitions {
		n := int64(-1)
		if tr.Count != nil {
			n = *tr.Count
		}
		out[tr.From+"."+tr.Output+"->"+tr.To] = n
	}
	return out
}

// keys returns the first column of a transition's rows, as strings, sorted.
func keys(t testing.TB, eng *Engine, runID int64, activity, port string) []string {
	t.Helper()
	_, rows, err := eng.Preview(context.Background(), runID, activity, port, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, strings.TrimSpace(fmtValue(r[0])))
	}
	return out
}
