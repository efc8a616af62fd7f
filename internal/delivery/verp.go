package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrNotVERP is an address that is not a VERP address this Fanfare
// issued: another local part or domain, or a token no active key signed.
var ErrNotVERP = errors.New("not a bounce address of Fanfare's")

// verpPurpose names the keyring's subkey of VERP tokens.
const verpPurpose = "verp-v1"

// VERP issues each email its own envelope sender (variable envelope return
// path): bounces+<token>@bounces.example.com for the bounce address
// bounces@bounces.example.com, so that a bounce, whatever its format,
// names the message it is about by the address it is sent to. The token
// is "<run>.<seq>.<mac>": the run and the message's number in the outbox
// (its seq, which finds it) in base 36, and 10 base-32 digits of an
// HMAC-SHA256 of both under the keyring (a subkey of each key, tried in
// turn), so that nobody can make a bounce for a message they did not
// receive. It is 25 characters or so: a local part may have 64.
type VERP struct {
	Ring *keyring.Ring
	// Local and Domain are the bounce address's parts.
	Local, Domain string

	subkeys sync.Map // key id → its verp-v1 subkey, derived once per key
}

// ParseBounceAddress reads the bounce address (bounces@bounces.example.com)
// whose VERP addresses the messages are sent from.
func ParseBounceAddress(ring *keyring.Ring, s string) (*VERP, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return nil, fmt.Errorf("bounce address %q: want a bare address, such as bounces@bounces.example.com", s)
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	if strings.ContainsAny(local, "+\"") || len(local) > 20 {
		return nil, fmt.Errorf("bounce address %q: its local part must be at most 20 characters, with no + (it is followed by +token)", s)
	}
	return &VERP{Ring: ring, Local: local, Domain: strings.ToLower(domain)}, nil
}

// Address returns the VERP address of a message of a run, by its seq.
func (v *VERP) Address(ctx context.Context, runID, seq int64) (string, error) {
	if seq <= 0 {
		return "", fmt.Errorf("VERP address: message of run %d without a number in the outbox", runID)
	}
	k, err := v.Ring.Current(ctx)
	if err != nil {
		return "", fmt.Errorf("VERP address: %w", err)
	}
	body := strconv.FormatInt(runID, 36) + "." + strconv.FormatInt(seq, 36)
	mac, err := v.mac(k, body)
	if err != nil {
		return "", err
	}
	return v.Local + "+" + body + "." + mac + "@" + v.Domain, nil
}

var verpBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// mac is the MAC of a token's body under key k's subkey.
func (v *VERP) mac(k keyring.Key, body string) (string, error) {
	sub, ok := v.subkeys.Load(k.ID)
	if !ok {
		d, err := k.Derive(verpPurpose, 32)
		if err != nil {
			return "", err
		}
		sub, _ = v.subkeys.LoadOrStore(k.ID, d)
	}
	h := hmac.New(sha256.New, sub.([]byte))
	h.Write([]byte(body))
	return strings.ToLower(verpBase32.EncodeToString(h.Sum(nil)[:6]))[:10], nil
}

// Token returns the token of a VERP address (bounces+<token>@domain),
// ErrNotVERP when the address is not one of this bounce address's (the
// bare bounce address has an empty token). Case does not matter: some
// servers change it.
func (v *VERP) Token(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.EqualFold(addr[at+1:], v.Domain) {
		return "", ErrNotVERP
	}
	local := addr[:at]
	if strings.EqualFold(local, v.Local) {
		return "", nil
	}
	if len(local) <= len(v.Local)+1 || !strings.EqualFold(local[:len(v.Local)+1], v.Local+"+") {
		return "", ErrNotVERP
	}
	return strings.ToLower(local[len(v.Local)+1:]), nil
}

// Check reads a VERP address: its run and message seq, ErrNotVERP for an
// address that is not one or whose MAC no active key made.
func (v *VERP) Check(ctx context.Context, addr string) (runID, seq int64, err error) {
	tok, err := v.Token(addr)
	if err != nil || tok == "" {
		return 0, 0, ErrNotVERP
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[2]) != 10 {
		return 0, 0, ErrNotVERP
	}
	runID, err1 := strconv.ParseInt(parts[0], 36, 64)
	seq, err2 := strconv.ParseInt(parts[1], 36, 64)
	if err1 != nil || err2 != nil || runID <= 0 || seq <= 0 {
		return 0, 0, ErrNotVERP
	}
	keys, err := v.Ring.Active(ctx)
	if err != nil {
		return 0, 0, err
	}
	body := parts[0] + "." + parts[1]
	for _, k := range keys {
		mac, err := v.mac(k, body)
		if err != nil {
			return 0, 0, err
		}
		if hmac.Equal([]byte(mac), []byte(parts[2])) {
			return runID, seq, nil
		}
	}
	return 0, 0, ErrNotVERP
}

// Resolve returns the message a VERP address was issued for: ErrNotVERP
// as Check, store.ErrNotFound when its message is no longer in the outbox.
func (v *VERP) Resolve(ctx context.Context, s *store.Store, addr string) (store.SentMessage, error) {
	runID, seq, err := v.Check(ctx, addr)
	if err != nil {
		return store.SentMessage{}, err
	}
	return s.Outbox().LocateSeq(ctx, channel.Email, runID, seq)
}
