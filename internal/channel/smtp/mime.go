package smtp

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"maps"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// composed is a message ready for the envelope.
type composed struct {
	from string // envelope sender
	data []byte // the message, in buf
	buf  *[]byte
}

// free returns the message's buffer to the pool; data must not be used
// after.
func (c *composed) free() {
	putBuffer(c.buf)
	c.buf, c.data = nil, nil
}

// buffers holds the buffers messages are built in: a send composes
// thousands of messages of similar size, which need not each be allocated.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuffer is the largest buffer kept for reuse, so that one huge
// message does not stay in memory for good.
const maxPooledBuffer = 1 << 20

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(buf *[]byte) {
	if buf != nil && cap(*buf) <= maxPooledBuffer {
		*buf = (*buf)[:0]
		buffers.Put(buf)
	}
}

// compose builds the RFC 5322 message for m, DKIM-signed when dk is set.
// m must have passed check. The caller frees the result once sent.
func compose(m *channel.Message, now time.Time, dk *dkimSigner) (composed, error) {
	c := m.Email
	from, err := channel.ParseFrom(c.From)
	if err != nil {
		return composed{}, err
	}
	var replyTo *mail.Address
	if c.ReplyTo != "" {
		if replyTo, err = channel.ParseFrom(c.ReplyTo); err != nil {
			return composed{}, err
		}
	}
	buf := getBuffer()
	b := (*buf)[:0]

	// A field that cannot fold into lines SMTP carries is refused rather
	// than sent broken; only a List-Unsubscribe URL the content check
	// let through could be one.
	tooLong := ""
	add := func(name, value string) {
		var ok bool
		if b, ok = appendHeader(b, name, value); !ok && tooLong == "" {
			tooLong = name
		}
	}
	b = appendAddress(b, "From", from)
	add("To", m.To)
	if replyTo != nil {
		b = appendAddress(b, "Reply-To", replyTo)
	}
	b = appendText(b, "Subject", c.Subject)
	add("Date", now.Format(time.RFC1123Z))
	add("Message-ID", MessageID(m.ID, from.Address))
	if c.UnsubscribeURL != "" {
		add("List-Unsubscribe", "<"+c.UnsubscribeURL+">")
		if OneClick(c.UnsubscribeURL, dk != nil) {
			add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	if len(c.Headers) > 0 {
		for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
			b = appendText(b, textproto.CanonicalMIMEHeaderKey(name), c.Headers[name])
		}
	}
	if tooLong != "" {
		*buf = b
		putBuffer(buf)
		return composed{}, fmt.Errorf("header %s: a line longer than %d octets", tooLong, maxLineOctets)
	}
	b, _ = appendHeader(b, "MIME-Version", "1.0")

	b = appendContent(b, m.ID, c)
	*buf = b

	if dk != nil {
		signed := getBuffer()
		*signed, err = dk.sign((*signed)[:0], b)
		putBuffer(buf)
		if err != nil {
			putBuffer(signed)
			return composed{}, err
		}
		buf = signed
	}
	return composed{from: cmp.Or(c.ReturnPath, from.Address), data: *buf, buf: buf}, nil
}

// appendContent appends c's content to b, which holds the other header
// fields: the Content-Type field and the body, with the preheader set at
// the top of the HTML, as multipart/alternative (its boundary made from
// the message's id) when c has both a text and an HTML part.
func appendContent(b []byte, id string, c *channel.EmailContent) []byte {
	// The preheader goes in as a piece of the HTML body rather than
	// through a copy of the whole document.
	html := [3]string{c.HTML}
	if c.HTML != "" && c.Preheader != "" {
		html = injectPreheader(c.HTML, c.Preheader)
	}
	switch {
	case c.Text != "" && c.HTML != "":
		boundary := boundaryFor(id)
		b, _ = appendHeader(b, "Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b = append(b, "\r\n"...)
		b = appendPart(b, boundary, "text/plain", c.Text)
		b = appendPart(b, boundary, "text/html", html[:]...)
		b = append(b, "--"...)
		b = append(b, boundary...)
		b = append(b, "--\r\n"...)
	case c.HTML != "":
		b = appendBody(b, "text/html", "", html[:]...)
	default:
		b = appendBody(b, "text/plain", "", c.Text)
	}
	return b
}

// OneClick tells whether a message with this unsubscribe URL may offer
// one-click unsubscription (List-Unsubscribe-Post, RFC 8058): only with
// an HTTPS URL and a DKIM signature that covers both List-Unsubscribe
// fields (signedHeaders does). Without them receivers ignore the field or
// hold it against the sender, so it is left out and List-Unsubscribe goes
// alone.
func OneClick(unsubscribeURL string, dkim bool) bool {
	return dkim && len(unsubscribeURL) > len("https://") && strings.EqualFold(unsubscribeURL[:len("https://")], "https://")
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
// "=_", which quoted-printable output can never contain, and a 7bit part
// that contains it is sent quoted-printable, so it cannot collide with a
// body line.
func boundaryFor(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "=_ff" + hex.EncodeToString(sum[:12])
}

// appendPart appends one part of a multipart body.
func appendPart(b []byte, boundary, contentType string, pieces ...string) []byte {
	b = append(b, "--"...)
	b = append(b, boundary...)
	b = append(b, "\r\n"...)
	b = appendBody(b, contentType, boundary, pieces...)
	return append(b, "\r\n"...)
}

// preheaderStyle hides the preheader in every client that renders CSS
// while inbox previews still show it.
const preheaderStyle = `display:none!important;visibility:hidden;mso-hide:all;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;color:transparent`

// PreheaderHTML is the hidden span that carries a preheader.
func PreheaderHTML(preheader string) string {
	return `<span style="` + preheaderStyle + `">` + html.EscapeString(preheader) + `</span>`
}

// injectPreheader puts the preheader span first in the body: right after
// <body ...> when there is one, else at the very top. It returns the
// document in pieces to be written one after the other.
func injectPreheader(doc, preheader string) [3]string {
	span := PreheaderHTML(preheader)
	if i := indexFold(doc, "<body"); i >= 0 {
		if j := strings.IndexByte(doc[i:], '>'); j >= 0 {
			at := i + j + 1
			return [3]string{doc[:at], span, doc[at:]}
		}
	}
	return [3]string{span, doc}
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
