package engine

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// actRun runs a campaign document to completion and fails the test unless
// the run completed.
func actRun(t *testing.T, eng *Engine, doc, mode string) *RunStatus {
	t.Helper()
	st := runToEnd(t, eng, doc, mode)
	actDone(t, st)
	return st
}

// actRerun starts another run of a saved campaign and works it to its end.
func actRerun(t *testing.T, eng *Engine, name, mode string) *RunStatus {
	t.Helper()
	r, err := eng.Start(context.Background(), name, RunOptions{Mode: mode})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	st := waitRun(t, eng, r.ID)
	actDone(t, st)
	return st
}

func actDone(t *testing.T, st *RunStatus) {
	t.Helper()
	if st.Run.Status != RunCompleted {
		var errs []string
		for _, a := range st.Activities {
			errs = append(errs, fmt.Sprintf("%s=%s %v", a.ID, a.Status, a.Error))
		}
		t.Fatalf("run %s (%s): %s", st.Run.Status, st.Run.Error, strings.Join(errs, "; "))
	}
}

// keyStr is keys joined by commas.
func keyStr(t *testing.T, eng *Engine, runID int64, activity, port string) string {
	t.Helper()
	return strings.Join(keys(t, eng, runID, activity, port), ",")
}

// actExec runs statements on the store.
func actExec(t *testing.T, s *store.Store, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := storetest.DB(s).Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// actCount counts rows of a query.
func actCount(t *testing.T, s *store.Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := storetest.DB(s).QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// directEnv builds the env an executor of a run's activity gets, as a new
// attempt (its tables do not collide with the recorded ones).
func directEnv(t *testing.T, eng *Engine, runID int64, activity string, attempt int) *env {
	t.Helper()
	ctx := context.Background()
	st, err := eng.loadState(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	seq, act := activityByID(st.doc, activity)
	if act == nil {
		t.Fatalf("no activity %s", activity)
	}
	v := &env{ctx: ctx, e: eng, st: st, act: act, seq: seq, attempt: attempt, now: testNow}
	if v.inputs, err = eng.inputs(ctx, st, act); err != nil {
		t.Fatal(err)
	}
	return v
}

// hashPick returns, of ids, the n first in the order of the engine's
// random draws (md5 of "<key>:<run>:<activity>"), sorted as keys sorts.
func hashPick(ids []int, runID int64, activity string, n int) []int {
	type h struct {
		id  int
		sum string
	}
	hs := make([]h, len(ids))
	for i, id := range ids {
		sum := md5.Sum([]byte(fmt.Sprintf("%d:%d:%s", id, runID, activity)))
		hs[i] = h{id, hex.EncodeToString(sum[:])}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].sum < hs[j].sum })
	out := make([]int, 0, n)
	for _, x := range hs[:n] {
		out = append(out, x.id)
	}
	sort.Ints(out)
	return out
}

func joinInts(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// previewRow returns the columns and the row of a transition whose first
// column (the key) prints as key, values printed with fmt.Sprint.
func previewRow(t *testing.T, eng *Engine, runID int64, activity, port, key string) map[string]string {
	t.Helper()
	cols, rows, err := eng.Preview(context.Background(), runID, activity, port, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if fmt.Sprint(r[0]) != key {
			continue
		}
		out := map[string]string{}
		for i, c := range cols {
			out[c] = printValue(r[i])
		}
		return out
	}
	t.Fatalf("%s.%s has no row %s", activity, port, key)
	return nil
}

// printValue prints a scanned value the same way on both stores: numbers
// without trailing zeros, nil as "null".
func printValue(v any) string {
	if v == nil {
		return "null"
	}
	s := fmt.Sprint(v)
	if strings.Contains(s, ".") && strings.Trim(s, "0123456789.-") == "" {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
