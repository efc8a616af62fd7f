package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev := s.Events()
		var evs []store.EventRecord
		// 600 opens of 300 messages (more than one statement's batch), a
		// machine's open, anonymous and identified clicks.
		for i := range 600 {
			evs = append(evs, store.EventRecord{At: runT0, Type: "open", RunID: 1, Activity: "mail", MessageID: fmt.Sprintf("m%d", i%300)})
		}
		evs = append(evs,
			store.EventRecord{At: runT0, Type: "open", RunID: 1, Activity: "mail", MessageID: "m1", Machine: "apple_mpp", UserAgent: "Mozilla/5.0"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", MessageID: "m1", Link: 1, URL: "https://shop.example/a", Label: "offer"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", MessageID: "m1", Link: 1, URL: "https://shop.example/a", Label: "offer"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", Link: 2, URL: "https://shop.example/b"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", MessageID: "m2", Link: 2, URL: "https://shop.example/b", Machine: "scanner"},
			store.EventRecord{At: runT0, Type: "open", RunID: 2, Activity: "mail", MessageID: "x"},
		)
		if err := ev.Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		counts, err := ev.Counts(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.EventCount{
			{Activity: "mail", Type: "click", Total: 3, Unique: 1},
			{Activity: "mail", Type: "click", Machine: true, Total: 1, Unique: 1},
			{Activity: "mail", Type: "open", Total: 600, Unique: 300},
			{Activity: "mail", Type: "open", Machine: true, Total: 1, Unique: 1},
		}
		if !reflect.DeepEqual(counts, want) {
			t.Fatalf("counts:\n got %+v\nwant %+v", counts, want)
		}
		links, err := ev.Links(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		wantLinks := []store.LinkCount{
			{Activity: "mail", Link: 1, URL: "https://shop.example/a", Label: "offer", Total: 2, Unique: 1},
			{Activity: "mail", Link: 2, URL: "https://shop.example/b", Total: 1, Unique: 0},
		}
		if !reflect.DeepEqual(links, wantLinks) {
			t.Fatalf("links:\n got %+v\nwant %+v", links, wantLinks)
		}
	})
}
