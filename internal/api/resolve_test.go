package api_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const mailDoc = `name: hello
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello'}
transitions:
  - start -> all
  - all -> mail
`

// TestResolveOverHTTP: the client resolves a run's in-doubt messages
// through the API, which records the token as the actor; the figures show
// in-doubt messages apart from failures, then the decision; an unknown
// run is 404, a bad decision 400, nothing left in doubt 409.
func TestResolveOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		srv := setup(t, s)
		call(t, srv, "POST", "/api/model", shopModel, true)
		upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,FR\n")
		c := client.New(srv.URL, token)
		if _, err := c.CampaignSave(ctx, []byte(mailDoc)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CampaignPublish(ctx, "hello"); err != nil {
			t.Fatal(err)
		}
		run, err := c.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeLive})
		if err != nil {
			t.Fatal(err)
		}
		eng := engine.New(engine.Config{Store: s})
		eng.Poll = 10 * time.Millisecond
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go eng.Run(wctx)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			st, err := c.RunStatus(ctx, run.ID)
			if err == nil && st.Run.Status == engine.RunCompleted {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run: %+v, %v", st, err)
			}
		}
		// A dispatcher died handing both messages over (see Recover).
		if _, err := storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'in_doubt', reason = $2 WHERE run_id = $1`, run.ID, delivery.ReasonDispatcherDied); err != nil {
			t.Fatal(err)
		}
		figs, err := c.RunFigures(ctx, run.ID)
		if err != nil || len(figs) != 1 || figs[0].InDoubt != 2 || figs[0].Doubts[delivery.ReasonDispatcherDied] != 2 || figs[0].Failed != 0 || len(figs[0].Failures) != 0 {
			t.Fatalf("figures before: %+v, %v", figs, err)
		}
		var apiErr *client.APIError
		if _, err := c.RunResolve(ctx, 999, engine.ResolveRequest{Decision: engine.Drop}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown run: %v", err)
		}
		if code, out := call(t, srv, "POST", "/api/runs/999/resolve", `{"decision": "drop"}`, true); code != http.StatusNotFound {
			t.Fatalf("unknown run over HTTP: %d %v", code, out)
		}
		if _, err := c.RunResolve(ctx, run.ID, engine.ResolveRequest{Decision: "both"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
			t.Fatalf("bad decision: %v", err)
		}
		if code, _ := call(t, srv, "POST", "/api/runs/"+strconv.FormatInt(run.ID, 10)+"/resolve", `{"decision": "drop", "activty": "mail"}`, true); code != http.StatusBadRequest {
			t.Fatalf("a misspelt field: %d", code)
		}
		res, err := c.RunResolve(ctx, run.ID, engine.ResolveRequest{Decision: engine.Drop, Activity: "mail"})
		if err != nil || res.Messages != 2 || res.ByActivity["mail"] != 2 || res.Actor != audit.Token("configured") || res.DecidedAt.IsZero() {
			t.Fatalf("drop: %+v, %v", res, err)
		}
		figs, err = c.RunFigures(ctx, run.ID)
		if err != nil || figs[0].Dropped != 2 || figs[0].InDoubt != 0 || len(figs[0].Resolutions) != 1 || figs[0].Resolutions[0].Actor.String() != "token:configured" {
			t.Fatalf("figures after: %+v, %v", figs, err)
		}
		if _, err := c.RunResolve(ctx, run.ID, engine.ResolveRequest{Decision: engine.Resend}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
			t.Fatalf("nothing in doubt: %v", err)
		}
	})
}
