package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// PreviewUnsubscribeURL stands in for the signed unsubscribe link in
// previews and proofs: it names no profile and leads nowhere (.invalid).
const PreviewUnsubscribeURL = "https://unsubscribe.invalid/preview-no-real-link"

// ProofSubjectPrefix starts the subject of every proof email.
const ProofSubjectPrefix = "[Proof] "

// MaxProofAddresses bounds the test addresses of one proof.
const MaxProofAddresses = 50

// Errors of previews and proofs.
var (
	// ErrInvalidKey is a profile key that does not fit the dimension's key.
	ErrInvalidKey = errors.New("invalid profile key")
	// ErrNoProvider is a proof for a channel no provider serves.
	ErrNoProvider = errors.New("no provider for the channel")
)

// PreviewMessage renders a channel activity of a campaign document (doc,
// or when nil the campaign's latest version) for one profile, as its
// message would be sent: with the profile, its linked data and the
// campaign's variables. A preview has no
// run, so enrichment columns ({{ target.… }}) render empty, and the
// unsubscribe link is PreviewUnsubscribeURL. To is the profile's address
// for the channel (its first device for push), empty when it has none.
//
// It returns an error wrapping store.ErrNotFound for an unknown campaign,
// activity or profile, ErrInvalidKey for a key of the wrong shape, a
// *message.ValidationError for invalid content and a *message.RenderError
// when a template fails for this profile.
func PreviewMessage(ctx context.Context, s *store.Store, campaignName, activity string, doc []byte, key []any) (*channel.Message, error) {
	if doc == nil {
		camp, err := s.Campaigns().Get(ctx, campaignName)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("campaign %q: %w", campaignName, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("read campaign %q: %w", campaignName, err)
		}
		doc = []byte(camp.Document)
	}
	d, err := campaign.Parse(doc)
	if err != nil {
		return nil, err
	}
	a := d.Activity(activity)
	if a == nil || (a.Type != channel.Email && a.Type != channel.SMS && a.Type != channel.Push) {
		return nil, fmt.Errorf("campaign %q has no channel activity %q: %w", campaignName, activity, store.ErrNotFound)
	}
	m, _, err := schema.Current(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("read the data model: %w", err)
	}
	// The recipients are the rows reaching the activity, of the dimension
	// validation computes along the graph (the campaign's by default).
	dimName := d.Dimension
	if dd, ok := campaign.Dimensions(d, m, (&audience.Service{Store: s}).Info(ctx))[activity]; ok {
		dimName = dd
	}
	dim := m.Entity(dimName)
	if dim == nil {
		return nil, fmt.Errorf("campaign %q: no dimension for %s (connect it to an audience, or give the campaign a dimension): %w", campaignName, activity, store.ErrNotFound)
	}
	key, err = normalizeKey(dim, key)
	if err != nil {
		return nil, err
	}
	spec, err := contentSpec(a)
	if err != nil {
		return nil, err
	}
	env := message.PreviewEnv(d.Name, d.Variables)
	tmpl, err := message.Compile(m, dim.Name, a.Type, spec, env)
	if err != nil {
		return nil, err
	}
	needs := tmpl.Needs()
	if a.Type == channel.Push && dim.Targeting != nil && dim.Targeting.Push != nil {
		needs = withLink(dim, needs, dim.Targeting.Push.Link)
	}
	ctxs, err := message.NewLoader(s, m, dim.Name, needs).WithEnv(env).Load(ctx, [][]any{key}, nil)
	if err != nil {
		return nil, err
	}
	c, ok := ctxs[message.KeyString(key)]
	if !ok {
		return nil, fmt.Errorf("%s %v: %w", dim.Name, key, message.ErrNoProfile)
	}
	c["unsubscribe_url"] = PreviewUnsubscribeURL
	msg := &channel.Message{ID: "preview", Channel: a.Type}
	msg.To, msg.Platform = address(dim, a.Type, c)
	switch a.Type {
	case channel.Email:
		msg.Email, err = tmpl.RenderEmail(c)
	case channel.SMS:
		msg.SMS, err = tmpl.RenderSMS(c)
	case channel.Push:
		msg.Push, err = tmpl.RenderPush(c)
	}
	if err != nil {
		return nil, err
	}
	return msg, nil
}

// DimensionKey checks key values against a dimension's key and renders
// them as the outbox names the profile, such as {"customer_id":8}: the
// values of integer key attributes may come as JSON numbers or text.
func DimensionKey(dim *datamodel.Entity, values []any) (string, error) {
	key, err := normalizeKey(dim, values)
	if err != nil {
		return "", err
	}
	return ProfileKey(dim.Key, key)
}

