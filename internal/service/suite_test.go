package service_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// The operation suite: every test runs its operations against both
// implementations of service.Service — Local in this process, and the
// API client over a real HTTP server (internal/api) — each on both
// stores, so the two paths cannot drift; a domain error must come out of
// both (errors.Is or errors.As on the client's side of the wire too).

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

const customers = "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,DE\n3,c@example.com,FR\n"

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

// impl is one implementation under test on its own store: svc sends
// proofs through the email sandbox, bare has no providers.
type impl struct {
	name      string
	svc, bare service.Service
	store     *store.Store
	// ctx is the caller's: the person running a command for Local (the
	// API client's token names it on the server).
	ctx context.Context
}

// each runs fn against both implementations on both stores, in parallel
// subtests; it must be the test's last statement.
func each(t *testing.T, fn func(t *testing.T, im impl)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		backend := s.Dialect.Name()
		t.Run("local", func(t *testing.T) {
			t.Parallel()
			fn(t, localImpl(t, s))
		})
		t.Run("client", func(t *testing.T) {
			t.Parallel()
			fn(t, clientImpl(t, storetest.Open(t, backend)))
		})
	})
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// sandbox returns the email sandbox as the providers of proofs.
func sandbox(t *testing.T, s *store.Store) map[string]channel.Provider {
	t.Helper()
	sb, err := delivery.NewSandbox(s, channel.Email)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]channel.Provider{channel.Email: sb}
}

func localImpl(t *testing.T, s *store.Store) impl {
	svc := service.New(service.Config{Store: s, Log: quiet(), Providers: sandbox(t, s)})
	bare := service.New(service.Config{Store: s, Log: quiet()})
	t.Cleanup(func() { svc.Close(); bare.Close() })
	return impl{name: "local", svc: svc, bare: bare, store: s, ctx: audit.WithActor(context.Background(), audit.CLI())}
}

// clientImpl serves the API on the store; the contract's check of each
// response against openapi.json wraps this handler.
func clientImpl(t *testing.T, s *store.Store) impl {
	svc := service.New(service.Config{Store: s, Log: quiet(), Providers: sandbox(t, s)})
	t.Cleanup(func() { svc.Close() })
	srv := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: svc, Token: token, Log: quiet()})))
	t.Cleanup(srv.Close)
	bareSvc := service.New(service.Config{Store: s, Log: quiet()})
	t.Cleanup(func() { bareSvc.Close() })
	bare := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: bareSvc, Token: token, Log: quiet()})))
	t.Cleanup(bare.Close)
	return impl{name: "client", svc: client.New(srv.URL, token), bare: client.New(bare.URL, token), store: s, ctx: context.Background()}
}

// fixture applies the model, imports the customers and saves the
// campaign (published) through the implementation itself.
func fixture(t *testing.T, im impl) {
	t.Helper()
	ctx := im.ctx
	if _, err := im.svc.ApplyModel(ctx, []byte(model), schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.svc.Import(ctx, "customers", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.svc.CampaignSave(ctx, []byte(mailCampaign)); err != nil {
		t.Fatal(err)
	}
	if _, err := im.svc.CampaignPublish(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
}

// startRun starts a live run of the published campaign: nothing works it
// (no engine workers run in the suite), so it stays running.
func startRun(t *testing.T, im impl) int64 {
	t.Helper()
	run, err := im.svc.RunStart(im.ctx, "hello", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// result is an operation's answer; got(op(…)).must(t) is its value, the
// test failing on its error.
type result[T any] struct {
	v   T
	err error
}

func got[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%T %v", r.err, r.err)
	}
	return r.v
}

// wantIs checks that err matches the domain error want.
func wantIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: %T %v: want %q", what, err, err, want)
	}
}

// wantAs checks that err is of the domain error type of target.
func wantAs(t *testing.T, what string, err error, target any) {
	t.Helper()
	if err == nil || !errors.As(err, target) {
		t.Errorf("%s: %T %v: want a %T", what, err, err, target)
	}
}
