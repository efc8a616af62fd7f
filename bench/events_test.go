package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// BenchmarkEventAppend appends tracking events in the recorder's batches
// (store.MaxEventBatch) on each store, the path every open and click
// takes: its figure is per event (ns/event). It measured what numbering
// the events for outbound exporters (ff_events.seq, docs/outbound.md)
// costs the appends.
func BenchmarkEventAppend(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := storetest.Open(b, backend)
			ctx := context.Background()
			batch := make([]store.EventRecord, store.MaxEventBatch)
			at := time.Date(2026, 12, 7, 4, 15, 0, 0, time.UTC)
			for i := range batch {
				batch[i] = store.EventRecord{At: at, Type: "click", RunID: 1, Activity: "mail", MessageID: fmt.Sprintf("m%06d", i),
					Link: 1, URL: "https://shop.example/winter", Label: "Winter"}
			}
			b.ResetTimer()
			for b.Loop() {
				if err := s.Events().Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
		})
	}
}
