package delivery_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

func TestUnsubscribeLinksCannotBeForged(t *testing.T) {
	s := delivery.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}
	u := delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"customer_id":8}`, Channel: "email", MessageID: "1:mail:8"}
	tok := s.Token(u)
	got, err := s.Parse(tok)
	if err != nil || got != u {
		t.Fatalf("Parse(Token) = %+v, %v", got, err)
	}
	body, sig, _ := strings.Cut(tok, ".")
	other := s.Token(delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"customer_id":9}`, Channel: "email"})
	otherBody, _, _ := strings.Cut(other, ".")
	for name, bad := range map[string]string{
		"another profile with this signature": otherBody + "." + sig,
		"truncated signature":                 body + "." + sig[:10],
		"no signature":                        body,
		"empty":                               "",
		"signed with another key":             delivery.Signer{Key: []byte("another key of thirty two bytes!")}.Token(u),
	} {
		if _, err := s.Parse(bad); !errors.Is(err, delivery.ErrBadLink) {
			t.Errorf("%s: err = %v, want ErrBadLink", name, err)
		}
	}
}
