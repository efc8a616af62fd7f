package message

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// unterminated finds a "{{" or "{%" that opens no output or tag. The
// Liquid library takes one for text (its scanner has a TODO for it), so
// `Hi {{ profile.first_name ` would be sent as written to every
// recipient. Text inside raw and comment blocks is text. It returns the
// problem with its line (0 when there is none).
func unterminated(src string) (int, string) {
	literals, tokens := scanLiquid(src)
	line, inside := 1, ""
	for i, lit := range literals {
		if inside == "" {
			for _, open := range []string{"{{", "{%"} {
				if at := strings.Index(lit, open); at >= 0 {
					closing := map[string]string{"{{": "}}", "{%": "%}"}[open]
					return line + strings.Count(lit[:at], "\n"), fmt.Sprintf("%q is not closed by %q (an output or a tag must close on the line of its expression)", open, closing)
				}
			}
		}
		line += strings.Count(lit, "\n")
		if i == len(tokens) {
			break
		}
		t := tokens[i]
		switch {
		case !t.tag:
		case inside != "":
			if t.name == "end"+inside {
				inside = ""
			}
		case t.name == "raw" || t.name == "comment":
			inside = t.name
		}
		line += strings.Count(t.src, "\n")
	}
	return 0, ""
}

// scanError is a template the library would take but must not.
type scanError struct {
	line int
	msg  string
}

func (e scanError) Error() string   { return fmt.Sprintf("Liquid error (line %d): %s", e.line, e.msg) }
func (e scanError) Cause() error    { return nil }
func (e scanError) Path() string    { return "" }
func (e scanError) LineNumber() int { return e.line }

// checkAddresses refuses an email's From or Reply-To that is not an
// address, as the provider would at send time for every message. Over
// the sample profile a profile's or a target's value is made up, so a
// field that reads one is checked for each message at send time only.
func (t *Template) checkAddresses(rendered map[string]string) []Problem {
	if t.channel != ChannelEmail {
		return nil
	}
	var probs []Problem
	for _, f := range t.fields {
		if f.name != "from" && f.name != "reply_to" {
			continue
		}
		out, ok := rendered[f.name]
		if !ok || readsRecipient(f.src) {
			continue
		}
		if _, err := channel.ParseFrom(out); err != nil {
			// The error names "from:" for both fields; the problem names its own.
			probs = append(probs, Problem{Field: f.name, Message: fmt.Sprintf("%q: %s", out, strings.Replace(err.Error(), "from: ", "", 1))})
		}
	}
	return probs
}

// readsRecipient reports whether a template's outputs or tags name a
// recipient's data.
func readsRecipient(src string) bool {
	_, tokens := scanLiquid(src)
	for _, t := range tokens {
		if strings.Contains(t.src, "profile") || strings.Contains(t.src, "target") {
			return true
		}
	}
	return false
}
