package bounce

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// Report is what a bounce or complaint mail says about one recipient of a
// message Fanfare sent.
type Report struct {
	// Kind is delivery.FeedbackBounce, FeedbackComplaint or
	// FeedbackDelivered; Hard tells a hard bounce.
	Kind string
	Hard bool
	// Status is the RFC 3463 code (5.1.1); Diagnostic what the receiving
	// server said.
	Status, Diagnostic string
	// Recipient is the address the report is about, when it says.
	Recipient string
	// Senders are the envelope senders the report quotes of the message
	// it is about (Original-Mail-From, the original's Return-Path): its
	// VERP address, when a report comes to the bare bounce address.
	Senders []string
	At      time.Time
}

// maxPart bounds what is read of one part of a report.
const maxPart = 1 << 20

// Parse reads a mail that came to a bounce address: an RFC 3464 delivery
// status notification (multipart/report; report-type=delivery-status, or
// global-delivery-status of RFC 6533), an RFC 5965 abuse report
// (report-type=feedback-report), or a bounce in plain text from a server
// that writes no report, read for its enhanced status code. It returns no
// report for a mail that is none of these — an automatic reply ("out of
// office"), a delay notice — and an error only for a mail it cannot read.
func Parse(r io.Reader) ([]Report, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("read the mail: %w", err)
	}
	at, err := msg.Header.Date()
	if err != nil {
		at = time.Time{}
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err == nil && mt == "multipart/report" && params["boundary"] != "" {
		out, err := parseReport(msg.Body, params["boundary"], strings.ToLower(params["report-type"]))
		for i := range out {
			if out[i].At.IsZero() {
				out[i].At = at
			}
		}
		return out, err
	}
	if autoReply(msg.Header) {
		return nil, nil
	}
	return parsePlain(msg, at)
}

// autoReply reports an automatic answer that is no bounce (RFC 3834): a
// mail server's bounces say they are automatic too, but come from its
// mailer daemon or postmaster.
func autoReply(h mail.Header) bool {
	from := strings.ToLower(h.Get("From"))
	if strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") {
		return false
	}
	a := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted")))
	return a == "auto-replied" || h.Get("X-Autoreply") != "" || strings.EqualFold(h.Get("Precedence"), "auto_reply")
}

// report holds what the parts of a multipart/report say.
type report struct {
	kind       string
	perMessage textproto.MIMEHeader
	recipients []textproto.MIMEHeader
	feedback   textproto.MIMEHeader
	original   textproto.MIMEHeader
}

func parseReport(body io.Reader, boundary, kind string) ([]Report, error) {
	rep := report{kind: kind}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the report's parts: %w", err)
		}
		if err := rep.read(p); err != nil {
			return nil, err
		}
	}
	switch kind {
	case "delivery-status", "global-delivery-status":
		return rep.statuses(), nil
	case "feedback-report":
		return rep.complaints(), nil
	}
	return nil, nil
}

// read takes in one part of a report.
func (rep *report) read(p *multipart.Part) error {
	mt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
	content := decoded(p, p.Header.Get("Content-Transfer-Encoding"))
	var err error
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		var blocks []textproto.MIMEHeader
		if blocks, err = fieldBlocks(content); err == nil && len(blocks) > 0 {
			rep.perMessage, rep.recipients = blocks[0], blocks[1:]
		}
	case "message/feedback-report":
		var blocks []textproto.MIMEHeader
		if blocks, err = fieldBlocks(content); err == nil && len(blocks) > 0 {
			rep.feedback = blocks[0]
		}
	case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers":
		h, herr := textproto.NewReader(bufio.NewReader(io.LimitReader(content, maxPart))).ReadMIMEHeader()
		if len(h) > 0 {
			rep.original = h
		} else if herr != nil && !errors.Is(herr, io.EOF) {
			err = herr
		}
	}
	if err != nil {
		return fmt.Errorf("read the report's %s part: %w", mt, err)
	}
	return nil
}

// decoded undoes a part's transfer encoding.
func decoded(r io.Reader, cte string) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineDropper{r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// newlineDropper removes the line breaks base64 content is folded with.
type newlineDropper struct{ r io.Reader }

func (d newlineDropper) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	out := p[:0]
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return len(out), err
}