// normalizeKey checks a key against the dimension's and converts the
// values of integer key attributes (JSON numbers, command-line text) to
// integers, as the store holds them.
func normalizeKey(dim *datamodel.Entity, key []any) ([]any, error) {
	if len(key) != len(dim.Key) {
		return nil, fmt.Errorf("%w: give one value per key attribute of %s (%s)", ErrInvalidKey, dim.Name, strings.Join(dim.Key, ", "))
	}
	out := make([]any, len(key))
	for i, v := range key {
		out[i] = v
		attr := dim.Attribute(dim.Key[i])
		if attr == nil || attr.Type != datamodel.TypeInteger {
			if n, ok := v.(json.Number); ok {
				out[i] = n.String()
			}
			continue
		}
		text := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			text = strconv.FormatFloat(f, 'f', -1, 64)
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %s must be an integer, not %q", ErrInvalidKey, dim.Key[i], text)
		}
		out[i] = n
	}
	return out, nil
}

// withLink adds a link of the dimension to what the loader reads, so the
// push devices are loaded even when the templates do not read them.
func withLink(dim *datamodel.Entity, n message.Needs, link string) message.Needs {
	l := dim.Link(link)
	if l == nil {
		return n
	}
	if l.Kind != datamodel.OneToMany {
		for _, p := range n.ToOne {
			if p == link {
				return n
			}
		}
		n.ToOne = append(append([]string(nil), n.ToOne...), link)
		return n
	}
	for _, mn := range n.Many {
		if mn.Link == link {
			return n
		}
	}
	n.Many = append(append([]message.ManyNeed(nil), n.Many...), message.ManyNeed{Link: link})
	return n
}

// address reads a profile's address for a channel from the model's
// targeting: an attribute for email and SMS, the first device with a
// token for push.
func address(dim *datamodel.Entity, ch string, c message.Context) (to, platform string) {
	t := dim.Targeting
	profile, _ := c["profile"].(map[string]any)
	if t == nil || profile == nil {
		return "", ""
	}
	text := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	switch ch {
	case channel.Email:
		return text(profile[t.Email]), ""
	case channel.SMS:
		return text(profile[t.SMS]), ""
	case channel.Push:
		if t.Push == nil {
			return "", ""
		}
		var devices []any
		switch v := profile[t.Push.Link].(type) {
		case []any:
			devices = v
		case map[string]any:
			devices = []any{v}
		}
		for _, dv := range devices {
			row, _ := dv.(map[string]any)
			if tok := text(row[t.Push.Token]); tok != "" {
				return tok, text(row[t.Push.Platform])
			}
		}
	}
	return "", ""
}

// SendProof sends a rendered message (from PreviewMessage) to each test
// address through the channel's provider, with ids "proof:<random>" and,
// for email, the subject prefixed with ProofSubjectPrefix. It never
// touches the outbox, consent, suppressions or figures. Every address is
// checked first: one invalid address (an error wrapping
// channel.ErrAddress) sends nothing.
func SendProof(ctx context.Context, providers map[string]channel.Provider, msg *channel.Message, to []string) ([]channel.Result, error) {
	if msg == nil {
		return nil, errors.New("proof: no message")
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("%w: give at least one test address", channel.ErrAddress)
	}
	if len(to) > MaxProofAddresses {
		return nil, fmt.Errorf("%w: at most %d test addresses", channel.ErrAddress, MaxProofAddresses)
	}
	for _, addr := range to {
		if err := channel.CheckAddress(msg.Channel, addr); err != nil {
			return nil, fmt.Errorf("test address %q: %w", addr, err)
		}
	}
	p := providers[msg.Channel]
	if p == nil {
		return nil, fmt.Errorf("%w %s", ErrNoProvider, msg.Channel)
	}
	msgs := make([]*channel.Message, len(to))
	for i, addr := range to {
		id, err := proofID()
		if err != nil {
			return nil, err
		}
		m := *msg
		m.ID, m.To = id, addr
		if msg.Email != nil {
			e := *msg.Email
			e.Subject = ProofSubjectPrefix + e.Subject
			// A proof unsubscribes no one: no List-Unsubscribe header.
			e.UnsubscribeURL = ""
			m.Email = &e
		}
		msgs[i] = &m
	}
	return p.Send(ctx, msgs), nil
}

func proofID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("proof id: %w", err)
	}
	return "proof:" + hex.EncodeToString(b), nil
}
