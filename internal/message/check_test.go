package message

import (
	"errors"
	"reflect"
	"testing"
)

// TestCompileRefusesUnterminated: the Liquid library sends an unclosed
// "{{" or "{%" as text; validation refuses it with its line.
func TestCompileRefusesUnterminated(t *testing.T) {
	m, _ := shopModel(t)
	tests := []struct {
		name, src string
		want      []Problem // nil: accepted
	}{
		{"an output", "Hi {{ profile.first_name ", []Problem{{"text", 1, `line 1: "{{" is not closed by "}}" (an output or a tag must close on the line of its expression)`}}},
		{"a tag on line 3", "Hi\n{{ profile.first_name }}\nyour {% if profile.country %}\n{% endif %}{% if x ", []Problem{{"text", 4, `line 4: "{%" is not closed by "%}" (an output or a tag must close on the line of its expression)`}}},
		{"an expression over two lines", "Hi {{ profile.\nfirst_name }}", []Problem{{"text", 1, `line 1: "{{" is not closed by "}}" (an output or a tag must close on the line of its expression)`}}},
		{"after a closed one", "{{ profile.first_name }} and {{", []Problem{{"text", 1, `line 1: "{{" is not closed by "}}" (an output or a tag must close on the line of its expression)`}}},
		{"raw text", "{% raw %}Hi {{ name {% endraw %}{{ profile.first_name }}", nil},
		{"a comment", "{% comment %}\n{{ old {% endcomment %}ok", nil},
		{"braces alone", "{ not liquid } }} %}", nil},
		{"closed over lines", "{{\n  profile.first_name\n}} {%\n if true %}y{% endif %}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(m, "customers", ChannelSMS, SMS{Text: tt.src}, Env{})
			var ve *ValidationError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != nil && (!errors.As(err, &ve) || !reflect.DeepEqual(ve.Problems, tt.want)):
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCompileRefusesBadSender: a From or Reply-To that is not an address
// is refused at validation (the provider refused each message at send
// time); one that reads the recipient's data is checked per message.
func TestCompileRefusesBadSender(t *testing.T) {
	m, _ := shopModel(t)
	env := Env{Vars: map[string]any{"sender": "Shop", "good": "shop@example.com"}}
	tests := []struct {
		name, from, replyTo string
		want                []Problem
	}{
		{"not an address", "not an address", "", []Problem{{"from", 0, `"not an address": invalid address: mail: no angle-addr`}}},
		{"a bad reply-to", "shop@example.com", "care at example.com", []Problem{{"reply_to", 0, `"care at example.com": invalid address: mail: no angle-addr`}}},
		{"a variable", "{{ vars.sender }}", "", []Problem{{"from", 0, `"Shop": invalid address: mail: missing '@' or angle-addr`}}},
		{"a name and an address", `"Shop {{ vars.sender }}" <{{ vars.good }}>`, "Care <care@example.com>", nil},
		{"the recipient's data", "{{ profile.first_name }}", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(m, "customers", ChannelEmail, Email{From: tt.from, ReplyTo: tt.replyTo, Subject: "s", Text: "t"}, env)
			var ve *ValidationError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != nil && (!errors.As(err, &ve) || !reflect.DeepEqual(ve.Problems, tt.want)):
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
