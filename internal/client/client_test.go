package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const token = "test-token"

const model = `entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      email: string
      country: string
    targeting:
      email: email
`

const mailCampaign = `name: hello
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'Hello {{ profile.country }}'
    html: '<p>Hello</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
transitions:
  - start -> fr
  - fr -> mail
`

// notProvoked are the kinds of error a client cannot provoke over a real
// server, and why; TestEveryErrorKindDecodes still decodes each.
var notProvoked = map[error]string{
	audience.ErrConcurrentChange: "two saves of one audience racing between its read and its write",
	schema.ErrConcurrentChange:   "two model applies racing between the plan and its transaction",
	context.DeadlineExceeded:     "a query outlasting the server's timeout",
	context.Canceled:             "the client's own request canceled: it never reads the answer",
}

// setup serves the API over a store (with the email sandbox as the
// proofs' provider, and a short grace for slow bodies: short enough for
// the slow client's case, long enough that a loaded machine pausing the
// server between a handler's return and the flush of its buffered answer
// does not cut that answer — at 200 ms one was, under a load average of 25,
// and the client read EOF) and returns a
// client of it, a client of a server without providers, and the id of a
// run of a published campaign.
func setup(t *testing.T, s *store.Store) (*Client, *Client, int64) {
	t.Helper()
	sb, err := delivery.NewSandbox(s, channel.Email)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc := service.New(service.Config{Store: s, Log: log, Providers: map[string]channel.Provider{channel.Email: sb}, Outbound: refusingWebhook(t, s)})
	t.Cleanup(func() { svc.Close() })
	srv := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: svc, Token: token, Log: log, Transfer: api.Transfer{MinRate: 1 << 10, Grace: 2 * time.Second}})))
	t.Cleanup(srv.Close)
	bare := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: service.New(service.Config{Store: s, Log: log}), Token: token, Log: log})))
	t.Cleanup(bare.Close)
	c := New(srv.URL, token)
	ctx := context.Background()
	if _, err := c.ApplyModel(ctx, []byte(model), schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Import(ctx, "customers", "c.csv", strings.NewReader("customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,DE\n"), ingest.Options{MaxErrors: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CampaignSave(ctx, []byte(mailCampaign)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CampaignSave(ctx, []byte(strings.Replace(mailCampaign, "name: hello", "name: draft", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CampaignPublish(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	run, err := c.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AudienceSave(ctx, service.AudienceRequest{Name: "french", Dimension: "customers", Text: `country = "FR"`}); err != nil {
		t.Fatal(err)
	}
	return c, New(bare.URL, token), run.ID
}

// refusingWebhook is an outbound destination, cdp, whose webhook refuses
// every request, with one dead letter kept.
func refusingWebhook(t *testing.T, s *store.Store) *outbound.Set {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }))
	t.Cleanup(hook.Close)
	c := &outbound.Config{Destinations: []outbound.Destination{{Name: "cdp", Kind: "webhook", URL: hook.URL, Secret: "a secret of 16+ chars", Attempts: 1}}}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	dl := store.DeadLetter{Destination: "cdp", Kind: outbound.KindEvents, FirstSeq: 1, LastSeq: 1, Items: 1, Body: "{}\n", Attempts: 1, Error: "503", CreatedAt: time.Now()}
	if _, err := s.Outbound().AddDeadLetter(context.Background(), dl); err != nil {
		t.Fatal(err)
	}
	return outbound.New(s, c, outbound.Options{})
}

// TestErrorsSurviveTheRoundTrip provokes each domain error the API maps
// to an answer, through the client over a real server on each store: the
// client's error matches the domain's (errors.Is, or errors.As for the
// errors that list problems), as it does without a server.
func TestErrorsSurviveTheRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c, bare, run := setup(t, s)
		ctx := context.Background()
		for _, tc := range roundTripCases(ctx, c, bare, run) {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call()
				switch {
				case err == nil:
					t.Fatal("no error")
				case tc.is != nil && !errors.Is(err, tc.is):
					t.Fatalf("%T %v: does not match %q", err, err, tc.is)
				case tc.as != nil && !errors.As(err, tc.as):
					t.Fatalf("%T %v: not a %T", err, err, tc.as)
				}
			})
		}
	})
}

