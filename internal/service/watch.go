package service

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// RunUpdate is a run as a monitor shows it: its graph with the counts
// recorded so far, and its channel activities' delivery figures. Final is
// set on the last update RunWatch gives: the run has ended and none of its
// messages is left to send, held, paused or in doubt (an operator's
// decision would change the figures).
type RunUpdate struct {
	Status   *engine.RunStatus  `json:"status"`
	Delivery []delivery.Figures `json:"delivery"`
	Final    bool               `json:"final"`
}

// WatchPoll is how often a run watched is read from the store. The store
// is the one source, so what any node records (an activity that ends on
// another node, messages another dispatcher sends) shows the same way.
const WatchPoll = 500 * time.Millisecond

// RunWatch calls fn with the run as it stands, then each time it changes,
// until the update that is final, fn fails, or ctx ends (nil then: the
// watcher went away). However many watch a run on this node — a monitor
// open in many browsers —, the run is read once every WatchPoll (a
// watch of its own), and a watcher slower than that is given the latest
// update, not each one.
func (l *Local) RunWatch(ctx context.Context, id int64, fn func(RunUpdate) error) error {
	w := l.watches.join(l, id)
	defer l.watches.leave(id, w)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.ready:
		}
		u, err := w.take()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := fn(*u); err != nil {
			return err
		}
		if u.Final {
			return nil
		}
	}
}

// watches are the runs watched on this node, each read by one poll.
type watches struct {
	mu    sync.Mutex
	polls map[int64]*runPoll
	// reads counts the reads of runs (tests).
	reads atomic.Int64
}

// runPoll reads one run every WatchPoll for its watchers, until the last
// leaves or the update is final (or a read fails).
type runPoll struct {
	cancel   context.CancelFunc
	watchers map[*watcher]bool
	// last is the latest update (nil before the first read), err a
	// read's failure, both kept for watchers who join later.
	last *RunUpdate
	err  error
}

// watcher is one RunWatch: ready says an update it has not taken waits.
type watcher struct {
	ready chan struct{}
	mu    sync.Mutex
	u     *RunUpdate
	err   error
}

func (w *watcher) give(u *RunUpdate, err error) {
	w.mu.Lock()
	w.u, w.err = u, err
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

func (w *watcher) take() (*RunUpdate, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.u, w.err
}

// join adds a watcher of run id, starting its poll if none runs; the
// watcher gets the latest update at once when there is one.
func (ws *watches) join(l *Local, id int64) *watcher {
	w := &watcher{ready: make(chan struct{}, 1)}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.polls == nil {
		ws.polls = map[int64]*runPoll{}
	}
	p := ws.polls[id]
	if p == nil {
		ctx, cancel := context.WithCancel(context.Background())
		p = &runPoll{cancel: cancel, watchers: map[*watcher]bool{}}
		ws.polls[id] = p
		go ws.poll(ctx, l, id, p)
	} else if p.last != nil || p.err != nil {
		w.give(p.last, p.err)
	}
	p.watchers[w] = true
	return w
}

// leave removes a watcher; the last one stops the poll.
func (ws *watches) leave(id int64, w *watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	p := ws.polls[id]
	if p == nil || !p.watchers[w] {
		return
	}
	delete(p.watchers, w)
	if len(p.watchers) == 0 {
		p.cancel()
		delete(ws.polls, id)
	}
}

// poll reads the run and gives each change to its watchers, until
// cancelled, or after an update that is final or a failed read: those
// stay for watchers who join before the poll is dropped.
func (ws *watches) poll(ctx context.Context, l *Local, id int64, p *runPoll) {
	t := time.NewTicker(WatchPoll)
	defer t.Stop()
	var last []byte
	for {
		ws.reads.Add(1)
		u, err := l.runUpdate(ctx, id)
		if ctx.Err() != nil {
			return
		}
		var b []byte
		if err == nil {
			b, err = json.Marshal(u)
		}
		if err != nil || !bytes.Equal(b, last) {
			ws.mu.Lock()
			p.last, p.err = u, err
			for w := range p.watchers {
				w.give(u, err)
			}
			if err != nil || u.Final {
				// Ended: the next watcher of this run starts a new poll.
				if ws.polls[id] == p {
					delete(ws.polls, id)
				}
				ws.mu.Unlock()
				p.cancel()
				return
			}
			ws.mu.Unlock()
			last = b
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runUpdate reads a run's status and figures.
func (l *Local) runUpdate(ctx context.Context, id int64) (*RunUpdate, error) {
	st, err := l.eng.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	figs, err := delivery.RunFigures(ctx, l.store, id)
	if err != nil {
		return nil, err
	}
	u := &RunUpdate{Status: st, Delivery: figs}
	if figs == nil {
		u.Delivery = []delivery.Figures{}
	}
	switch st.Run.Status {
	case engine.RunRunning, engine.RunPaused, engine.RunWaiting:
	default:
		u.Final = true
		for _, f := range figs {
			if f.Pending+f.Held+f.Paused+f.InDoubt > 0 || len(f.Waiting) > 0 {
				u.Final = false
			}
		}
	}
	return u, nil
}
