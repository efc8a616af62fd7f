package delivery

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

func TestLinkRewriter(t *testing.T) {
	var minted []string
	w := &linkRewriter{
		utm:  map[string]string{"source": "fanfare", "campaign": "spring sale"},
		keep: func(href string) bool { return strings.HasPrefix(href, "https://f.example/u/") },
		mint: func(link int, dest, label string) (string, error) {
			minted = append(minted, strconv.Itoa(link)+" "+dest+" "+label)
			return "https://f.example/t/c/" + strconv.Itoa(link), nil
		},
	}
	src := `<!doctype html><html><body><p class=x>Hi &amp; welcome</p>` +
		`<a href="https://shop.example/a?x=1&amp;y=2" data-label="offer" style="color:red">Offer</a> ` +
		`<A HREF='https://shop.example/b?utm_source=mail'>B</A> ` +
		`<a href="https://shop.example/a?x=1&amp;y=2">again</a> ` +
		`<a href="mailto:care@shop.example">mail</a> <a href="#top">top</a> ` +
		`<a data-track="false" href="https://shop.example/private">private</a> ` +
		`<a href="https://f.example/u/tok">Unsubscribe</a><img src="x.png"></body></html>`
	got, err := w.html(src)
	if err != nil {
		t.Fatal(err)
	}
	want := `<!doctype html><html><body><p class=x>Hi &amp; welcome</p>` +
		`<a href="https://f.example/t/c/1" style="color:red">Offer</a> ` +
		`<a href="https://f.example/t/c/2">B</A> ` +
		`<a href="https://f.example/t/c/1">again</a> ` +
		`<a href="mailto:care@shop.example">mail</a> <a href="#top">top</a> ` +
		`<a href="https://shop.example/private">private</a> ` +
		`<a href="https://f.example/u/tok">Unsubscribe</a><img src="x.png"></body></html>`
	if got != want {
		t.Errorf("html:\n got %s\nwant %s", got, want)
	}
	text, err := w.text("Offer: https://shop.example/a?x=1&y=2. New: https://shop.example/c, (see https://shop.example/b?utm_source=mail) bye https://f.example/u/tok")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Offer: https://f.example/t/c/1. New: https://f.example/t/c/3, (see https://f.example/t/c/2) bye https://f.example/u/tok"; text != want {
		t.Errorf("text:\n got %s\nwant %s", text, want)
	}
	wantMinted := []string{
		"1 https://shop.example/a?x=1&y=2&utm_campaign=spring+sale&utm_source=fanfare offer",
		"2 https://shop.example/b?utm_source=mail&utm_campaign=spring+sale ",
		"3 https://shop.example/c?utm_campaign=spring+sale&utm_source=fanfare ",
	}
	if strings.Join(minted, "\n") != strings.Join(wantMinted, "\n") {
		t.Errorf("minted:\n%s\nwant\n%s", strings.Join(minted, "\n"), strings.Join(wantMinted, "\n"))
	}
	if got := withPixel("<html><body>x</BODY></html>", "https://f.example/t/o/a&b"); got != `<html><body>x<img src="https://f.example/t/o/a&amp;b" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0"></BODY></html>` {
		t.Errorf("pixel: %s", got)
	}
	// A comment is copied as it is; an <abbr> or <area> is no link; a '>'
	// inside a quoted value does not end the tag.
	c, err := w.html(`<!-- <a href="https://shop.example/x"> --><abbr title="a">x</abbr><a title="1 > 0" href="https://shop.example/c">c</a>`)
	if err != nil || c != `<!-- <a href="https://shop.example/x"> --><abbr title="a">x</abbr><a title="1 &gt; 0" href="https://f.example/t/c/3">c</a>` {
		t.Errorf("comments and other tags: %q, %v", c, err)
	}
	// Characters whose lower case is of another length (the Kelvin sign,
	// bytes that are not UTF-8) before the end of the body.
	for _, before := range []string{"\u212a\u212a\u212a", "\xff\xfe", "\u0130"} {
		doc := "<body>" + before + "</body><p>after</p>"
		if got := withPixel(doc, "p"); got != "<body>"+before+`<img src="p" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0"></body><p>after</p>` {
			t.Errorf("pixel after %q: %q", before, got)
		}
	}
	if got := withPixel("no body </bod", "p"); !strings.HasPrefix(got, "no body </bod<img") {
		t.Errorf("pixel without a body: %q", got)
	}
}

