package app

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestBounceFlags: the receiver needs a bounce address, which must be a
// bare address with no + in its local part; the domain is kept in lower
// case.
func TestBounceFlags(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ring, log := keyring.New(s), slog.New(slog.DiscardHandler)
		for _, f := range []bounceFlags{
			{BounceListen: "127.0.0.1:0"},
			{BounceAddress: "Bounces <bounces@bounces.example.com>"},
			{BounceAddress: "bounces+x@bounces.example.com"},
		} {
			if _, _, err := f.startBounces(s, ring, delivery.DefaultSoftBounces, log); err == nil || !strings.Contains(err.Error(), "--bounce-") {
				t.Errorf("%+v: %v; want an error naming the flag", f, err)
			}
		}
		verp, stop, err := bounceFlags{}.startBounces(s, ring, delivery.DefaultSoftBounces, log)
		if err != nil || verp != nil {
			t.Fatalf("no bounce address: %v, %v", verp, err)
		}
		stop()
		f := bounceFlags{BounceAddress: "bounces@Bounces.Example.com", BounceListen: "127.0.0.1:0"}
		verp, stop, err = f.startBounces(s, ring, delivery.DefaultSoftBounces, log)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		if verp.Domain != "bounces.example.com" {
			t.Fatalf("domain %q", verp.Domain)
		}
	})
}
