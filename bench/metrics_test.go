package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// BenchmarkOutboxDepths times the statement every scrape of /metrics
// runs, the count of the outbox's queue (store.Outbox.Depths), over an
// outbox of FANFARE_BENCH_OUTBOX messages (default 1 000 000), 1 % of
// them queued and the rest sent, on each store.
func BenchmarkOutboxDepths(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("FANFARE_BENCH_OUTBOX")); err == nil && v > 0 {
		n = v
	}
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := storetest.Open(b, backend)
			// One statement writes them all; the numbers come from the
			// range both stores have (generate_series).
			if _, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, recipient, status, created_at)
				SELECT 'm' || CAST(i AS VARCHAR), 1, 'mail', 'email', '{}', CASE WHEN i % 100 = 0 THEN 'pending' ELSE 'sent' END, now()
				FROM generate_series(1, $1) AS g(i)`, n); err != nil {
				b.Fatal(err)
			}
			if backend == "postgres" {
				if _, err := storetest.DB(s).Exec(`ANALYZE ff_outbox`); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			var got []store.OutboxDepth
			b.ResetTimer()
			for b.Loop() {
				var err error
				if got, err = s.Outbox().Depths(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if len(got) != 1 || got[0].Messages != int64(n/100) {
				b.Fatalf("depths = %v, want %d pending", got, n/100)
			}
		})
	}
}
