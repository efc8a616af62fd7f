package delivery

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// trackSamples are tokens' contents the encoding must carry exactly.
var trackSamples = []Track{
	{Kind: "o", MessageID: "9f86d081884c7d659a2feaa0c55ad015", RunID: 7, Activity: "mail_a", Sent: 1733580000123},
	{Kind: "c", MessageID: "9f86d081884c7d659a2feaa0c55ad015", RunID: 1 << 40, Activity: "mail", Link: 3,
		URL: "https://shop.example/winter?utm_source=fanfare&x=ç", Label: "Soldes d'hiver ❄", Sent: 1},
	{Kind: "c", RunID: 1, Activity: "a", Link: 1, URL: "http://a.example/", Sent: 2},                                                          // anonymous
	{Kind: "o", MessageID: "ABCDEF", RunID: 2, Activity: "deadbeef", Sent: 3},                                                                 // upper case: kept as text
	{Kind: "o", MessageID: "abc", RunID: 2, Activity: "0123", URL: "", Label: "00", Sent: 3},                                                  // odd length: text
	{Kind: "c", MessageID: strings.Repeat("ab", 200), RunID: 9, Activity: "x", URL: "https://e.example/" + strings.Repeat("p", 300), Sent: 4}, // lengths past one varint byte
}

func TestTrackCodecRoundTrip(t *testing.T) {
	for _, want := range trackSamples {
		b := want.appendBinary(nil)
		var got Track
		if err := got.decodeBinary(b); err != nil || got != want {
			t.Errorf("%+v came back as %+v, %v", want, got, err)
		}
		// Every truncation, and anything appended, is refused.
		for i := range len(b) {
			var tr Track
			if err := tr.decodeBinary(b[:i]); err == nil {
				t.Errorf("%+v cut to %d of %d bytes decoded: %+v", want, i, len(b), tr)
			}
		}
		var tr Track
		if err := tr.decodeBinary(append(b, 0)); err == nil {
			t.Errorf("%+v with a byte more decoded", want)
		}
	}
}

// A message id in hexadecimal takes half its length in the token.
func TestTrackCodecPacksHexadecimal(t *testing.T) {
	a := Track{Kind: "o", MessageID: strings.Repeat("0f", 16), RunID: 1, Activity: "m", Sent: 1}
	b := a
	b.MessageID = strings.Repeat("0g", 16)
	if la, lb := len(a.appendBinary(nil)), len(b.appendBinary(nil)); lb-la != 16 {
		t.Errorf("a 32-digit hexadecimal id takes %d bytes, 32 letters %d", la, lb)
	}
}

// Tokens of the first version (sealed JSON) still open, and a new token
// is much shorter than one of them.
func TestTrackTokensOfVersion1StillOpen(t *testing.T) {
	ctx := context.Background()
	links := NewLinks(keyring.New(storetest.Open(t, "duckdb")))
	k, err := links.Ring.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range trackSamples {
		old, err := links.seal(k, trackPurposeV1, want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := links.ParseTrack(ctx, old)
		if err != nil || got != want {
			t.Errorf("a version 1 token of %+v opened as %+v, %v", want, got, err)
		}
		tok, err := links.TrackToken(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := links.ParseTrack(ctx, tok); err != nil || got != want {
			t.Errorf("a token of %+v opened as %+v, %v", want, got, err)
		}
		if want.MessageID == trackSamples[0].MessageID && len(tok) > len(old)*2/3 {
			t.Errorf("the new token is %d characters, the old %d", len(tok), len(old))
		}
		// A token of another purpose (an unsubscribe link's subkey)
		// does not open as a tracking token.
		other, err := links.sealBytes(k, linkPurpose, want.appendBinary(nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := links.ParseTrack(ctx, other); !errors.Is(err, ErrBadLink) {
			t.Errorf("a token sealed for unsubscribe links opened as a tracking token: %v", err)
		}
	}
}

// FuzzTrackDecode: any payload either is refused or decodes to a Track
// whose encoding is that payload.
func FuzzTrackDecode(f *testing.F) {
	for _, s := range trackSamples {
		f.Add(s.appendBinary(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tr Track
		if tr.decodeBinary(b) != nil {
			return
		}
		if again := tr.appendBinary(nil); string(again) != string(b) {
			// Varints have one shortest form; others decode too
			// and are re-encoded shorter, which is harmless —
			// but the Track must come back the same.
			var tr2 Track
			if err := tr2.decodeBinary(again); err != nil || tr2 != tr {
				t.Fatalf("%x decoded to %+v, which encodes to %x and decodes to %+v, %v", b, tr, again, tr2, err)
			}
		}
	})
}

// BenchmarkParseTrack opens a click's token, as every tracking hit does:
// the current version's and the first (sealed JSON).
func BenchmarkParseTrack(b *testing.B) {
	ctx := context.Background()
	links := NewLinks(keyring.New(storetest.Open(b, "duckdb")))
	k, err := links.Ring.Current(ctx)
	if err != nil {
		b.Fatal(err)
	}
	click := trackSamples[1]
	click.RunID = 12
	v2, err := links.TrackToken(ctx, click)
	if err != nil {
		b.Fatal(err)
	}
	v1, err := links.seal(k, trackPurposeV1, click)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, token string }{{"v2", v2}, {"v1", v1}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := links.ParseTrack(ctx, c.token); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(c.token)), "chars")
		})
	}
}
