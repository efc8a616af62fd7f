package service_test

import (
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestConsentOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		set := got(svc.SetConsent(ctx, "customers", []any{1}, channel.Email, delivery.OptOut, "")).must(t)
		if set.Dimension != "customers" || set.ProfileKey == "" || set.Channel != channel.Email || set.Status != delivery.OptOut {
			t.Errorf("set: %+v", set)
		}
		pc := got(svc.Consent(ctx, "customers", []any{1})).must(t)
		// The source defaults to the way the caller came.
		source := map[string]string{"local": "cli", "client": "api"}[im.name]
		if len(pc.Consent) != 1 || pc.Consent[0].Status != delivery.OptOut || pc.Consent[0].Source != source {
			t.Errorf("consent: %+v", pc)
		}
		_, err := svc.SetConsent(ctx, "customers", []any{1}, "fax", delivery.OptOut, "")
		wantIs(t, "an unknown channel", err, channel.ErrChannel)
		_, err = svc.SetConsent(ctx, "customers", []any{1}, channel.Email, "maybe", "")
		wantIs(t, "an unknown status", err, service.ErrBadRequest)
		_, err = svc.Consent(ctx, "customers", []any{1, 2})
		wantIs(t, "a key of two values", err, delivery.ErrInvalidKey)

		imp := got(svc.ImportConsent(ctx, "customers", "crm", strings.NewReader("customer_id,channel,status\n2,email,opt_in\n"))).must(t)
		if imp.Rows != 1 || imp.Accepted != 1 {
			t.Errorf("consent import: %+v", imp)
		}
		_, err = svc.ImportConsent(ctx, "customers", "crm", strings.NewReader("nonesuch\n1\n"))
		wantIs(t, "a consent file that does not read", err, service.ErrBadRequest)
	})
}

func TestSuppressionOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		if err := svc.Suppress(ctx, channel.Email, "a@example.com", ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.Suppress(ctx, channel.Email, "b@example.com", "complaint"); err != nil {
			t.Fatal(err)
		}
		list := got(svc.Suppressions(ctx, channel.Email, "", false, 0)).must(t)
		// The reason defaults to the way the caller came.
		want := map[string]string{"local": "cli", "client": "api"}[im.name]
		if len(list) != 2 || list[0].Reason != want || list[1].Reason != "complaint" {
			t.Errorf("list: %+v", list)
		}
		if one := got(svc.Suppressions(ctx, channel.Email, "b@example.com", true, 0)).must(t); len(one) != 1 {
			t.Errorf("look up: %+v", one)
		}
		if page := got(svc.Suppressions(ctx, channel.Email, "a@example.com", false, 1)).must(t); len(page) != 1 || page[0].Address != "b@example.com" {
			t.Errorf("page after a: %+v", page)
		}
		wantIs(t, "an unknown channel", svc.Suppress(ctx, "fax", "a@example.com", ""), channel.ErrChannel)
		wantIs(t, "a bad address", svc.Suppress(ctx, channel.Email, "not an address", ""), channel.ErrAddress)
		_, err := svc.Suppressions(ctx, channel.Email, "", false, delivery.MaxSuppressionsPage+1)
		wantIs(t, "too many at once", err, service.ErrBadRequest)
		if err := svc.Unsuppress(ctx, channel.Email, "a@example.com"); err != nil {
			t.Fatal(err)
		}
		wantIs(t, "unsuppress twice", svc.Unsuppress(ctx, channel.Email, "a@example.com"), store.ErrNotFound)
	})
}

func TestSandboxMessages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		if _, _, err := svc.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}, To: []string{"qa@example.com"}}); err != nil {
			t.Fatal(err)
		}
		list := got(svc.Messages(ctx, 0, 0)).must(t)
		if len(list) != 1 || list[0].Address != "qa@example.com" {
			t.Fatalf("messages: %+v", list)
		}
		if m := got(svc.Message(ctx, list[0].ID)).must(t); m.ID != list[0].ID || len(m.Content) == 0 {
			t.Errorf("message: %+v", m)
		}
		if html := got(svc.MessageHTML(ctx, list[0].ID)).must(t); !strings.HasPrefix(html, "<p>Hello</p>") {
			t.Errorf("message HTML: %q", html)
		}
		_, err := svc.Message(ctx, "nonesuch")
		wantIs(t, "an unknown message", err, store.ErrNotFound)
		_, err = svc.MessageHTML(ctx, "nonesuch")
		wantIs(t, "the HTML of an unknown message", err, store.ErrNotFound)
		_, err = svc.Messages(ctx, 0, delivery.MaxMessagesPage+1)
		wantIs(t, "too many at once", err, store.ErrLimit)
	})
}
