package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestChannelWritesOneMessagePerAddress checks the outbox a live email
// activity writes: addresses resolved from the targeting dimension, one
// copy per address (case-insensitive), recipients without an address
// excluded with their reason.
func TestChannelWritesOneMessagePerAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		for _, q := range []string{
			`UPDATE customers SET email = 'ANN@example.com' WHERE customer_id = 2`,
			`UPDATE customers SET email = NULL WHERE customer_id = 3`,
		} {
			if _, err := storetest.DB(s).Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		runCompleted(t, eng, sendToAll("mail", "customers", "mail", `{type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello {{ profile.email }}'}`))
		got := outboxLines(t, s, `SELECT message_id, coalesce(address, ''), status, coalesce(reason, '') FROM ff_outbox ORDER BY message_id`)
		want := []string{
			"1 ann@example.com pending ",
			"2 ANN@example.com excluded duplicate_address",
			"3  excluded no_address",
			"4 dee@example.com pending ",
			"5 eve@example.com pending ",
			"6 fay@example.com pending ",
			"7 gus@example.com pending ",
			"8 hal@example.com pending ",
		}
		sameLines(t, "outbox", got, want)
	})
}

// TestContentIsValidatedBeforeARun refuses a campaign whose email content
// names an unknown attribute or has a syntax error, with the activity and
// field.
func TestContentIsValidatedBeforeARun(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	eng := setup(t, s)
	doc := sendToAll("bad-content", "customers", "mail", `{type: email, from: 'Shop <shop@example.com>', subject: 'Hi {{ profile.frist_name }}', html: '<p>{% if %}</p>'}`)
	_, err := eng.Validate(context.Background(), []byte(doc))
	var verr *campaign.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v", err)
	}
	text := err.Error()
	for _, want := range []string{"activities.mail.subject", "frist_name", "activities.mail.html"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q missing from %s", want, text)
		}
	}
	if verr.Problems[0].Activity != "mail" {
		t.Errorf("problem activity = %q", verr.Problems[0].Activity)
	}
}

// TestConfirmSendHoldsMessages: a campaign with policy confirm_send writes
// its messages held; ConfirmSend releases them.
func TestConfirmSendHoldsMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: careful
dimension: customers
policy: {confirm_send: true}
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello'}
transitions:
  - start -> fr
  - fr -> mail
`
		st := runToEnd(t, eng, doc, ModeLive)
		count := func(status string) int {
			var n int
			storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status = $2`, st.Run.ID, status).Scan(&n)
			return n
		}
		if count("held") != 4 || count("pending") != 0 {
			t.Fatalf("before confirm: held %d, pending %d", count("held"), count("pending"))
		}
		n, err := eng.ConfirmSend(context.Background(), st.Run.ID)
		if err != nil || n != 4 || count("pending") != 4 {
			t.Fatalf("confirm = %d, %v; pending %d", n, err, count("pending"))
		}
	})
}

// TestChannelSlicesTextKeys writes the outbox of a dimension keyed by text
// a key at a time: slices are ranges of the key in its own order ("m-10"
// before "m-2"), and a copy to an address in another slice is still a
// copy.
func TestChannelSlicesTextKeys(t *testing.T) {
	t.Parallel()
	const model = `entities:
  members:
    key: member_id
    attributes:
      member_id: string
      email: string
    targeting: {email: email}
`
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		loadModel(t, s, []byte(model), map[string]string{"members": "member_id,email\nm-3,ANN@example.com\nm-2,bob@example.com\nm-10,ann@example.com\n"})
		eng := newEngine(s)
		eng.OutboxSlice = 1
		runCompleted(t, eng, sendToAll("members", "members", "mail", `{type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello'}`))
		got := outboxLines(t, s, `SELECT message_id, status, coalesce(reason, '') FROM ff_outbox ORDER BY seq`)
		want := []string{"m-10 pending ", "m-2 pending ", "m-3 excluded duplicate_address"}
		if !s.Embedded() {
			// PostgreSQL numbers rows as they come (seq only orders the
			// embedded store's outbox).
			slices.Sort(got)
		}
		sameLines(t, "outbox by seq", got, want)
	})
}
