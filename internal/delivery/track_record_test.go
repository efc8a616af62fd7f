package delivery_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestRecorderKeepsAtMostABatchUncommitted: whatever the load, no more
// than RecordBatch hits are answered before their events commit, so a
// crash loses at most that many. With ff_events locked (PostgreSQL; a
// writer stuck on a slow disk), RecordBatch hits return and the next
// waits; once the lock goes, it returns too, and Close leaves every
// hit's event committed. A hit whose request ends while it waits records
// nothing and returns.
func TestRecorderKeepsAtMostABatchUncommitted(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	db := storetest.DB(s)
	r := delivery.NewRecorder(s, slog.New(slog.DiscardHandler))
	lock, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback() // a failure below lets the writer go
	if _, err := lock.Exec(`LOCK TABLE ff_events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	hit := func(ctx context.Context, i int) {
		r.Hit(ctx, delivery.Track{Kind: "o", RunID: 1, Activity: "mail", MessageID: fmt.Sprintf("m%d", i)}, delivery.Hit{At: time.Now(), Method: "GET"})
	}
	var returned atomic.Int64
	var wg sync.WaitGroup
	for i := range delivery.RecordBatch + 1 {
		wg.Go(func() { hit(context.Background(), i); returned.Add(1) })
	}
	for returned.Load() < delivery.RecordBatch {
		time.Sleep(10 * time.Millisecond)
	}
	// The writer holds a batch it cannot commit: one more hit has no room.
	gaveUp, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	hit(gaveUp, -1)
	cancel()
	if n := returned.Load(); n != delivery.RecordBatch {
		t.Fatalf("%d hits returned with the events' table locked; want %d (RecordBatch)", n, delivery.RecordBatch)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	r.Close()
	var n, gone int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE message_id = 'm-1') FROM ff_events`).Scan(&n, &gone); err != nil {
		t.Fatal(err)
	}
	if n != delivery.RecordBatch+1 || gone != 0 {
		t.Fatalf("%d events committed (%d of the hit that gave up); want %d", n, gone, delivery.RecordBatch+1)
	}
}
