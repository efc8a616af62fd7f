package channel

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Address limits. An email address longer than 254 octets cannot be used in
// a forward path (RFC 5321 §4.5.3.1); a local part is at most 64 octets.
const (
	maxEmail     = 254
	maxLocalPart = 64
	maxLabel     = 63
	maxToken     = 4096
)

// ErrAddress is wrapped by every address check failure, so a provider can
// tell a refused address (a permanent failure) from a transport error.
var ErrAddress = errors.New("invalid address")

func addressError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrAddress}, args...)...)
}

// CheckEmail reports whether s is a bare email address (local@domain) that
// is safe to put in an SMTP command and a header: no control characters
// (which would allow header or command injection), valid UTF-8, a dot-atom
// local part and a domain of LDH (or non-ASCII, RFC 6531) labels.
func CheckEmail(s string) error {
	if err := checkText(s, maxEmail); err != nil {
		return err
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return addressError("no @")
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return addressError("empty local part")
	case len(local) > maxLocalPart:
		return addressError("local part longer than %d octets", maxLocalPart)
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return addressError("misplaced dot in local part")
	}
	for _, r := range local {
		if r != '.' && !isAtext(r) {
			return addressError("character %q not allowed in local part", r)
		}
	}
	if domain == "" {
		return addressError("empty domain")
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > maxLabel {
			return addressError("bad domain label length")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return addressError("domain label starts or ends with a hyphen")
		}
		for _, r := range label {
			if !(r == '-' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
				r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))) {
				return addressError("character %q not allowed in domain", r)
			}
		}
	}
	return nil
}

// isAtext reports whether r may appear in a dot-atom (RFC 5322 atext,
// extended to non-ASCII letters by RFC 6532).
func isAtext(r rune) bool {
	if r >= utf8.RuneSelf {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
	}
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+/=?^_`{|}~-", r)
}

// CheckPhone reports whether s is an E.164 number: a plus sign and 8 to 15
// digits, the first not zero.
func CheckPhone(s string) error {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' {
		return addressError("phone number must be + and 8 to 15 digits")
	}
	if s[1] == '0' {
		return addressError("phone number country code starts with 0")
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return addressError("phone number must be + and 8 to 15 digits")
		}
	}
	return nil
}

// CheckToken reports whether s is a plausible push token: printable ASCII
// without spaces, at most 4096 octets.
func CheckToken(s string) error {
	if s == "" {
		return addressError("empty token")
	}
	if len(s) > maxToken {
		return addressError("token longer than %d octets", maxToken)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return addressError("token holds a space, control or non-ASCII byte")
		}
	}
	return nil
}

// checkText refuses empty, over-long, non-UTF-8 and control-character
// strings: the checks every address shares.
func checkText(s string, max int) error {
	if s == "" {
		return addressError("empty")
	}
	if len(s) > max {
		return addressError("longer than %d octets", max)
	}
	if !utf8.ValidString(s) {
		return addressError("not valid UTF-8")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			return addressError("holds a space or control character")
		}
	}
	return nil
}

// CheckAddress checks a message's address for its channel.
func CheckAddress(channelName, to string) error {
	switch channelName {
	case Email:
		return CheckEmail(to)
	case SMS:
		return CheckPhone(to)
	case Push:
		return CheckToken(to)
	}
	return CheckName(channelName)
}

// reservedHeaders are set by providers from the message itself; extra
// headers may not override them.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true,
	"date": true, "message-id": true, "reply-to": true, "sender": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"list-unsubscribe": true, "list-unsubscribe-post": true,
	"dkim-signature": true, "return-path": true, "received": true,
}

// maxHeaderValue bounds one extra header or subject; longer ones are a bug
// upstream, not an email.
const maxHeaderValue = 998

// maxUnsubscribeURL is the longest unsubscribe URL: a URL cannot be folded
// without changing it, and "List-Unsubscribe: <URL>" must fit one line of
// 998 octets (RFC 5322 §2.1.1).
const maxUnsubscribeURL = maxHeaderValue - len("List-Unsubscribe: <>")

// ParseFrom parses an EmailContent From ("Name <addr>" or a bare address)
// and checks its address.
func ParseFrom(from string) (*mail.Address, error) {
	if err := checkHeaderText(from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, addressError("from: %v", err)
	}
	if err := CheckEmail(a.Address); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	return a, nil
}

// CheckEmailContent refuses email content that could not be sent safely:
// a bad From or Reply-To, CR/LF or control characters in the subject,
// preheader or extra headers, header names that are not printable tokens or
// that override a header the provider sets, and an unsubscribe URL that is
// not an absolute http(s) or mailto URL.
func CheckEmailContent(c *EmailContent) error {
	if c == nil {
		return errors.New("no email content")
	}
	if _, err := ParseFrom(c.From); err != nil {
		return err
	}
	if c.ReplyTo != "" {
		if _, err := ParseFrom(c.ReplyTo); err != nil {
			return fmt.Errorf("reply-to: %w", err)
		}
	}
	if c.ReturnPath != "" {
		if err := CheckEmail(c.ReturnPath); err != nil {
			return fmt.Errorf("return path: %w", err)
		}
	}
	if err := checkHeaderText(c.Subject); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	if err := checkHeaderText(c.Preheader); err != nil {
		return fmt.Errorf("preheader: %w", err)
	}
	if !utf8.ValidString(c.HTML) || !utf8.ValidString(c.Text) {
		return errors.New("body is not valid UTF-8")
	}
	if c.HTML == "" && c.Text == "" {
		return errors.New("empty body")
	}
	for name, value := range c.Headers {
		if err := CheckHeaderName(name); err != nil {
			return err
		}
		if reservedHeaders[strings.ToLower(name)] {
			return fmt.Errorf("header %q is set by the provider", name)
		}
		if err := checkHeaderText(value); err != nil {
			return fmt.Errorf("header %q: %w", name, err)
		}
	}
	if c.UnsubscribeURL != "" {
		if err := checkHeaderText(c.UnsubscribeURL); err != nil {
			return fmt.Errorf("unsubscribe URL: %w", err)
		}
		if len(c.UnsubscribeURL) > maxUnsubscribeURL {
			return fmt.Errorf("unsubscribe URL: longer than %d octets", maxUnsubscribeURL)
		}
		u, err := url.Parse(c.UnsubscribeURL)
		if err != nil || !(u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "mailto") ||
			strings.ContainsAny(c.UnsubscribeURL, "<> ,") {
			return errors.New("unsubscribe URL is not an absolute http(s) or mailto URL")
		}
	}
	return nil
}

// CheckHeaderName refuses a header name that is not 1 to 76 printable
// ASCII characters other than colon (RFC 5322 §2.2).
func CheckHeaderName(name string) error {
	if name == "" || len(name) > 76 {
		return fmt.Errorf("header name %q: empty or too long", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] >= 0x7f || name[i] == ':' {
			return fmt.Errorf("header name %q: not a printable token", name)
		}
	}
	return nil
}

// checkHeaderText refuses invalid UTF-8, over-long values and control
// characters (CR and LF above all) in a header value; tabs are allowed.
func checkHeaderText(s string) error {
	if len(s) > maxHeaderValue {
		return fmt.Errorf("longer than %d octets", maxHeaderValue)
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if (r < ' ' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			return errors.New("holds a control character")
		}
	}
	return nil
}
