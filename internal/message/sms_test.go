package message

import (
	"strings"
	"testing"
)

func TestSegmentInfo(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		encoding string
		segments int
		chars    int
	}{
		{name: "empty", text: "", encoding: GSM7, segments: 0, chars: 0},
		{name: "ô is not GSM-7", text: "Hello @Ann, £5 off! à bientôt", encoding: UCS2, segments: 1, chars: 29},
		{name: "ç lowercase is not GSM-7", text: "ça", encoding: UCS2, segments: 1, chars: 2},
		{name: "GSM-7 basic accents", text: "Hello @Ann, £5 off: Ça à é ü Ñ", encoding: GSM7, segments: 1, chars: 30},
		{name: "extension euro counts two", text: "5€", encoding: GSM7, segments: 1, chars: 3},
		{name: "extension braces", text: "{[~]}|^\\", encoding: GSM7, segments: 1, chars: 16},
		{name: "160 septets is one segment", text: strings.Repeat("a", 160), encoding: GSM7, segments: 1, chars: 160},
		{name: "161 septets is two", text: strings.Repeat("a", 161), encoding: GSM7, segments: 2, chars: 161},
		{name: "306 septets is two", text: strings.Repeat("a", 306), encoding: GSM7, segments: 2, chars: 306},
		{name: "307 septets is three", text: strings.Repeat("a", 307), encoding: GSM7, segments: 3, chars: 307},
		{name: "euro not split across segments", text: strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), encoding: GSM7, segments: 2, chars: 164},
		{name: "159 plus euro is 161", text: strings.Repeat("a", 159) + "€", encoding: GSM7, segments: 2, chars: 161},
		{name: "UCS-2 emoji counts two", text: "Hi 👋", encoding: UCS2, segments: 1, chars: 5},
		{name: "UCS-2 70 units", text: strings.Repeat("ж", 70), encoding: UCS2, segments: 1, chars: 70},
		{name: "UCS-2 71 units", text: strings.Repeat("ж", 71), encoding: UCS2, segments: 2, chars: 71},
		{name: "UCS-2 surrogate pair not split", text: strings.Repeat("ж", 66) + "👋" + strings.Repeat("ж", 5), encoding: UCS2, segments: 2, chars: 73},
		{name: "UCS-2 134 units", text: strings.Repeat("ж", 134), encoding: UCS2, segments: 2, chars: 134},
		{name: "UCS-2 135 units", text: strings.Repeat("ж", 135), encoding: UCS2, segments: 3, chars: 135},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, seg, chars := SegmentInfo(tt.text)
			if enc != tt.encoding || seg != tt.segments || chars != tt.chars {
				t.Errorf("SegmentInfo = %s, %d segments, %d chars; want %s, %d, %d", enc, seg, chars, tt.encoding, tt.segments, tt.chars)
			}
		})
	}
}
