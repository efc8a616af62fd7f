package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
)

// The store-side campaign calls.

func (l *local) CampaignSave(ctx context.Context, doc []byte) (*engine.Campaign, error) {
	return l.eng.Save(ctx, doc)
}

func (l *local) CampaignValidate(ctx context.Context, doc []byte) error {
	_, err := l.eng.Validate(ctx, doc)
	return err
}

func (l *local) CampaignPublish(ctx context.Context, name string) (*engine.Campaign, error) {
	return l.eng.Publish(ctx, name)
}

func (l *local) CampaignDuplicate(ctx context.Context, name, newName string) (*engine.Campaign, error) {
	return l.eng.Duplicate(ctx, name, newName)
}

func (l *local) Campaigns(ctx context.Context) ([]engine.Campaign, error) { return l.eng.List(ctx) }

func (l *local) RunStart(ctx context.Context, name string, opts engine.RunOptions) (*engine.Run, error) {
	return l.eng.Start(ctx, name, opts)
}

func (l *local) Runs(ctx context.Context, name string) ([]engine.Run, error) {
	return l.eng.Runs(ctx, name, 50)
}

func (l *local) RunStatus(ctx context.Context, id int64) (*engine.RunStatus, error) {
	return l.eng.Status(ctx, id)
}

func (l *local) RunAction(ctx context.Context, id int64, action string) (*engine.RunStatus, error) {
	var err error
	switch action {
	case "pause":
		err = l.eng.Pause(ctx, id)
	case "resume":
		err = l.eng.Resume(ctx, id)
	case "stop":
		err = l.eng.Stop(ctx, id)
	default:
		err = fmt.Errorf("unknown run action %q", action)
	}
	if err != nil {
		return nil, err
	}
	return l.eng.Status(ctx, id)
}

func (l *local) RunRetry(ctx context.Context, id int64, activity string) (*engine.RunStatus, error) {
	if err := l.eng.Retry(ctx, id, activity); err != nil {
		return nil, err
	}
	return l.eng.Status(ctx, id)
}

func (l *local) RunPreview(ctx context.Context, id int64, activity, port string, limit int) ([]string, [][]any, error) {
	return l.eng.Preview(ctx, id, activity, port, limit)
}

// Work runs the engine in this process until the run stops running.
func (l *local) Work(ctx context.Context, id int64) (*engine.RunStatus, error) {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = l.eng.Run(wctx); close(done) }()
	defer func() { cancel(); <-done }()
	return waitRun(ctx, l.RunStatus, id)
}

// Work waits for the server to take the run to its end.
func (r remote) Work(ctx context.Context, id int64) (*engine.RunStatus, error) {
	return waitRun(ctx, r.RunStatus, id)
}

// waitRun polls a run until it is no longer running.
func waitRun(ctx context.Context, status func(context.Context, int64) (*engine.RunStatus, error), id int64) (*engine.RunStatus, error) {
	for {
		st, err := status(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.Run.Status != engine.RunRunning {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (l *local) CampaignSchedule(ctx context.Context, name string, n int) ([]time.Time, error) {
	return l.eng.NextOccurrences(ctx, name, n)
}
