package smtp

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
)

// qpEdgeCases are inputs at the edges of quoted-printable: line lengths
// around the limit, escapes that do not fit, whitespace before a break,
// every kind of line break.
var qpEdgeCases = []string{
	"",
	"=",
	"a=b",
	" ",
	"\t",
	"trailing space ",
	"trailing tab\t",
	"space before break \nnext",
	"tab before break\t\r\nnext",
	"  \n\n  \n",
	"\r",
	"\n",
	"\r\n",
	"\n\r",
	"\r\r\n",
	"a\rb\nc",
	"a\r\xc3\xa9\nb",
	".\n.leading dot\n..",
	strings.Repeat("x", 75) + ".dot after a soft break",
	strings.Repeat("Seasonal offers on shoes, bags and books. ", 9),
	"\x00\x01\x7f\xff",
	"Déjà vu = ok. ",
	strings.Repeat("x", 74),
	strings.Repeat("x", 75),
	strings.Repeat("x", 76),
	strings.Repeat("x", 77),
	strings.Repeat("x", 150) + "\n" + strings.Repeat("y", 151),
	strings.Repeat("x", 72) + "é",
	strings.Repeat("x", 73) + "é",
	strings.Repeat("x", 74) + " ",
	strings.Repeat("x", 74) + " \n",
	strings.Repeat("x", 75) + " ",
	strings.Repeat("x", 73) + "\t\r\n",
	strings.Repeat("=", 100),
	strings.Repeat("é", 100),
	strings.Repeat(" ", 200),
	strings.Repeat("<p>Bonjour, voici nos offres à prix doux.</p>\n", 20),
}

// withCRLF is s with every line break, CRLF, CR or LF, made a CRLF.
func withCRLF(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// encodeQP encodes s split at cut, as a body given in pieces is.
func encodeQP(s string, cut int) []byte {
	cut = min(max(cut, 0), len(s))
	var e qpEncoder
	b := e.append(nil, s[:cut])
	b = e.append(b, s[cut:])
	return e.close(b)
}

// checkQP fails unless out is valid quoted-printable (RFC 2045 §6.7) that
// decodes to in with its line breaks made CRLF.
func checkQP(t *testing.T, in string, out []byte) {
	t.Helper()
	dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(out)))
	if err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	if want := withCRLF(in); string(dec) != want {
		t.Fatalf("round trip of %q:\n got %q\nwant %q\nencoded %q", in, dec, want, out)
	}
	lines := strings.Split(string(out), "\r\n")
	for n, line := range lines {
		if len(line) > maxQPLine {
			t.Fatalf("line %d is %d characters long: %q", n, len(line), line)
		}
		if line != "" && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
			t.Fatalf("line %d ends with whitespace: %q", n, line)
		}
		if strings.HasPrefix(line, ".") {
			t.Fatalf("line %d starts with a dot, which SMTP would have to escape: %q", n, line)
		}
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == '=':
				if i == len(line)-1 && n < len(lines)-1 {
					continue // soft line break
				}
				if i+2 >= len(line) || !isUpperHex(line[i+1]) || !isUpperHex(line[i+2]) {
					t.Fatalf("line %d: bad escape at %d: %q", n, i, line)
				}
				i += 2
			case c == '\r' || c == '\n':
				t.Fatalf("line %d: bare CR or LF: %q", n, line)
			case !isQPLiteral(c):
				t.Fatalf("line %d: unescaped %#x: %q", n, c, line)
			}
		}
	}
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// stdlibQP is the encoding of mime/quotedprintable.Writer, and whether
// ours should be the same: not when a line of it starts with a dot, which
// ours escapes.
func stdlibQP(s string) ([]byte, bool) {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes(), !loneCR(s) && !bytes.HasPrefix(b.Bytes(), []byte(".")) && !bytes.Contains(b.Bytes(), []byte("\n."))
}

// loneCR reports whether s has a CR that is not part of a CRLF, where the
// standard writer may drop the next LF.
func loneCR(s string) bool {
	return strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\r")
}

