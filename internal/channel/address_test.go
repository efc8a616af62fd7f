package channel

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	// long is a 185-octet domain prefix of 60-octet labels: with a 64-octet
	// local part, "@" and ".com" the address is exactly 254 octets.
	long := strings.Repeat(strings.Repeat("b", 60)+".", 3) + "bb"
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "plain", in: "ada@example.com", ok: true},
		{name: "plus tag", in: "ada+news@mail.example.co.uk", ok: true},
		{name: "single label", in: "postmaster@localhost", ok: true},
		{name: "utf8 local", in: "élodie@example.fr", ok: true},
		{name: "utf8 domain", in: "ada@bücher.de", ok: true},
		{name: "empty", in: ""},
		{name: "no at", in: "ada.example.com"},
		{name: "empty local", in: "@example.com"},
		{name: "empty domain", in: "ada@"},
		{name: "CRLF injection", in: "ada@example.com\r\nBcc: eve@example.com"},
		{name: "LF", in: "ada@example.com\n"},
		{name: "CR", in: "ada\r@example.com"},
		{name: "NUL", in: "ada\x00@example.com"},
		{name: "space", in: "ada lovelace@example.com"},
		{name: "angle brackets", in: "<ada@example.com>"},
		{name: "display name", in: "Ada <ada@example.com>"},
		{name: "two addresses", in: "ada@example.com,eve@example.com"},
		{name: "invalid utf8", in: "ad\xffa@example.com"},
		{name: "line separator", in: "ada\u2028@example.com"},
		{name: "too long", in: strings.Repeat("a", 64) + "@" + long + "x.com"},
		{name: "local too long", in: strings.Repeat("a", 65) + "@example.com"},
		{name: "leading dot", in: ".ada@example.com"},
		{name: "double dot", in: "a..da@example.com"},
		{name: "hyphen label", in: "ada@-example.com"},
		{name: "empty label", in: "ada@example..com"},
		{name: "label too long", in: "ada@" + strings.Repeat("x", 64) + ".com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckEmail(tt.in)
			if tt.ok && err != nil {
				t.Fatalf("CheckEmail(%q) = %v, want nil", tt.in, err)
			}
			if !tt.ok && !errors.Is(err, ErrAddress) {
				t.Fatalf("CheckEmail(%q) = %v, want ErrAddress", tt.in, err)
			}
		})
	}
	if err := CheckEmail(strings.Repeat("a", 64) + "@" + long + ".com"); err != nil {
		t.Fatalf("254-octet address refused: %v", err)
	}
}

func TestCheckPhone(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "french mobile", in: "+33612345678", ok: true},
		{name: "8 digits", in: "+12345678", ok: true},
		{name: "15 digits", in: "+123456789012345", ok: true},
		{name: "7 digits", in: "+1234567"},
		{name: "16 digits", in: "+1234567890123456"},
		{name: "no plus", in: "33612345678"},
		{name: "leading zero", in: "+0612345678"},
		{name: "spaces", in: "+33 6 12 34 56 78"},
		{name: "CRLF", in: "+33612345678\r\n"},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPhone(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckPhone(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

func TestCheckToken(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "apns hex", in: strings.Repeat("ab12", 16), ok: true},
		{name: "fcm", in: "dGVzdA:APA91bH-x_y", ok: true},
		{name: "empty", in: ""},
		{name: "space", in: "abc def"},
		{name: "newline", in: "abc\ndef"},
		{name: "non ascii", in: "abcé"},
		{name: "too long", in: strings.Repeat("a", 4097)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckToken(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckToken(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", "a\r\nb@c", "élodie@example.fr", "\xff@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckEmail(s) != nil {
			return
		}
		if strings.ContainsAny(s, "\r\n\x00<>, ") || len(s) > 254 {
			t.Fatalf("accepted unsafe address %q", s)
		}
	})
}
