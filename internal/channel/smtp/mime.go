package smtp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"maps"
	"mime"
	"mime/quotedprintable"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// maxLine is where headers are folded (RFC 5322 §2.1.1 SHOULD).
const maxLine = 78

// composed is a message ready for the envelope.
type composed struct {
	from string // envelope sender
	data []byte
}

// compose builds the RFC 5322 message for m, DKIM-signed when dk is set.
// m must have passed check.
func compose(m *channel.Message, now time.Time, dk *dkimSigner) (composed, error) {
	c := m.Email
	from, err := channel.ParseFrom(c.From)
	if err != nil {
		return composed{}, err
	}
	var b bytes.Buffer
	b.Grow(len(c.HTML) + len(c.Text) + len(c.HTML)/8 + len(c.Text)/8 + 2048)

	header(&b, "From", from.String())
	header(&b, "To", m.To)
	if c.ReplyTo != "" {
		rt, err := channel.ParseFrom(c.ReplyTo)
		if err != nil {
			return composed{}, err
		}
		header(&b, "Reply-To", rt.String())
	}
	header(&b, "Subject", encodeWords(c.Subject))
	header(&b, "Date", now.Format(time.RFC1123Z))
	header(&b, "Message-ID", MessageID(m.ID, from.Address))
	if c.UnsubscribeURL != "" {
		header(&b, "List-Unsubscribe", "<"+c.UnsubscribeURL+">")
		header(&b, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		header(&b, textproto.CanonicalMIMEHeaderKey(name), encodeWords(c.Headers[name]))
	}
	header(&b, "MIME-Version", "1.0")

	htmlBody := c.HTML
	if htmlBody != "" && c.Preheader != "" {
		htmlBody = injectPreheader(htmlBody, c.Preheader)
	}
	switch {
	case c.Text != "" && htmlBody != "":
		boundary := boundaryFor(m.ID)
		header(&b, "Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b.WriteString("\r\n")
		part(&b, boundary, "text/plain", c.Text)
		part(&b, boundary, "text/html", htmlBody)
		b.WriteString("--" + boundary + "--\r\n")
	case htmlBody != "":
		body(&b, "text/html", htmlBody)
	default:
		body(&b, "text/plain", c.Text)
	}

	data := b.Bytes()
	if dk != nil {
		if data, err = dk.sign(data); err != nil {
			return composed{}, err
		}
	}
	return composed{from: from.Address, data: data}, nil
}

// MessageID is the Message-ID header value of the message id from the
// address from: <id@domain>, deterministic so a resend is recognisable. An
// id that is not a dot-atom is replaced by a hash of itself.
func MessageID(id, from string) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	if !isDotAtom(id) {
		sum := sha256.Sum256([]byte(id))
		id = "h." + hex.EncodeToString(sum[:16])
	}
	return "<" + id + "@" + domain + ">"
}

func isDotAtom(s string) bool {
	if s == "" || len(s) > 200 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+/=?^_`{|}~-.", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// boundaryFor derives the MIME boundary from the message ID. It starts with
// "=_", which quoted-printable output can never contain, so it cannot
// collide with a body line.
func boundaryFor(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "=_ff" + hex.EncodeToString(sum[:12])
}

// encodeWords encodes a header value as RFC 2047 words when it is not
// plain ASCII.
func encodeWords(s string) string {
	return mime.QEncoding.Encode("utf-8", s)
}

// header writes "Name: value" folded at spaces so that lines stay short.
// Values have passed CheckEmailContent: no CR or LF.
func header(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(": ")
	col := len(name) + 2
	for i, word := range strings.Split(value, " ") {
		if i > 0 {
			if col+1+len(word) > maxLine && col > 1 {
				b.WriteString("\r\n ")
				col = 1
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += len(word)
	}
	b.WriteString("\r\n")
}

func part(b *bytes.Buffer, boundary, contentType, content string) {
	b.WriteString("--" + boundary + "\r\n")
	body(b, contentType, content)
	b.WriteString("\r\n")
}

// body writes the content headers and the quoted-printable UTF-8 body.
func body(b *bytes.Buffer, contentType, content string) {
	b.WriteString("Content-Type: " + contentType + "; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(b)
	w.Write([]byte(content)) // a bytes.Buffer never fails
	w.Close()
}

// preheaderStyle hides the preheader in every client that renders CSS
// while inbox previews still show it.
const preheaderStyle = `display:none!important;visibility:hidden;mso-hide:all;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;color:transparent`

// PreheaderHTML is the hidden span that carries a preheader.
func PreheaderHTML(preheader string) string {
	return `<span style="` + preheaderStyle + `">` + html.EscapeString(preheader) + `</span>`
}

// injectPreheader puts the preheader span first in the body: right after
// <body ...> when there is one, else at the very top.
func injectPreheader(doc, preheader string) string {
	span := PreheaderHTML(preheader)
	if i := indexFold(doc, "<body"); i >= 0 {
		if j := strings.IndexByte(doc[i:], '>'); j >= 0 {
			at := i + j + 1
			return doc[:at] + span + doc[at:]
		}
	}
	return span + doc
}

// indexFold is an ASCII case-insensitive strings.Index for a lower-case
// needle.
func indexFold(s, lower string) int {
	for i := 0; i+len(lower) <= len(s); i++ {
		if s[i] == '<' && strings.EqualFold(s[i:i+len(lower)], lower) {
			return i
		}
	}
	return -1
}

// isASCII reports whether s needs no SMTPUTF8.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
