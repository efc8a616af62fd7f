package bounce_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/bounce"
	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// sample reads a mail of testdata, its placeholders {{VERP:addr}} and
// {{BOUNCES}} replaced by verp(addr) and the bare bounce address.
func sample(t *testing.T, name string, verp func(addr string) string, bare string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`\{\{VERP:([^}]+)\}\}`).ReplaceAllStringFunc(string(b), func(m string) string {
		return verp(m[len("{{VERP:") : len(m)-2])
	})
	return strings.ReplaceAll(s, "{{BOUNCES}}", bare)
}

func fakeVERP(addr string) string {
	return "bounces+tok-" + strings.ReplaceAll(addr, "@", "=") + "@bounces.example.com"
}

// TestParse reads bounce and complaint mails written after RFC 3464 and
// RFC 5965 and the formats of well-known servers (Postfix, Exim, Exchange
// Online, qmail, feedback loops that redact the recipient): each gives
// its kind, hardness, status, recipient and the envelope senders it
// quotes; a delay notice, a "not spam" report and an automatic reply give
// nothing.
func TestParse(t *testing.T) {
	a, c := fakeVERP("a@example.com"), fakeVERP("c@example.com")
	for _, tc := range []struct {
		file string
		want []bounce.Report
	}{
		{"postfix_hard.eml", []bounce.Report{{Kind: delivery.FeedbackBounce, Hard: true, Status: "5.1.1", Recipient: "a@example.com",
			Diagnostic: "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual mailbox table", Senders: []string{a}}}},
		{"exim_soft.eml", []bounce.Report{{Kind: delivery.FeedbackBounce, Status: "4.2.2", Recipient: "c@example.com",
			Diagnostic: "452 4.2.2 The email account that you tried to reach is over quota", Senders: []string{c}}}},
		{"exchange_hard.eml", []bounce.Report{{Kind: delivery.FeedbackBounce, Hard: true, Status: "5.1.10", Recipient: "a@example.com",
			Diagnostic: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient a@example.com not found by SMTP address lookup", Senders: []string{a}}}},
		{"qmail_hard.eml", []bounce.Report{{Kind: delivery.FeedbackBounce, Hard: true, Status: "5.1.1", Diagnostic: "5.1.1 <a@example.com>... User unknown"}}},
		{"arf.eml", []bounce.Report{{Kind: delivery.FeedbackComplaint, Recipient: "c@example.com", Diagnostic: "SomeGenerator/1.0", Senders: []string{c, c}}}},
		{"arf_redacted.eml", []bounce.Report{{Kind: delivery.FeedbackComplaint, Recipient: "redacted@aol.example.net", Diagnostic: "Yahoo!-Mail-Feedback/2.0", Senders: []string{c}}}},
		{"delayed.eml", nil},
		{"not_spam.eml", nil},
		{"out_of_office.eml", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := bounce.Parse(strings.NewReader(sample(t, tc.file, fakeVERP, "bounces@bounces.example.com")))
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i].At = got[i].At.UTC()
				if got[i].At.IsZero() {
					t.Errorf("report %d has no time", i)
				}
			}
			for i := range tc.want {
				if i < len(got) {
					tc.want[i].At = got[i].At
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestParseRefusesWhatIsNoMail: a stream that is no mail is an error.
func TestParseRefusesWhatIsNoMail(t *testing.T) {
	if _, err := bounce.Parse(strings.NewReader("no header here, just text")); err == nil {
		t.Fatal("Parse took text with no header")
	}
}