// fieldBlocks reads the groups of fields of a delivery-status or
// feedback-report part, separated by blank lines.
func fieldBlocks(r io.Reader) ([]textproto.MIMEHeader, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPart))
	if err != nil {
		return nil, err
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	var out []textproto.MIMEHeader
	for _, block := range bytes.Split(data, []byte("\n\n")) {
		block = bytes.TrimLeft(block, "\n")
		if len(bytes.TrimSpace(block)) == 0 {
			continue
		}
		h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(block, '\n', '\n')))).ReadMIMEHeader()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// statuses are a delivery status notification's reports: one per
// recipient that failed (a bounce) or was delivered; a delay is no
// bounce yet.
func (rep *report) statuses() []Report {
	var out []Report
	for _, r := range rep.recipients {
		f := Report{Recipient: typedAddress(r.Get("Final-Recipient")), Diagnostic: typedValue(r.Get("Diagnostic-Code")), Senders: rep.senders()}
		if f.Recipient == "" {
			f.Recipient = typedAddress(r.Get("Original-Recipient"))
		}
		if d, err := mail.ParseDate(r.Get("Last-Attempt-Date")); err == nil {
			f.At = d
		}
		code, ok := channel.ParseEnhancedStatus(r.Get("Status"))
		if !ok {
			code, ok = channel.ParseEnhancedStatus(f.Diagnostic)
		}
		switch strings.ToLower(strings.TrimSpace(r.Get("Action"))) {
		case "failed":
			f.Kind = delivery.FeedbackBounce
			if ok {
				f.Status, f.Hard = code.String(), code.AddressGone()
			}
		case "delivered", "relayed", "expanded":
			f.Kind = delivery.FeedbackDelivered
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

// complaints is an abuse report's complaint: "abuse", "fraud", "virus" or
// "other" feedback; "not-spam" is none.
func (rep *report) complaints() []Report {
	if rep.feedback == nil {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(rep.feedback.Get("Feedback-Type"))) {
	case "abuse", "fraud", "virus", "other":
	default:
		return nil
	}
	f := Report{Kind: delivery.FeedbackComplaint, Recipient: angle(rep.feedback.Get("Original-Rcpt-To")), Senders: rep.senders(),
		Diagnostic: rep.feedback.Get("User-Agent")}
	if f.Recipient == "" && rep.original != nil {
		f.Recipient = angle(rep.original.Get("To"))
	}
	if d, err := mail.ParseDate(rep.feedback.Get("Arrival-Date")); err == nil {
		f.At = d
	}
	return []Report{f}
}

// senders are the envelope senders the report quotes.
func (rep *report) senders() []string {
	var out []string
	for _, h := range []textproto.MIMEHeader{rep.feedback, rep.perMessage} {
		if h != nil {
			if a := angle(h.Get("Original-Mail-From")); a != "" {
				out = append(out, a)
			}
		}
	}
	if rep.original != nil {
		for _, rp := range rep.original.Values("Return-Path") {
			if a := angle(rp); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// typedValue is the value of a field typed as "rfc822; value".
func typedValue(s string) string {
	if _, v, ok := strings.Cut(s, ";"); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(s)
}

// typedAddress is the address of a field typed as "rfc822; a@b".
func typedAddress(s string) string { return angle(typedValue(s)) }

// angle is an address with its angle brackets taken off.
func angle(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	return strings.TrimSpace(s)
}

// parsePlain reads a bounce in plain text (qmail's, or a server's that
// writes no report): a bounce when its text has an enhanced status code
// of a failure, hard or soft as the code says; nothing otherwise.
func parsePlain(msg *mail.Message, at time.Time) ([]Report, error) {
	body, err := io.ReadAll(io.LimitReader(decoded(msg.Body, msg.Header.Get("Content-Transfer-Encoding")), maxPart))
	if err != nil {
		return nil, fmt.Errorf("read the mail: %w", err)
	}
	code, ok := channel.ParseEnhancedStatus(string(body))
	if !ok || code[0] == 2 {
		return nil, nil
	}
	line := string(body)
	if i := strings.Index(line, code.String()); i >= 0 {
		line = line[i:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
	}
	return []Report{{Kind: delivery.FeedbackBounce, Hard: code.AddressGone(), Status: code.String(), Diagnostic: strings.TrimSpace(line), At: at}}, nil
}
