package message

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Render renders the template for one recipient into the channel's
// content: a *channel.EmailContent, *channel.SMSContent or
// *channel.PushContent. An error (a *RenderError) fails this recipient's
// message only.
func (t *Template) Render(c Context) (any, error) {
	switch t.channel {
	case ChannelEmail:
		return t.RenderEmail(c)
	case ChannelSMS:
		return t.RenderSMS(c)
	case ChannelPush:
		return t.RenderPush(c)
	}
	return nil, fmt.Errorf("render: unknown channel %q", t.channel)
}

// RenderEmail renders an email for one recipient. The text body is
// derived from the HTML when the spec has none.
func (t *Template) RenderEmail(c Context) (*channel.EmailContent, error) {
	if t.channel != ChannelEmail {
		return nil, fmt.Errorf("render email: the template is for %s", t.channel)
	}
	v, err := t.renderAll(c)
	if err != nil {
		return nil, err
	}
	out := &channel.EmailContent{
		From: v["from"], ReplyTo: v["reply_to"], Subject: v["subject"],
		Preheader: v["preheader"], HTML: v["html"], Text: v["text"],
	}
	switch t.text {
	case textDerived:
		out.Text = tidyText(out.Text)
	case textConverted:
		out.Text = HTMLToText(out.HTML)
	}
	for k, val := range v {
		if name, ok := strings.CutPrefix(k, "headers."); ok {
			if out.Headers == nil {
				out.Headers = map[string]string{}
			}
			out.Headers[name] = val
		}
	}
	return out, nil
}

// RenderSMS renders an SMS for one recipient.
func (t *Template) RenderSMS(c Context) (*channel.SMSContent, error) {
	if t.channel != ChannelSMS {
		return nil, fmt.Errorf("render sms: the template is for %s", t.channel)
	}
	v, err := t.renderAll(c)
	if err != nil {
		return nil, err
	}
	return &channel.SMSContent{From: v["from"], Text: v["text"]}, nil
}

// RenderPush renders a push notification for one recipient.
func (t *Template) RenderPush(c Context) (*channel.PushContent, error) {
	if t.channel != ChannelPush {
		return nil, fmt.Errorf("render push: the template is for %s", t.channel)
	}
	v, err := t.renderAll(c)
	if err != nil {
		return nil, err
	}
	out := &channel.PushContent{
		Title: v["title"], Body: v["body"], Image: v["image"], DeepLink: v["deep_link"],
		Sound: v["ios.sound"], Category: v["ios.category"],
		AndroidChannel: v["android.channel"], Priority: v["android.priority"],
	}
	if t.badge != nil {
		b := *t.badge
		out.Badge = &b
	}
	out.Background, out.Expiration, out.CollapseID = t.push.background, t.push.expiration, v["ios.collapse_id"]
	if err := checkCollapseID(out.CollapseID); err != nil {
		return nil, &RenderError{Field: "ios.collapse_id", Err: err}
	}
	for k, val := range v {
		if name, ok := strings.CutPrefix(k, "data."); ok {
			if out.Data == nil {
				out.Data = map[string]string{}
			}
			out.Data[name] = val
		}
	}
	switch out.Priority {
	case "", "normal", "high":
	default:
		return nil, &RenderError{Field: "android.priority", Err: fmt.Errorf(`%q: must be "normal" or "high"`, out.Priority)}
	}
	return out, nil
}

// renderAll renders the locale, then every field in that locale.
func (t *Template) renderAll(c Context) (map[string]string, error) {
	b := map[string]any(c)
	st := newRenderState(t.budget) // the fields' budget, together
	loc := DefaultLocale
	idx := len(t.fields) - 1 // the locale field is last
	if t.locale != "" {
		tpls, err := t.templates(DefaultLocale)
		if err != nil {
			return nil, err
		}
		s, err := renderWithin(tpls[idx], b, st)
		if err != nil {
			return nil, &RenderError{Field: "locale", Err: fmt.Errorf("%s", liquidMessage(err))}
		}
		loc = NormalizeLocale(s)
	}
	tpls, err := t.templates(loc)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(t.fields))
	for i, f := range t.fields[:idx] {
		if tpls[i] == nil {
			continue
		}
		s, err := renderWithin(tpls[i], b, st)
		if err != nil {
			return nil, &RenderError{Field: f.name, Err: renderCause(err)}
		}
		if f.header {
			s = strings.TrimSpace(s)
			if strings.ContainsAny(s, "\r\n") {
				return nil, &RenderError{Field: f.name, Err: ErrHeaderInjection}
			}
		}
		out[f.name] = s
	}
	return out, nil
}

// renderCause keeps a render error's message and line, without the
// template source it quotes (which may be long).
func renderCause(err error) error {
	if line := lineOf(err); line > 0 {
		return fmt.Errorf("line %d: %s", line, liquidMessage(err))
	}
	return fmt.Errorf("%s", liquidMessage(err))
}

// templates returns the fields parsed for a locale's engine, parsing them
// on first use; Compile has already parsed them once, so this cannot fail
// in practice.
func (t *Template) templates(loc string) ([]*liquidTemplate, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tpls, ok := t.parsed[loc]; ok {
		return tpls, nil
	}
	eng := t.engines.get(loc, false)
	tpls := make([]*liquidTemplate, len(t.fields))
	for i, f := range t.fields {
		if f.src == "" {
			continue
		}
		tpl, err := parseSafely(eng, f.src)
		if err != nil {
			return nil, &RenderError{Field: f.name, Err: fmt.Errorf("%s", liquidMessage(err))}
		}
		tpls[i] = tpl
	}
	t.parsed[loc] = tpls
	return tpls, nil
}
