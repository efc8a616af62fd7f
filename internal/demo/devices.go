package demo

import (
	"bufio"
	"strconv"
)

const (
	hexDigits = "0123456789abcdef"
	b64url    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// writeDevices writes the app installations of the ~40% of customers who
// have the app: mostly one, some two or three, one in ten inactive.
func writeDevices(g *generator, w *bufio.Writer, progress func(int64)) (int64, error) {
	r := g.rng
	var (
		n    int64
		line = make([]byte, 0, 256)
	)
	const month = 30 * 86400
	for id := int64(1); id <= g.customers; id++ {
		c := g.core(id)
		if c.devices == 0 {
			continue
		}
		platform := 0
		if g.chance(0.55) {
			platform = 1
		}
		for k := range c.devices {
			if k > 0 && g.chance(0.3) {
				platform = 1 - platform
			}
			// Older installations were more often replaced.
			active := g.chance(0.93 - 0.1*float64(k))
			var seen int64
			if active {
				seen = g.now - r.Int64N(month)
			} else {
				seen = g.now - month - r.Int64N(2*365*86400)
			}
			if seen <= c.createdAt {
				seen = c.createdAt + r.Int64N(g.now-c.createdAt)
			}
			n++
			line = appendUUID(line[:0], r.Uint64(), r.Uint64())
			line = append(line, ',')
			line = strconv.AppendInt(line, id, 10)
			line = append(line, ',')
			if platform == 0 {
				// APNs device tokens are 32 bytes in hex.
				for range 4 {
					line = appendHex(line, r.Uint64())
				}
			} else {
				// FCM registration tokens: an instance id, a colon, a
				// long base64url payload.
				line = appendBase64(line, 22, r)
				line = append(line, ":APA91b"...)
				line = appendBase64(line, 60, r)
			}
			line = append(line, ',')
			line = append(line, platforms[platform]...)
			line = append(line, ',')
			line = appendBool(line, active)
			line = append(line, ',')
			line = appendTimestamp(line, seen)
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				return n - 1, err
			}
			progressTick(n, progress)
		}
	}
	return n, nil
}

func appendHex(b []byte, v uint64) []byte {
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[v>>uint(i)&0xf])
	}
	return b
}

// appendUUID appends a version 4 UUID built from two random words.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	var raw []byte
	raw = appendHex(raw, hi)
	raw = appendHex(raw, lo)
	b = append(b, raw[0:8]...)
	b = append(b, '-')
	b = append(b, raw[8:12]...)
	b = append(b, '-')
	b = append(b, raw[12:16]...)
	b = append(b, '-')
	b = append(b, raw[16:20]...)
	b = append(b, '-')
	return append(b, raw[20:32]...)
}

func appendBase64(b []byte, n int, r interface{ Uint64() uint64 }) []byte {
	for n > 0 {
		v := r.Uint64()
		for i := 0; i < 10 && n > 0; i++ {
			b = append(b, b64url[v&63])
			v >>= 6
			n--
		}
	}
	return b
}
