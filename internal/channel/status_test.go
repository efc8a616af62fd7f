package channel

import "testing"

func TestParseEnhancedStatus(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		hard bool
	}{
		{"5.1.1", "5.1.1", true},
		{"smtp; 550 5.1.1 <a@example.com>: user unknown", "5.1.1", true},
		{"Status: 5.1.10 (recipient not found).", "5.1.10", true},
		{"452 4.2.2 over quota", "4.2.2", false},
		{"554 5.7.1 blocked by policy", "5.7.1", false},
		{"host [10.5.1.1] said: 550 5.2.1 disabled", "5.2.1", true},
		{"version 5.1.1.3 of the server", "", false},
		{"from 192.5.1.1 only", "", false},
	} {
		got, ok := ParseEnhancedStatus(c.in)
		if (c.want == "") == ok || ok && (got.String() != c.want || got.AddressGone() != c.hard) {
			t.Errorf("ParseEnhancedStatus(%q) = %v, %v (gone %v); want %q, gone %v", c.in, got, ok, got.AddressGone(), c.want, c.hard)
		}
	}
}
