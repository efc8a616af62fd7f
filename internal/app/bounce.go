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
	"github.com/fanfare-dev/fanfare/internal/service"
)

// bounceFlags configure VERP and the bounce receiver (docs/tracking.md).
type bounceFlags struct {
	BounceAddress string `name:"bounce-address" env:"FANFARE_BOUNCE_ADDRESS" help:"The bounce address (bounces@bounces.example.com): each email is sent from its own VERP address, bounces+<token>@bounces.example.com, so that its bounces name it. Its domain's MX must point at the bounce receiver (--bounce-listen) or a server relaying to it."`
	BounceListen  string `name:"bounce-listen" env:"FANFARE_BOUNCE_LISTEN" help:"The address the bounce receiver, an SMTP server for the bounce address's domain, listens on (:25, or :2525 behind a relay); none: no receiver."`
	BounceTLSCert string `name:"bounce-tls-cert" env:"FANFARE_BOUNCE_TLS_CERT" type:"existingfile" help:"A certificate (PEM) the bounce receiver offers with STARTTLS, with --bounce-tls-key."`
	BounceTLSKey  string `name:"bounce-tls-key" env:"FANFARE_BOUNCE_TLS_KEY" type:"existingfile" help:"The private key (PEM) of --bounce-tls-cert."`
}

// verp is the VERP of the bounce address, nil without one.
func (f bounceFlags) verp(ring *keyring.Ring) (*delivery.VERP, error) {
	if f.BounceAddress == "" {
		if f.BounceListen != "" {
			return nil, errors.New("--bounce-listen needs --bounce-address: the receiver takes the mail of its domain")
		}
		return nil, nil
	}
	verp, err := delivery.ParseBounceAddress(ring, f.BounceAddress)
	if err != nil {
		return nil, fmt.Errorf("--bounce-address: %w", err)
	}
	return verp, nil
}

// startBounces starts the bounce receiver when one is configured, which
// records what it reads through the service; stop ends it.
func (f bounceFlags) startBounces(svc *service.Local, verp *delivery.VERP, log *slog.Logger) (stop func(), err error) {
	if f.BounceListen == "" || verp == nil {
		return func() {}, nil
	}
	r := &bounce.Receiver{Store: svc.Store(), VERP: verp, Record: svc.EmailFeedback, Log: log}
	if f.BounceTLSCert != "" || f.BounceTLSKey != "" {
		cert, err := tls.LoadX509KeyPair(f.BounceTLSCert, f.BounceTLSKey)
		if err != nil {
			return nil, fmt.Errorf("--bounce-tls-cert, --bounce-tls-key: %w", err)
		}
		r.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", f.BounceListen)
	if err != nil {
		return nil, fmt.Errorf("--bounce-listen %s: %w", f.BounceListen, err)
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
	return func() { cancel(); <-done }, nil
}
