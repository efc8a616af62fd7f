package delivery

// Observer is told what this package settles and records: the messages a
// dispatcher takes to a status (by channel), and the events a Recorder
// writes (by type). Internal/metrics implements it; delivery knows
// nothing of how it is counted, and calls it only after the store took
// the write.
type Observer interface {
	// Settled: n messages of ch were moved to status by a dispatcher
	// (sent, failed, excluded, retry, in_doubt; pending for in-doubt
	// messages a provider said it never had, queued again).
	Settled(ch, status string, n int)
	// Recorded: n events of a type were written (open, click, delivered,
	// bounce_hard, bounce_soft, complaint, unsubscribe).
	Recorded(eventType string, n int)
}

// noObserver is the Observer of a dispatcher or recorder given none.
type noObserver struct{}

func (noObserver) Settled(string, string, int) {}
func (noObserver) Recorded(string, int)        {}

// settled tells the observer of rows moved to status, by channel.
func settled(o Observer, rows []Row, status string) {
	by := map[string]int{}
	for _, r := range rows {
		by[r.Channel]++
	}
	for ch, n := range by {
		o.Settled(ch, status, n)
	}
}
