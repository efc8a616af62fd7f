package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/fanfare-dev/fanfare/internal/bounce"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// bounceFlags configure VERP and the bounce receiver (docs/tracking.md).
type bounceFlags struct {
	BounceAddress string `name:"bounce-address" env:"FANFARE_BOUNCE_ADDRESS" help:"The bounce address (bounces@bounces.example.com): each email is sent from its own VERP address, bounces+<token>@bounces.example.com, so that its bounces name it. Its domain's MX must point at the bounce receiver (--bounce-listen) or a server relaying to it."`
	BounceListen  string `name:"bounce-listen" env:"FANFARE_BOUNCE_LISTEN" help:"The address the bounce receiver, an SMTP server for the bounce address's domain, listens on (:25, or :2525 behind a relay); none: no receiver."`
	BounceTLSCert string `name:"bounce-tls-cert" env:"FANFARE_BOUNCE_TLS_CERT" type:"existingfile" help:"A certificate (PEM) the bounce receiver offers with STARTTLS, with --bounce-tls-key."`
	BounceTLSKey  string `name:"bounce-tls-key" env:"FANFARE_BOUNCE_TLS_KEY" type:"existingfile" help:"The private key (PEM) of --bounce-tls-cert."`
}

// startBounces reads the bounce address, and starts the bounce receiver
// when one is configured (stop ends it); verp is nil without an address.
func (f bounceFlags) startBounces(s *store.Store, ring *keyring.Ring, soft delivery.SoftBouncePolicy, log *slog.Logger) (verp *delivery.VERP, stop func(), err error) {
	if f.BounceAddress == "" {
		if f.BounceListen != "" {
			return nil, nil, errors.New("--bounce-listen needs --bounce-address: the receiver takes the mail of its domain")
		}
		return nil, func() {}, nil
	}
	if verp, err = delivery.ParseBounceAddress(ring, f.BounceAddress); err != nil {
		return nil, nil, fmt.Errorf("--bounce-address: %w", err)
	}
	if f.BounceListen == "" {
		return verp, func() {}, nil
	}
	r := &bounce.Receiver{Store: s, VERP: verp, Soft: soft, Log: log}
	if f.BounceTLSCert != "" || f.BounceTLSKey != "" {
		cert, err := tls.LoadX509KeyPair(f.BounceTLSCert, f.BounceTLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("--bounce-tls-cert, --bounce-tls-key: %w", err)
		}
		r.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", f.BounceListen)
	if err != nil {
		return nil, nil, fmt.Errorf("--bounce-listen %s: %w", f.BounceListen, err)
	}
	log.Info("bounce receiver listening", "addr", ln.Addr().String(), "domain", verp.Domain)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Serve(ctx, ln); err != nil {
			log.Error("bounce receiver", "err", err)
		}
	}()
	return verp, func() { cancel(); <-done }, nil
}