// TestReachable: links are rewritten only to a public URL recipients can
// reach — not the reserved name given when none is configured, nor a
// loopback address (a server run without --public-url gives its own).
func TestReachable(t *testing.T) {
	for u, want := range map[string]bool{
		"https://fanfare.example.com": true, "http://203.0.113.5:8080": true,
		"https://unsubscribe.invalid": false, "http://127.0.0.1:8080": false, "http://[::1]:8080": false,
		"http://localhost:8080": false, "http://app.localhost": false, "": false, "::bad": false,
	} {
		if got := reachable(u); got != want {
			t.Errorf("reachable(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestMachines(t *testing.T) {
	m := DefaultMachines()
	sent := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	later := sent.Add(time.Hour)
	person := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
	for _, tc := range []struct {
		name string
		hit  Hit
		want string
	}{
		{"a person", Hit{At: later, Method: "GET", IP: netip.MustParseAddr("203.0.113.9"), UserAgent: person}, ""},
		{"Apple's proxy by address", Hit{At: later, Method: "GET", IP: netip.MustParseAddr("17.58.1.2"), UserAgent: person}, "apple_mpp"},
		{"Apple's proxy by address, IPv4 in IPv6", Hit{At: later, Method: "GET", IP: netip.MustParseAddr("::ffff:17.58.1.2"), UserAgent: person}, "apple_mpp"},
		{"Apple's proxy by user agent", Hit{At: later, Method: "GET", IP: netip.MustParseAddr("203.0.113.9"), UserAgent: "Mozilla/5.0"}, "apple_mpp"},
		{"a scanner's user agent", Hit{At: later, Method: "GET", UserAgent: "Mozilla/5.0 (compatible; Barracuda Sentinel)"}, "scanner"},
		{"a HEAD request", Hit{At: later, Method: "HEAD", UserAgent: person}, "scanner"},
		{"seconds after the send", Hit{At: sent.Add(3 * time.Second), Method: "GET", UserAgent: person}, "scanner"},
		{"a script", Hit{At: later, Method: "GET", UserAgent: "python-requests/2.31"}, "bot"},
	} {
		// Twice: the second verdict comes from the kept ones.
		for range 2 {
			if got := m.Classify(tc.hit, sent); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	}
	// Past the verdicts kept, each user agent is still judged by the rules.
	for i := range maxVerdicts + 10 {
		ua, want := fmt.Sprintf("Mozilla/5.0 (X11; Linux) Firefox/%d", i), ""
		if i%2 == 1 {
			ua, want = fmt.Sprintf("python-requests/2.%d", i), "bot"
		}
		if got := m.Classify(Hit{At: later, Method: "GET", UserAgent: ua}, sent); got != want {
			t.Fatalf("%s: %q, want %q", ua, got, want)
		}
	}
	if _, err := ParseMachines(strings.NewReader("net 10.0.0.0/33 x\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad network: %v", err)
	}
	if _, err := ParseMachines(strings.NewReader("# c\n\nua (unclosed x\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a bad pattern: %v", err)
	}
}

// BenchmarkTrackHTML measures what tracking adds to each email: its HTML
// read and written again with its links rewritten (a 24 KB body, five
// links, each a sealed token) and the pixel.
func BenchmarkTrackHTML(b *testing.B) {
	body := strings.Repeat(`<p class="x">Some text of the newsletter, <b>bold</b> and plain &amp; more.</p>`, 280)
	for i := range 5 {
		body += `<a href="https://shop.example/p/` + strconv.Itoa(i) + `?a=1&amp;b=2">link</a>`
	}
	doc := "<html><body>" + body + "</body></html>"
	aead, _ := chacha20poly1305.NewX(make([]byte, chacha20poly1305.KeySize))
	seal := func(s string) string {
		nonce := make([]byte, aead.NonceSize())
		return string(aead.Seal(nonce, nonce, []byte(s), nil))
	}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		w := &linkRewriter{keep: func(string) bool { return false }, mint: func(link int, dest, label string) (string, error) {
			return "https://f.example/t/c/" + seal(dest), nil
		}}
		out, err := w.html(doc)
		if err != nil {
			b.Fatal(err)
		}
		_ = withPixel(out, "https://f.example/t/o/"+seal("pixel"))
	}
}

// BenchmarkClassify judges the hits of a campaign's opens: a few hundred
// user agents, seen again and again.
func BenchmarkClassify(b *testing.B) {
	m := DefaultMachines()
	sent := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	hits := make([]Hit, 300)
	for i := range hits {
		hits[i] = Hit{At: sent.Add(time.Hour), Method: "GET", IP: netip.MustParseAddr("203.0.113.9"),
			UserAgent: fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.%d Safari/605.1.15", i)}
	}
	i := 0
	for b.Loop() {
		m.Classify(hits[i%len(hits)], sent)
		i++
	}
}

// textURLReference is the pattern replaceTextURLs scans for by hand.
var textURLReference = regexp.MustCompile(`https?://[^\s<>"'()\[\]{}]+`)

// FuzzTextURLs holds replaceTextURLs to the regular expression it
// replaces: the same URLs, in the same places, the rest of the text as it
// was.
func FuzzTextURLs(f *testing.F) {
	for _, s := range []string{
		"", "no links", "http://", "https://", "http:// x", "https://a", "xhttps://a.b/c?d=1.", "http://a http://b",
		"(https://shop.example/b?x=1) <http://c>", "httphttps://x", "https:/x http:/ https//x", "https://\u00e9t\u00e9.example/\xff\xfe ok",
		"http://a\thttp://b\nhttps://c\fhttp://d\re", "https://a\u00a0b", "hhttp://x", "https://http://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mark := func(m string) string { return "<" + m + ">" }
		if got, want := replaceTextURLs(s, mark), textURLReference.ReplaceAllStringFunc(s, mark); got != want {
			t.Fatalf("replaceTextURLs(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}
