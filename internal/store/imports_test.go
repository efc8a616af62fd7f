package store_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestImportsBookkeeping records an import from its start to its end and
// reads it back; an unknown import is ErrNotFound. Both stores.
func TestImportsBookkeeping(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		im := s.Imports()
		conn, err := storetest.DB(s).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
		id, err := im.Begin(ctx, conn, "customers", "customers.csv", at)
		if err != nil {
			t.Fatal(err)
		}
		got, err := im.Get(ctx, id)
		want := store.ImportRecord{ID: id, Entity: "customers", Source: "customers.csv", Status: store.ImportRunning, StartedAt: at}
		if err != nil || got != want {
			t.Fatalf("Get running = %+v, %v; want %+v", got, err, want)
		}
		if err := im.Progress(ctx, id, 2048, 65536, 100000); err != nil {
			t.Fatal(err)
		}
		want.Rows, want.Bytes, want.Size = 2048, 65536, 100000
		if got, err := im.Get(ctx, id); err != nil || got != want {
			t.Fatalf("Get with progress = %+v, %v; want %+v", got, err, want)
		}
		end := at.Add(time.Second)
		if err := im.Finish(ctx, id, "completed", end, `{"read":3}`); err != nil {
			t.Fatal(err)
		}
		if err := im.Release(ctx, conn, id); err != nil {
			t.Fatal(err)
		}
		// A late progress report leaves a finished import as it ended.
		if err := im.Progress(ctx, id, 1, 1, 1); err != nil {
			t.Fatal(err)
		}
		got, err = im.Get(ctx, id)
		if err != nil || got.FinishedAt == nil || !got.FinishedAt.Equal(end) {
			t.Fatalf("Get finished = %+v, %v; want finished at %s", got, err, end)
		}
		want.Status, want.Summary, want.FinishedAt = "completed", `{"read":3}`, got.FinishedAt
		if got != want {
			t.Fatalf("Get finished = %+v; want %+v", got, want)
		}
		id2, err := im.Begin(ctx, conn, "purchases", "p.csv", end)
		if err != nil {
			t.Fatal(err)
		}
		list, err := im.List(ctx, 10)
		if err != nil || len(list) != 2 || list[0].ID != id2 || list[1].ID != id {
			t.Fatalf("List = %+v, %v; want imports %d then %d", list, err, id2, id)
		}
		if list, err := im.List(ctx, 1); err != nil || len(list) != 1 || list[0].ID != id2 {
			t.Fatalf("List(1) = %+v, %v; want import %d", list, err, id2)
		}
		if _, err := im.Get(ctx, id+1000); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get unknown: err = %v, want ErrNotFound", err)
		}
	})
}

// TestImportsRejects records more rejects than one statement writes and
// reads them back in line order, only the import's own (rejects found
// over a staging table: TestStaging). Both stores.
func TestImportsRejects(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		im := s.Imports()
		var rows []store.ImportReject
		for i := 1200; i > 0; i-- {
			rows = append(rows, store.ImportReject{Line: int64(i) + 1, Column: "email", Value: fmt.Sprint("v", i), Reason: "invalid"})
		}
		if err := im.AddRejects(ctx, 7, rows); err != nil {
			t.Fatal(err)
		}
		if err := im.AddRejects(ctx, 8, rows[:3]); err != nil {
			t.Fatal(err)
		}
		var got []store.ImportReject
		if err := im.Rejects(ctx, 7, func(rj store.ImportReject) error { got = append(got, rj); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1200 {
			t.Fatalf("%d rejects, want 1200", len(got))
		}
		first, last := store.ImportReject{Line: 2, Column: "email", Value: "v1", Reason: "invalid"},
			store.ImportReject{Line: 1201, Column: "email", Value: "v1200", Reason: "invalid"}
		if got[0] != first || got[1199] != last {
			t.Fatalf("rejects start %+v and end %+v", got[0], got[1199])
		}
		stop := errors.New("stop")
		if err := im.Rejects(ctx, 8, func(store.ImportReject) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("Rejects: err = %v, want fn's", err)
		}
	})
}

// TestImportsMarkInterrupted marks running imports interrupted: on DuckDB
// every one (one process owns the file), on PostgreSQL only those whose
// owner's session has ended; an import that finished stays as it was.
func TestImportsMarkInterrupted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		im := s.Imports()
		at := time.Now().UTC()
		begin := func() (int64, func()) {
			conn, err := storetest.DB(s).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			id, err := im.Begin(ctx, conn, "customers", "c.csv", at)
			if err != nil {
				t.Fatal(err)
			}
			// driver.ErrBadConn makes database/sql drop the connection, which
			// ends the session, instead of keeping it in the pool.
			return id, func() { _ = conn.Raw(func(any) error { return driver.ErrBadConn }); conn.Close() }
		}
		done, closeDone := begin()
		if err := im.Finish(ctx, done, "completed", at, "{}"); err != nil {
			t.Fatal(err)
		}
		closeDone()
		dead, closeDead := begin()
		closeDead() // the process died: its session is gone
		live, closeLive := begin()
		defer closeLive()

		n, err := im.MarkInterrupted(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		wantLive, wantN := store.ImportRunning, int64(1)
		if s.Embedded() {
			wantLive, wantN = store.ImportInterrupted, 2
		}
		if n != wantN {
			t.Fatalf("MarkInterrupted = %d, want %d", n, wantN)
		}
		for id, want := range map[int64]string{done: "completed", dead: store.ImportInterrupted, live: wantLive} {
			if r, err := im.Get(ctx, id); err != nil || r.Status != want {
				t.Errorf("import %d: status %q (%v), want %q", id, r.Status, err, want)
			}
		}
	})
}
