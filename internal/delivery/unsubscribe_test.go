package delivery_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// unsubscribeOf is a link's content with values easy to look for: a
// profile key holding an address, and a message id.
var unsubscribeOf = delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"email":"ann.secret@example.com"}`, Channel: "email",
	MessageID: `41:welcome_mail:{"email":"ann.secret@example.com"}`}

// TestUnsubscribeLinksRevealNothing checks that neither a link nor its
// decoded payload shows the profile key, address or message id.
func TestUnsubscribeLinksRevealNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		links := delivery.NewLinks(keyring.New(s))
		tok, err := links.Token(ctx, unsubscribeOf)
		if err != nil {
			t.Fatal(err)
		}
		kid, body, _ := strings.Cut(tok, ".")
		decoded, _ := base64.RawURLEncoding.DecodeString(body)
		for _, secret := range []string{"ann.secret", "example.com", "customer", "email", "welcome_mail", "41:", `"k"`, `"m"`} {
			if strings.Contains(tok, secret) || strings.Contains(string(decoded), secret) {
				t.Errorf("the link shows %q: %s", secret, tok)
			}
		}
		if cur, _ := links.Ring.Current(ctx); kid != cur.ID {
			t.Errorf("key id %q, want the current key %s", kid, cur.ID)
		}
		got, err := links.Parse(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if got.ProfileKey != unsubscribeOf.ProfileKey || got.MessageID != unsubscribeOf.MessageID || got.Dimension != "customers" || got.Channel != "email" ||
			time.Since(got.SentAt) > time.Minute {
			t.Errorf("parsed %+v", got)
		}
		// Two links of one message differ (a fresh nonce each).
		if again, _ := links.Token(ctx, unsubscribeOf); again == tok {
			t.Error("two links are the same")
		}
	})
}

// legacyToken makes a link as Fanfare did before the keyring: readable
// JSON signed by HMAC-SHA256 with the configured secret.
func legacyToken(secret []byte, u delivery.Unsubscribe) string {
	payload, _ := json.Marshal(u)
	body := base64.RawURLEncoding.EncodeToString(payload)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("fanfare-unsubscribe\x00"))
	m.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestUnsubscribeLinksKeys checks tampering, rotation, retirement and the
// links of an earlier version.
func TestUnsubscribeLinksKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ring := keyring.New(s)
		links := delivery.NewLinks(ring)
		old, _ := links.Token(ctx, unsubscribeOf)
		k1, _ := ring.Current(ctx)
		kid, body, _ := strings.Cut(old, ".")
		flip := []byte(body)
		flip[len(flip)/2] ^= 1
		other, _ := links.Token(ctx, delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"email":"bob@example.com"}`, Channel: "email", MessageID: "m"})
		_, otherBody, _ := strings.Cut(other, ".")
		for name, bad := range map[string]string{
			"a bit flipped":            kid + "." + string(flip),
			"truncated":                old[:len(old)-4],
			"no payload":               kid + ".",
			"no key id":                body,
			"empty":                    "",
			"unknown key id":           "k00000000." + body,
			"another link's payload":   kid + "." + otherBody[:len(otherBody)-2] + body[len(body)-2:],
			"an unsigned legacy link":  base64.RawURLEncoding.EncodeToString([]byte(`{"d":"customers","k":"{}","c":"email"}`)) + ".c2ln",
			"a legacy link, no secret": legacyToken([]byte("never imported"), unsubscribeOf),
		} {
			if _, err := links.Parse(ctx, bad); !errors.Is(err, delivery.ErrBadLink) {
				t.Errorf("%s: err = %v, want ErrBadLink", name, err)
			}
		}

		// After a rotation, new links use the new key and old ones work.
		k2, err := ring.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := links.Token(ctx, unsubscribeOf)
		if !strings.HasPrefix(fresh, k2.ID+".") {
			t.Errorf("a new link after rotation: %s, want key %s", fresh, k2.ID)
		}
		if _, err := links.Parse(ctx, old); err != nil {
			t.Errorf("a link of the previous key after rotation: %v", err)
		}
		// Retired, its links are refused; the new key's still work.
		if err := ring.Retire(ctx, k1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := links.Parse(ctx, old); !errors.Is(err, delivery.ErrBadLink) {
			t.Errorf("a link of a retired key: %v, want ErrBadLink", err)
		}
		if _, err := links.Parse(ctx, fresh); err != nil {
			t.Errorf("a link of the current key: %v", err)
		}

		// A link of an earlier version works while its imported secret is
		// active, and carries no date.
		secret := []byte("the FANFARE_SECRET of an earlier version")
		legacy := legacyToken(secret, unsubscribeOf)
		lk, err := ring.Import(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if u, err := links.Parse(ctx, legacy); err != nil || u.ProfileKey != unsubscribeOf.ProfileKey || !u.SentAt.IsZero() {
			t.Errorf("legacy link: %+v, %v", u, err)
		}
		if err := ring.Retire(ctx, lk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := links.Parse(ctx, legacy); !errors.Is(err, delivery.ErrBadLink) {
			t.Errorf("legacy link after its key's retirement: %v", err)
		}
	})
}

// TestUnsubscribeReplay checks that a link replayed after the profile
// opted in again does not opt it out again, while a newer link does.
func TestUnsubscribeReplay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		u := unsubscribeOf
		u.SentAt = t0
		status := func() string {
			c, err := delivery.ConsentOf(ctx, s, u.Dimension, u.ProfileKey)
			if err != nil || len(c.Consent) != 1 {
				t.Fatalf("consent %+v, %v", c, err)
			}
			return c.Consent[0].Status
		}
		if ok, err := delivery.RecordUnsubscribe(ctx, s, u, t0.Add(time.Hour)); !ok || err != nil || status() != delivery.OptOut {
			t.Fatalf("first unsubscribe: %v %v %s", ok, err, status())
		}
		// Clicked again: still opted out, nothing changes.
		if ok, err := delivery.RecordUnsubscribe(ctx, s, u, t0.Add(2*time.Hour)); !ok || err != nil {
			t.Fatalf("second click: %v %v", ok, err)
		}
		// The profile opts in again; the old link replayed is ignored.
		if err := delivery.SetConsent(ctx, s, u.Dimension, u.ProfileKey, u.Channel, delivery.OptIn, "api", t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ok, err := delivery.RecordUnsubscribe(ctx, s, u, t0.Add(4*time.Hour)); ok || err != nil || status() != delivery.OptIn {
			t.Errorf("old link replayed after the opt-in: applied %v, %v, consent %s; want ignored", ok, err, status())
		}
		// A message made after the opt-in unsubscribes.
		newer := u
		newer.SentAt = t0.Add(5 * time.Hour)
		if ok, err := delivery.RecordUnsubscribe(ctx, s, newer, t0.Add(6*time.Hour)); !ok || err != nil || status() != delivery.OptOut {
			t.Errorf("newer link: %v %v %s", ok, err, status())
		}
	})
}

// BenchmarkUnsubscribeLink measures making one link, as a send does per
// marketing email.
func BenchmarkUnsubscribeLink(b *testing.B) {
	links := delivery.NewLinks(keyring.New(storetest.Open(b, "duckdb")))
	ctx := context.Background()
	if _, err := links.Token(ctx, unsubscribeOf); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := links.Token(ctx, unsubscribeOf); err != nil {
			b.Fatal(err)
		}
	}
}
