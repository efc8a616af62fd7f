package app

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
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
			if _, err := f.verp(ring); err == nil || !strings.Contains(err.Error(), "--bounce-") {
				t.Errorf("%+v: %v; want an error naming the flag", f, err)
			}
		}
		verp, err := bounceFlags{}.verp(ring)
		if err != nil || verp != nil {
			t.Fatalf("no bounce address: %v, %v", verp, err)
		}
		f := bounceFlags{BounceAddress: "bounces@Bounces.Example.com", BounceListen: "127.0.0.1:0"}
		if verp, err = f.verp(ring); err != nil {
			t.Fatal(err)
		}
		stop, err := f.startBounces(service.New(service.Config{Store: s, Log: log}), verp, log)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		if verp.Domain != "bounces.example.com" {
			t.Fatalf("domain %q", verp.Domain)
		}
	})
}
