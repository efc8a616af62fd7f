package ingest

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Default reading limits. A line of a few MiB is far more than any real
// customer row, and small enough that a reader per import costs nothing to
// bound; gzip of real exports inflates 5 to 20 times, while a bomb inflates
// about 1 000 times.
const (
	DefaultMaxLine         = 4 << 20
	DefaultMaxInflateRatio = 100
	// inflateRatioFloor is how many bytes a file may inflate to before the
	// ratio is checked: a small file that compresses very well is no threat.
	inflateRatioFloor = 64 << 20
)

// Limits bound what reading one file may cost, whoever reads it (imports,
// load_file, consent imports). The zero value means the defaults.
type Limits struct {
	// MaxLine is the longest line (an NDJSON line, a CSV record with its
	// quoted newlines) in bytes; a longer one is rejected and skipped
	// without being held in memory. 0 means DefaultMaxLine.
	MaxLine int
	// MaxInflated caps the bytes a gzip file may inflate to; 0 means no
	// cap.
	MaxInflated int64
	// MaxInflateRatio caps inflated bytes per compressed byte once a file
	// has inflated past RatioFloor; 0 means DefaultMaxInflateRatio and a
	// negative value no cap.
	MaxInflateRatio int64
	// RatioFloor is how many bytes may inflate before the ratio counts;
	// 0 means 64 MiB. Tests lower it.
	RatioFloor int64
}

// maxLine returns the line limit in force.
func (l Limits) maxLine() int {
	if l.MaxLine <= 0 {
		return DefaultMaxLine
	}
	return l.MaxLine
}

// ErrInflateLimit is returned by a reader of a gzip file that inflates past
// the limits; the import fails with the file's name.
var ErrInflateLimit = errors.New("gzip file inflates past the limit")

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// inflateGuard stops a gzip stream that inflates past the limits, before
// a decompression bomb costs minutes of CPU (or, behind a reader without a
// line limit, memory).
type inflateGuard struct {
	r          io.Reader
	compressed *countingReader
	name       string
	max, ratio int64
	floor      int64
	n          int64
	err        error
}

func newInflateGuard(r io.Reader, compressed *countingReader, name string, l Limits) *inflateGuard {
	g := &inflateGuard{r: r, compressed: compressed, name: name, max: l.MaxInflated, ratio: l.MaxInflateRatio, floor: l.RatioFloor}
	if g.ratio == 0 {
		g.ratio = DefaultMaxInflateRatio
	}
	if g.floor <= 0 {
		g.floor = inflateRatioFloor
	}
	return g
}

func (g *inflateGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.max > 0 && int64(len(p)) > g.max-g.n+1 {
		p = p[:g.max-g.n+1] // one byte past the cap tells it is exceeded
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	switch {
	case g.max > 0 && g.n > g.max:
		g.err = fmt.Errorf("%s: %w: it inflates to more than %s (the cap on inflated bytes)", g.name, ErrInflateLimit, FormatSize(g.max))
	case g.ratio > 0 && g.n > g.floor && g.n > g.ratio*max(g.compressed.n, 1):
		g.err = fmt.Errorf("%s: %w: %s inflated from %s compressed, more than %d times (a decompression bomb?)",
			g.name, ErrInflateLimit, FormatSize(g.n), FormatSize(g.compressed.n), g.ratio)
	}
	if g.err != nil {
		return 0, g.err
	}
	return n, err
}

// FormatSize writes a byte count the way the limits are configured: in
// KiB, MiB or GiB when it is a whole number of them.
func FormatSize(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ParseSize reads a byte count: a number of bytes, or a number followed
// by KiB, MiB, GiB (or K, M, G, KB, MB, GB, read as powers of 1024 too).
func ParseSize(s string) (int64, error) {
	num := s
	shift := uint(0)
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"KB", 10}, {"MB", 20}, {"GB", 30}, {"K", 10}, {"M", 20}, {"G", 30}, {"B", 0}} {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			num, shift = s[:len(s)-len(u.suffix)], u.shift
			break
		}
	}
	for len(num) > 0 && num[len(num)-1] == ' ' {
		num = num[:len(num)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally followed by KiB, MiB or GiB", s)
	}
	return n << shift, nil
}
