package cli

import (
	"github.com/fanfare-dev/fanfare/internal/ingest"
)

// ByteSize is a size setting: a number of bytes, or a number followed by
// KiB, MiB or GiB.
type ByteSize int64

// UnmarshalText reads a size such as 4MiB.
func (b *ByteSize) UnmarshalText(text []byte) error {
	n, err := ingest.ParseSize(string(text))
	if err != nil {
		return err
	}
	*b = ByteSize(n)
	return nil
}

// readLimitFlags bound what reading a file may cost, whoever reads it: an
// import, a campaign's load_file, a consent import.
type readLimitFlags struct {
	MaxLine         ByteSize `name:"max-line" env:"FANFARE_MAX_LINE" default:"4MiB" help:"Longest line (a CSV record, an NDJSON line) a file may have; a longer one is rejected and skipped, the file goes on."`
	MaxInflated     ByteSize `name:"max-inflated" env:"FANFARE_MAX_INFLATED" default:"0" help:"Most bytes a gzip file may inflate to (0: no cap); past it the import fails."`
	MaxInflateRatio int64    `name:"max-inflate-ratio" env:"FANFARE_MAX_INFLATE_RATIO" default:"100" help:"Most bytes a gzip file may inflate to per compressed byte, once past 64 MiB (0: no cap); past it the import fails as a decompression bomb."`
}

// limits returns the reading limits the flags set.
func (f readLimitFlags) limits() ingest.Limits {
	ratio := f.MaxInflateRatio
	if ratio == 0 {
		ratio = -1
	}
	return ingest.Limits{MaxLine: int(f.MaxLine), MaxInflated: int64(f.MaxInflated), MaxInflateRatio: ratio}
}

// ReadLimits returns the reading limits the flags set.
func (g *Globals) ReadLimits() ingest.Limits { return g.limits() }
