package app

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// The store-side campaign calls.

func (l *local) CampaignSave(ctx context.Context, doc []byte) (*engine.Campaign, error) {
	return l.eng.Save(ctx, doc)
}

func (l *local) CampaignValidate(ctx context.Context, doc []byte) (*engine.Validation, error) {
	return l.eng.Check(ctx, doc)
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

// Work runs the engine in this process until the run stops running, and
// its dispatcher (to the sandbox) until the run's messages are out.
func (l *local) Work(ctx context.Context, id int64) (*engine.RunStatus, error) {
	disp, err := l.dispatcher()
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = l.eng.Run(wctx); done <- struct{}{} }()
	go func() { _ = disp.Run(wctx, 50*time.Millisecond); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	st, err := waitRun(ctx, l.RunStatus, id)
	if err != nil {
		return st, err
	}
	return st, l.waitSent(ctx, id)
}

// noPublicURL is where a local send's unsubscribe links point when no
// public URL is configured: a reserved name (RFC 6761) that never
// resolves, rather than an address some other server may answer.
const noPublicURL = "https://unsubscribe.invalid"

// dispatcher returns a dispatcher through the providers a local start
// uses (the sandbox unless configured otherwise).
func (l *local) dispatcher() (*delivery.Dispatcher, error) {
	var flags deliveryFlags
	providers, err := flags.providers(l.s, l.log)
	if err != nil {
		return nil, err
	}
	return delivery.New(delivery.Config{Store: l.s, Log: l.log, Providers: providers, Owner: l.eng.Queue().Owner,
		Renderer: &delivery.CampaignRenderer{Store: l.s, Links: l.links(), PublicURL: cmp.Or(l.publicURL, noPublicURL), Budget: l.eng.RenderBudget}}), nil
}

// links issues the unsubscribe links of a local send. With no public URL
// configured, the first link issued says so: the send goes on (it goes to
// the sandbox, whose messages show the links' shape), but no recipient
// could follow the links, and only a send with marketing email has any.
func (l *local) links() *delivery.Links {
	links := delivery.NewLinks(keyring.New(l.s))
	if l.publicURL == "" {
		var once sync.Once
		now := links.Now
		links.Now = func() time.Time {
			once.Do(func() {
				l.log.Warn("no public URL is configured (--public-url, FANFARE_PUBLIC_URL): this send's unsubscribe links point at " + noPublicURL + ", which no one can reach; give the address where recipients reach your fanfare server")
			})
			return now()
		}
	}
	return links
}

// waitSent waits until none of the run's messages is due or on its way.
func (l *local) waitSent(ctx context.Context, id int64) error {
	for ctx.Err() == nil {
		var n int
		if err := l.s.DB.QueryRowContext(ctx, `SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status IN ('pending', 'claimed', 'sending')`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			break
		}
		// The count reads the run's outbox (12–25 ms at 1M rows on
		// DuckDB, measured): every 50 ms it took up to half of the store's
		// time from the send.
		time.Sleep(250 * time.Millisecond)
	}
	return nil
}

func (l *local) RunFigures(ctx context.Context, id int64) ([]delivery.Figures, error) {
	return delivery.RunFigures(ctx, l.s, id)
}

func (l *local) ImportConsent(ctx context.Context, dimension, source string, r io.Reader) (*delivery.ConsentImport, error) {
	m, _, err := schema.Current(ctx, l.s)
	if err != nil {
		return nil, err
	}
	return delivery.ImportConsent(ctx, l.s, m, dimension, r, source, time.Now(), l.limits)
}

func (l *local) Consent(ctx context.Context, dimension string, key []any) (*delivery.ProfileConsent, error) {
	pk, err := delivery.ProfileKeyOf(ctx, l.s, dimension, key)
	if err != nil {
		return nil, err
	}
	return delivery.ConsentOf(ctx, l.s, dimension, pk)
}

func (l *local) SetConsent(ctx context.Context, dimension string, key []any, ch, status, source string) error {
	pk, err := delivery.ProfileKeyOf(ctx, l.s, dimension, key)
	if err != nil {
		return err
	}
	return delivery.SetConsent(ctx, l.s, dimension, pk, ch, status, cmp.Or(source, "cli"), time.Now())
}

func (l *local) Suppressions(ctx context.Context, ch, address string, exact bool, limit int) ([]delivery.Suppression, error) {
	return delivery.Suppressions(ctx, l.s, ch, address, exact, limit)
}

func (l *local) Suppress(ctx context.Context, ch, address, reason string) error {
	return delivery.Suppress(ctx, l.s, ch, address, cmp.Or(reason, "cli"), time.Now())
}

func (l *local) Unsuppress(ctx context.Context, ch, address string) error {
	return delivery.Unsuppress(ctx, l.s, ch, address)
}

func (l *local) Messages(ctx context.Context, run int64, limit int) ([]delivery.SandboxMessage, error) {
	return (&delivery.StoreSink{Store: l.s}).List(ctx, run, limit)
}

func (l *local) Message(ctx context.Context, id string) (*delivery.SandboxMessage, error) {
	return (&delivery.StoreSink{Store: l.s}).Get(ctx, id)
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

func (l *local) RunConfirm(ctx context.Context, id int64) (int64, error) {
	return l.eng.ConfirmSend(ctx, id)
}

func (l *local) PreviewMessage(ctx context.Context, name, activity string, key []any) (*channel.Message, error) {
	return delivery.PreviewMessage(ctx, l.s, name, activity, key)
}

// SendProof sends proofs through the providers a local start would use
// (the sandbox unless configured otherwise).
func (l *local) SendProof(ctx context.Context, name, activity string, key []any, to []string) (*channel.Message, []channel.Result, error) {
	msg, err := delivery.PreviewMessage(ctx, l.s, name, activity, key)
	if err != nil {
		return nil, nil, err
	}
	var flags deliveryFlags
	providers, err := flags.providers(l.s, l.log)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		for _, p := range providers {
			_ = p.Close()
		}
	}()
	res, err := delivery.SendProof(ctx, providers, msg, to)
	if err != nil {
		return nil, nil, err
	}
	return msg, res, nil
}
