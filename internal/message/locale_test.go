package message

import (
	"testing"
	"time"
)

func TestFilters(t *testing.T) {
	when := time.Date(2026, 3, 7, 14, 5, 0, 0, time.UTC) // a Saturday
	ctx := map[string]any{"d": when, "n": 1234.5, "neg": -1234.567, "big": int64(1234567), "s": "2026-03-07", "none": nil, "blank": "  ", "list": []any{}}
	tests := []struct {
		name, locale, src, want string
	}{
		{name: "date default long en", locale: "en", src: "{{ d | date }}", want: "March 7, 2026"},
		{name: "date long fr", locale: "fr", src: "{{ d | date: 'long' }}", want: "7 mars 2026"},
		{name: "date long de", locale: "de", src: "{{ d | date: 'long' }}", want: "7. März 2026"},
		{name: "date long es", locale: "es", src: "{{ d | date: 'long' }}", want: "7 de marzo de 2026"},
		{name: "date full fr", locale: "fr", src: "{{ d | date: 'full' }}", want: "samedi 7 mars 2026"},
		{name: "date full de", locale: "de", src: "{{ d | date: 'full' }}", want: "Samstag, 7. März 2026"},
		{name: "date strftime es", locale: "es", src: "{{ d | date: '%A %d %B %H:%M' }}", want: "sábado 07 marzo 14:05"},
		{name: "date short en", locale: "en", src: "{{ d | date: 'short' }}", want: "03/07/2026"},
		{name: "date short de", locale: "de", src: "{{ d | date: 'short' }}", want: "07.03.2026"},
		{name: "date from string", locale: "en", src: "{{ s | date: '%b %-d' }}", want: "Mar 7"},
		{name: "date of nil with default", locale: "en", src: "{{ none | date | default: 'soon' }}", want: "soon"},
		{name: "money en", locale: "en", src: "{{ n | money: 'EUR' }}", want: "€1,234.50"},
		{name: "money fr", locale: "fr", src: "{{ n | money: 'EUR' }}", want: "1 234,50 €"},
		{name: "money de", locale: "de", src: "{{ n | money: 'EUR' }}", want: "1.234,50 €"},
		{name: "money es usd", locale: "es", src: "{{ n | money: 'USD' }}", want: "1.234,50 $"},
		{name: "money en usd negative", locale: "en", src: "{{ neg | money: 'USD' }}", want: "-$1,234.57"},
		{name: "money default currency", locale: "en", src: "{{ n | money }}", want: "€1,234.50"},
		{name: "money yen no decimals", locale: "en", src: "{{ big | money: 'JPY' }}", want: "¥1,234,567"},
		{name: "number 2 en", locale: "en", src: "{{ big | number: 2 }}", want: "1,234,567.00"},
		{name: "number 2 fr", locale: "fr", src: "{{ big | number: 2 }}", want: "1 234 567,00"},
		{name: "number 0 de", locale: "de", src: "{{ n | number }}", want: "1.235"},
		{name: "default on nil", locale: "en", src: "{{ none | default: 'friend' }}", want: "friend"},
		{name: "default on missing", locale: "en", src: "{{ missing | default: 'friend' }}", want: "friend"},
		{name: "default on blank", locale: "en", src: "{{ blank | default: 'friend' }}", want: "friend"},
		{name: "default on empty list", locale: "en", src: "{{ list | default: 'none' }}", want: "none"},
		{name: "locale from country", locale: "en", src: "{{ 'DE' | locale }} {{ 'fr-CA' | locale }} {{ 'XX' | locale }}", want: "de fr en"},
		{name: "size first last", locale: "en", src: "{{ 'abc' | size }} {{ list | size }}", want: "3 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := parseSafely(newEngine(tt.locale, false), tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := renderSafely(tpl, ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeLocale(t *testing.T) {
	for in, want := range map[string]string{"fr-FR": "fr", "de_AT": "de", "ES": "es", "": "en", "pt": "en"} {
		if got := NormalizeLocale(in); got != want {
			t.Errorf("NormalizeLocale(%q) = %q, want %q", in, got, want)
		}
	}
}
