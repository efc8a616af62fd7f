package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestCampaignDrafts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := s.Campaigns()
		if _, err := c.Draft(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Draft of none = %v", err)
		}
		d := store.DraftRecord{Name: "c", Document: "name: c\nactivities: {", UpdatedAt: runT0, UpdatedBy: "cli:ann"}
		rev, err := c.PutDraft(ctx, d)
		if err != nil || rev != 1 {
			t.Fatalf("first PutDraft = %d, %v", rev, err)
		}
		// A second first save (another editor who saw no draft) is stale.
		if _, err := c.PutDraft(ctx, d); !errors.Is(err, store.ErrStaleDraft) {
			t.Fatalf("PutDraft from revision 0 over revision 1 = %v", err)
		}
		d.Revision, d.Document, d.UpdatedBy = 1, "name: c\n", "token:bob"
		if rev, err = c.PutDraft(ctx, d); err != nil || rev != 2 {
			t.Fatalf("PutDraft from revision 1 = %d, %v", rev, err)
		}
		if _, err := c.PutDraft(ctx, d); !errors.Is(err, store.ErrStaleDraft) {
			t.Fatalf("PutDraft from revision 1 over revision 2 = %v", err)
		}
		got, err := c.Draft(ctx, "c")
		if err != nil || got.Document != "name: c\n" || got.Revision != 2 || got.UpdatedBy != "token:bob" || !got.UpdatedAt.Equal(runT0) {
			t.Fatalf("Draft = %+v, %v", got, err)
		}
		// Of concurrent saves from one revision exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, stale := 0, 0
		for range 4 {
			wg.Go(func() {
				d := d
				d.Revision = 2
				_, err := c.PutDraft(ctx, d)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, store.ErrStaleDraft):
					stale++
				default:
					t.Errorf("concurrent PutDraft: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || stale != 3 {
			t.Fatalf("concurrent saves: %d won, %d stale; want 1 and 3", wins, stale)
		}
		if err := c.DeleteDraft(ctx, "c", 2); !errors.Is(err, store.ErrStaleDraft) {
			t.Fatalf("DeleteDraft of an old revision = %v", err)
		}
		if err := c.DeleteDraft(ctx, "c", 3); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Draft(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Draft after delete = %v", err)
		}
		// Deleting a campaign takes its draft with it.
		if _, _, err := c.AddVersion(ctx, "c", "draft", "name: c\n", runT0); err != nil {
			t.Fatal(err)
		}
		d.Revision = 0
		if _, err := c.PutDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		id, _, _, err := c.Versions(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return c.On(tx).Delete(ctx, id) }); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Draft(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Draft after the campaign's delete = %v", err)
		}
	})
}
