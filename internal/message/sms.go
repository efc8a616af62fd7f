package message

import "unicode/utf16"

// SMS encodings.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// Segment sizes: a single SMS holds 160 septets or 70 UCS-2 units; the
// parts of a concatenated one lose 7 septets or 3 units to the header.
const (
	gsmSingle, gsmPart   = 160, 153
	ucs2Single, ucs2Part = 70, 67
)

// gsmBasic is the GSM 03.38 default alphabet (the escape slot excluded).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension holds the characters reached through the escape code: each
// takes two septets.
const gsmExtension = "\f^{}\\[~]|€"

var gsmCost = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// SegmentInfo says how an SMS text travels: its encoding (GSM-7 when
// every character is in the GSM 03.38 alphabet or its extension table,
// else UCS-2), the number of segments and its length in the encoding's
// units (septets, extension characters counting two; UTF-16 units,
// characters outside the Basic Multilingual Plane counting two). A
// character is never split across segments.
func SegmentInfo(text string) (encoding string, segments, chars int) {
	costs := make([]int, 0, len(text))
	encoding = GSM7
	for _, r := range text {
		c, ok := gsmCost[r]
		if !ok {
			encoding = UCS2
			break
		}
		costs = append(costs, c)
	}
	single, part := gsmSingle, gsmPart
	if encoding == UCS2 {
		single, part = ucs2Single, ucs2Part
		costs = costs[:0]
		for _, r := range text {
			costs = append(costs, utf16.RuneLen(r))
		}
	}
	for _, c := range costs {
		chars += c
	}
	switch {
	case chars == 0:
		return encoding, 0, 0
	case chars <= single:
		return encoding, 1, chars
	}
	segments, used := 1, 0
	for _, c := range costs {
		if used+c > part {
			segments++
			used = 0
		}
		used += c
	}
	return encoding, segments, chars
}