func TestQuotedPrintable(t *testing.T) {
	for _, in := range qpEdgeCases {
		t.Run(fmt.Sprintf("%.20q", in), func(t *testing.T) {
			for cut := range len(in) + 1 {
				out := encodeQP(in, cut)
				checkQP(t, in, out)
				if std, same := stdlibQP(in); same && !bytes.Equal(out, std) {
					t.Fatalf("cut at %d: %q, mime/quotedprintable writes %q", cut, out, std)
				}
			}
		})
	}
}

func FuzzQuotedPrintable(f *testing.F) {
	for i, s := range qpEdgeCases {
		f.Add(s, i)
	}
	f.Fuzz(func(t *testing.T, in string, cut int) {
		out := encodeQP(in, cut)
		checkQP(t, in, out)
		if whole := encodeQP(in, 0); !bytes.Equal(out, whole) {
			t.Fatalf("in two pieces %q, whole %q", out, whole)
		}
		if std, same := stdlibQP(in); same && !bytes.Equal(out, std) {
			t.Fatalf("%q, mime/quotedprintable writes %q", out, std)
		}
	})
}

func TestBodyEncoding(t *testing.T) {
	const boundary = "=_ff0123456789abcdef01234567"
	tests := []struct {
		name   string
		pieces []string
		want   string
	}{
		{"ascii", []string{"Hello\nworld\n"}, "7bit"},
		{"ascii in pieces", []string{"<body>", "<span>hi</span>", "</body>"}, "7bit"},
		{"bare CR and CRLF", []string{"a\rb\r\nc\n"}, "7bit"},
		{"CRLF across pieces", []string{"a\r", "\nb"}, "7bit"},
		{"leading dots", []string{".\n.leading dot\n"}, "7bit"},
		{"998-octet line", []string{strings.Repeat("x", 998) + "\n" + strings.Repeat("y", 998)}, "7bit"},
		{"998-octet line and CRLF", []string{strings.Repeat("x", 998) + "\r\nz"}, "7bit"},
		{"999-octet line", []string{"a\n" + strings.Repeat("x", 999) + "\nb"}, "quoted-printable"},
		{"999-octet last line", []string{strings.Repeat("x", 999)}, "quoted-printable"},
		{"999 octets across pieces", []string{strings.Repeat("x", 500), strings.Repeat("x", 499)}, "quoted-printable"},
		{"non-ASCII", []string{"Déjà vu"}, "quoted-printable"},
		{"non-ASCII piece", []string{"a", "é", "b"}, "quoted-printable"},
		{"NUL", []string{"a\x00b"}, "quoted-printable"},
		{"boundary", []string{"text\n--" + boundary + "--\n"}, "quoted-printable"},
		{"boundary across pieces", []string{"text\n--=_ff0123", "456789abcdef01234567\n"}, "quoted-printable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(appendBody(nil, "text/plain", boundary, tt.pieces...))
			head, text, ok := strings.Cut(out, "\r\n\r\n")
			if !ok {
				t.Fatalf("no header end: %q", out)
			}
			want := "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + tt.want
			if head != want {
				t.Fatalf("headers %q, want %q", head, want)
			}
			in := strings.Join(tt.pieces, "")
			if tt.want == "quoted-printable" {
				checkQP(t, in, []byte(text))
				return
			}
			if text != withCRLF(in) {
				t.Fatalf("7bit body %q, want %q", text, withCRLF(in))
			}
		})
	}
}

// BenchmarkCompose measures the building of the ~24 KB message of
// BenchmarkSMTP: run with -benchmem.
func BenchmarkCompose(b *testing.B) {
	m := channeltest.Message(channel.Email, "bench-1", 1)
	para := "<p>Bonjour, voici nos offres de la semaine : des chaussures, des sacs et des manteaux à prix doux.</p>\n"
	m.Email.HTML = "<html><body>" + strings.Repeat(para, 150) + "</body></html>"
	m.Email.Text = strings.Repeat("Bonjour, voici nos offres de la semaine : chaussures, sacs, manteaux.\n", 100)
	now := time.Now()
	for b.Loop() {
		msg, err := compose(m, now, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(msg.data)))
		msg.free()
	}
}
