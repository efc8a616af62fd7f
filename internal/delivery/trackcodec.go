package delivery

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// The compact encoding of a Track inside a v2 token: the kind's byte
// ('o' or 'c'), then RunID, Sent and Link as unsigned varints, then
// MessageID, Activity, URL and Label, each a varint of its length
// (doubled, plus one when it is lowercase hexadecimal of even length,
// kept as its bytes: a message id takes half the room) and its bytes.
// Nothing may follow.

// errTrackCodec is a payload that is not a Track's encoding.
var errTrackCodec = errors.New("tracking token: malformed payload")

// appendBinary appends t's encoding to b.
func (t Track) appendBinary(b []byte) []byte {
	kind := byte(0) // a kind other than "o" and "c" does not decode
	if len(t.Kind) == 1 {
		kind = t.Kind[0]
	}
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(max(t.RunID, 0)))
	b = binary.AppendUvarint(b, uint64(max(t.Sent, 0)))
	b = binary.AppendUvarint(b, uint64(max(t.Link, 0)))
	for _, s := range []string{t.MessageID, t.Activity, t.URL, t.Label} {
		b = appendTrackString(b, s)
	}
	return b
}

func appendTrackString(b []byte, s string) []byte {
	if len(s) > 0 && isLowerHex(s) {
		b = binary.AppendUvarint(b, uint64(len(s)/2)<<1|1)
		b, _ = hex.AppendDecode(b, []byte(s)) // isLowerHex: no error
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<1)
	return append(b, s...)
}

// isLowerHex reports whether s is lowercase hexadecimal of even length,
// so that decoding its bytes gives s back.
func isLowerHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// decodeBinary reads an encoding made by appendBinary.
func (t *Track) decodeBinary(b []byte) error {
	if len(b) == 0 || (b[0] != 'o' && b[0] != 'c') {
		return errTrackCodec
	}
	t.Kind = string(b[:1])
	b = b[1:]
	var nums [3]int64
	for i := range nums {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > 1<<62 {
			return errTrackCodec
		}
		nums[i], b = int64(v), b[n:]
	}
	t.RunID, t.Sent, t.Link = nums[0], nums[1], int(nums[2])
	for _, s := range []*string{&t.MessageID, &t.Activity, &t.URL, &t.Label} {
		v, n := binary.Uvarint(b)
		if n <= 0 || v>>1 > uint64(len(b)-n) {
			return errTrackCodec
		}
		b = b[n:]
		size := int(v >> 1)
		if v&1 == 1 {
			if size == 0 {
				return errTrackCodec
			}
			*s = hex.EncodeToString(b[:size])
		} else {
			*s = string(b[:size])
		}
		b = b[size:]
	}
	if len(b) != 0 {
		return errTrackCodec
	}
	return nil
}