// TestEveryErrorKindDecodes: every kind of error the API answers with a
// code of its own is either provoked by TestErrorsSurviveTheRoundTrip or
// listed in notProvoked, and its answer decodes to it.
func TestEveryErrorKindDecodes(t *testing.T) {
	for _, k := range api.ErrorKinds() {
		t.Run(k.Code+"/"+k.Reason, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(k.Status)
				fmt.Fprintf(w, `{"error": {"code": %q, "reason": %q, "message": "what the server said"}}`, k.Code, k.Reason)
			}))
			defer srv.Close()
			err := New(srv.URL, token).call(context.Background(), http.MethodGet, "/", nil, nil, "", nil)
			var apiErr *APIError
			if !errors.Is(err, k.Err) || !errors.As(err, &apiErr) || apiErr.Status != k.Status || err.Error() != "what the server said" {
				t.Fatalf("%T %v: want %q with status %d", err, err, k.Err, k.Status)
			}
		})
	}
	provoked := provokedKinds()
	for _, k := range api.ErrorKinds() {
		if !provoked[k.Err] && notProvoked[k.Err] == "" {
			t.Errorf("no test provokes %q (%s %s) through the client", k.Err, k.Code, k.Reason)
		}
	}
}

// TestRenderFailureDecodes: a message whose template failed to render
// comes back as the render error, naming its field.
func TestRenderFailureDecodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"error": {"code": "render_failed", "message": "subject: the render took longer than 1s", "details": {"field": "subject"}}}`)
	}))
	defer srv.Close()
	err := New(srv.URL, token).call(context.Background(), http.MethodGet, "/", nil, nil, "", nil)
	var rerr *message.RenderError
	if !errors.As(err, &rerr) || rerr.Field != "subject" || rerr.Error() != "subject: the render took longer than 1s" {
		t.Fatalf("%T %v", err, err)
	}
}

// provokedKinds are the sentinels TestErrorsSurviveTheRoundTrip
// provokes, so that a kind added to the API without a case fails
// TestEveryErrorKindDecodes.
func provokedKinds() map[error]bool {
	out := map[error]bool{}
	for _, tc := range roundTripCases(context.Background(), nil, nil, 0) {
		if tc.is != nil {
			out[tc.is] = true
		}
	}
	return out
}

// roundTripCase provokes one domain error through the client.
type roundTripCase struct {
	name string
	call func() error
	is   error // the sentinel errors.Is finds
	as   any   // else the type errors.As finds
}

// roundTripCases are the errors TestErrorsSurviveTheRoundTrip provokes
// through c (and bare, a server without providers) over the run.
func roundTripCases(ctx context.Context, c, bare *Client, run int64) []roundTripCase {
	var (
		verr *datamodel.ValidationError
		cerr *campaign.ValidationError
		qerr *audience.ValidationError
		derr *schema.DestructiveError
		mbe  *http.MaxBytesError
	)
	return []roundTripCase{
		{name: "not found", is: store.ErrNotFound, call: func() error { _, err := c.RunStatus(ctx, 999); return err }},
		{name: "audience exists", is: audience.ErrExists, call: func() error {
			_, err := c.AudienceSave(ctx, service.AudienceRequest{Name: "french", Dimension: "customers", Text: `country = "FR"`})
			return err
		}},
		{name: "current version", is: audience.ErrCurrentVersion, call: func() error {
			return c.call(ctx, http.MethodDelete, "/api/audiences/french/versions/1", nil, nil, "", nil)
		}},
		{name: "run state", is: engine.ErrRunState, call: func() error { _, err := c.RunAction(ctx, run, "resume"); return err }},
		{name: "not published", is: engine.ErrNotPublished, call: func() error {
			_, err := c.RunStart(ctx, "draft", engine.RunOptions{Mode: engine.ModeLive})
			return err
		}},
		{name: "archived", is: engine.ErrArchived, call: func() error {
			if _, err := c.CampaignDuplicate(ctx, "draft", "shelved"); err != nil {
				return err
			}
			if _, err := c.CampaignArchive(ctx, "shelved"); err != nil {
				return err
			}
			_, err := c.RunStart(ctx, "shelved", engine.RunOptions{Mode: engine.ModeSimulate})
			return err
		}},
		{name: "has runs", is: engine.ErrHasRuns, call: func() error { return c.CampaignDelete(ctx, "hello") }},
		{name: "decision", is: engine.ErrDecision, call: func() error {
			_, err := c.RunResolve(ctx, run, engine.ResolveRequest{Decision: "both"})
			return err
		}},
		{name: "token name", is: keyring.ErrTokenName, call: func() error { _, err := c.CreateToken(ctx, "no spaces"); return err }},
		{name: "token exists", is: keyring.ErrTokenExists, call: func() error {
			if _, err := c.CreateToken(ctx, "ci"); err != nil {
				return err
			}
			_, err := c.CreateToken(ctx, "ci")
			return err
		}},
		{name: "current key", is: keyring.ErrCurrentKey, call: func() error {
			keys, err := c.RotateKey(ctx)
			if err != nil {
				return err
			}
			_, err = c.RetireKey(ctx, keys.Current)
			return err
		}},
		{name: "invalid audience request", is: audience.ErrInvalidRequest, call: func() error {
			_, err := c.AudienceCount(ctx, service.AudienceRequest{Dimension: "customers", Text: "all", Breakdown: "country", Top: 1 << 20})
			return err
		}},
		{name: "limit", is: store.ErrLimit, call: func() error { _, _, err := c.RunPreview(ctx, run, "fr", "out", 1<<20); return err }},
		{name: "bad request", is: service.ErrBadRequest, call: func() error {
			return c.call(ctx, http.MethodGet, "/api/runs/first", nil, nil, "", nil)
		}},
		{name: "invalid key", is: delivery.ErrInvalidKey, call: func() error {
			_, err := c.PreviewMessage(ctx, "hello", "mail", service.PreviewRequest{Key: []any{1, 2}})
			return err
		}},
		{name: "invalid address", is: channel.ErrAddress, call: func() error {
			_, _, err := c.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}, To: []string{"not an address"}})
			return err
		}},
		{name: "stale draft", is: engine.ErrStaleDraft, call: func() error {
			if _, err := c.CampaignDraftPut(ctx, "hello", service.DraftRequest{Document: "x"}); err != nil {
				return err
			}
			_, err := c.CampaignDraftPut(ctx, "hello", service.DraftRequest{Document: "y"})
			return err
		}},
		{name: "invalid name", is: engine.ErrInvalidName, call: func() error {
			_, err := c.CampaignDraftPut(ctx, "no good", service.DraftRequest{Document: "x"})
			return err
		}},
		{name: "invalid draft", is: engine.ErrInvalidDraft, call: func() error {
			_, err := c.CampaignDraftPut(ctx, "big", service.DraftRequest{Document: strings.Repeat("#", campaign.MaxDocumentSize+1)})
			return err
		}},
		{name: "unknown channel", is: channel.ErrChannel, call: func() error { return c.Suppress(ctx, "fax", "a@example.com", "") }},
		{name: "no provider", is: delivery.ErrNoProvider, call: func() error {
			_, _, err := bare.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}, To: []string{"qa@example.com"}})
			return err
		}},
		{name: "unknown destination", is: outbound.ErrUnknownDestination, call: func() error {
			_, err := c.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "nowhere"})
			return err
		}},
		{name: "unknown dead letter", is: outbound.ErrUnknownDeadLetter, call: func() error { _, err := c.DeadLetter(ctx, 999); return err }},
		{name: "delivery failed", is: outbound.ErrDeliveryFailed, call: func() error {
			dls, err := c.DeadLetters(ctx, outbound.Filter{Destination: "cdp"})
			if err != nil || len(dls) == 0 {
				return err
			}
			_, err = c.DeadLetterRedeliver(ctx, dls[0].ID)
			return err
		}},
		{name: "no outbound", is: outbound.ErrNotConfigured, call: func() error { _, err := bare.OutboundDestinations(ctx); return err }},
		{name: "slow client", is: api.ErrSlowClient, call: func() error {
			_, err := c.Import(ctx, "customers", "slow.csv", &trickle{}, ingest.Options{MaxErrors: -1})
			return err
		}},
		{name: "too large", as: &mbe, call: func() error { return c.Suppress(ctx, "email", strings.Repeat("a", 70<<10), "") }},
		{name: "invalid model", as: &verr, call: func() error {
			_, err := c.ValidateModel(ctx, []byte("entities:\n  c:\n    key: id\n    attributes:\n      id: strng\n"))
			return err
		}},
		{name: "invalid campaign", as: &cerr, call: func() error {
			_, err := c.CampaignSave(ctx, []byte(strings.Replace(mailCampaign, "activities:", "activities: [", 1)))
			return err
		}},
		{name: "invalid query", as: &qerr, call: func() error {
			_, err := c.AudienceCount(ctx, service.AudienceRequest{Dimension: "customers", Text: "nonesuch = 1"})
			return err
		}},
		{name: "destructive change", as: &derr, call: func() error {
			_, err := c.ApplyModel(ctx, []byte(strings.Replace(model, "      country: string\n", "", 1)), schema.ApplyOptions{})
			return err
		}},
	}
}

// trickle is an upload body on a link far below the server's minimum
// rate: a byte every 20 ms, without end.
type trickle struct{}

func (trickle) Read(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond) // the slow link itself, not a wait for work
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = '1'
	return 1, nil
}
