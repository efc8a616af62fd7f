package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/message"
)

// RenderBudget is the budget every message's render gets, from the flags.
func (g *Globals) RenderBudget() message.Budget {
	return message.Budget{Bytes: int64(g.RenderMaxBytes), Time: g.RenderMaxTime}
}

// byteSize is a flag holding a number of bytes, written plainly or with a
// binary unit (64KiB, 8MiB, 1GiB).
type byteSize int64

// UnmarshalText reads a size such as 8MiB.
func (b *byteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size (a number of bytes, or with KiB, MiB or GiB)", text)
	}
	*b = byteSize(n * mult)
	return nil
}
