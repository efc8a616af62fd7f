package campaign

import (
	"strings"
	"testing"
)

func TestValidateChannelPacing(t *testing.T) {
	tests := []struct {
		name    string
		mail    string
		path    string
		message string
	}{
		{"valid", "{type: email, rate: 200, window: {from: '22:00', to: '06:00', timezone: Europe/Paris}}", "", ""},
		{"transactional", "{type: email, category: transactional}", "", ""},
		{"marketing", "{type: email, category: marketing}", "", ""},
		{"unknown category", "{type: email, category: promo}", "activities.m.category", "category promo: want marketing or transactional"},
		{"valid attribute", "{type: email, window: {from: '09:00', to: '20:00', timezone_attribute: country}}", "", ""},
		{"zero rate", "{type: email, rate: 0}", "activities.m.rate", "rate 0: give messages per second"},
		{"rate too high", "{type: email, rate: 100001}", "activities.m.rate", "at most 100000"},
		{"rate as text", "{type: email, rate: fast}", "activities.m.rate", `rate "fast"`},
		{"bad from", "{type: email, window: {from: '9h', to: '20:00', timezone: UTC}}", "activities.m.window.from", "want a time of day HH:MM"},
		{"bad to", "{type: email, window: {from: '09:00', to: '24:00', timezone: UTC}}", "activities.m.window.to", "from 00:00 to 23:59"},
		{"empty window", "{type: email, window: {from: '09:00', to: '09:00', timezone: UTC}}", "activities.m.window", "opens and closes at 09:00"},
		{"no zone", "{type: email, window: {from: '09:00', to: '20:00'}}", "activities.m.window", "give timezone"},
		{"unknown zone", "{type: email, window: {from: '09:00', to: '20:00', timezone: Mars/Olympus}}", "activities.m.window.timezone", "timezone Mars/Olympus"},
		{"unknown window setting", "{type: email, window: {from: '09:00', to: '20:00', timezone: UTC, days: 5}}", "activities.m.window.days", `unknown window setting "days"`},
		{"unknown attribute", "{type: email, window: {from: '09:00', to: '20:00', timezone_attribute: tz}}", "activities.m.window.timezone_attribute", `attribute "tz": customers has no such attribute`},
		{"attribute not a string", "{type: email, window: {from: '09:00', to: '20:00', timezone_attribute: created_at}}", "activities.m.window.timezone_attribute", "is of type timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := head + "  m: " + tt.mail + "\n  e: {type: end}\ntransitions: [start -> all, all -> m, m -> e]\n"
			d, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			problems := problemsOf(t, Validate(d, setupModel(t), savedAudiences))
			if tt.path == "" {
				if len(problems) != 0 {
					t.Fatalf("problems: %+v", problems)
				}
				return
			}
			for _, p := range problems {
				if p.Path == tt.path && p.Activity == "m" && strings.Contains(p.Message, tt.message) && p.Line == 7 {
					return
				}
			}
			t.Fatalf("want %s: %q at line 7, got %+v", tt.path, tt.message, problems)
		})
	}
}
