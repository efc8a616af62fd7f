package app

import (
	"net/http"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
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

// httpFlags set the server's timeouts: none of them caps a long request
// that keeps moving.
type httpFlags struct {
	ReadHeaderTimeout time.Duration `name:"http-read-header-timeout" env:"FANFARE_HTTP_READ_HEADER_TIMEOUT" default:"10s" help:"Time a client has to send a request's headers."`
	IdleTimeout       time.Duration `name:"http-idle-timeout" env:"FANFARE_HTTP_IDLE_TIMEOUT" default:"2m" help:"Time an idle keep-alive connection stays open."`
	MinRate           ByteSize      `name:"http-min-rate" env:"FANFARE_HTTP_MIN_RATE" default:"1KiB" help:"Bytes a second a client must keep sending a request body and taking a response, on average, after the grace (0: no minimum)."`
	RateGrace         time.Duration `name:"http-rate-grace" env:"FANFARE_HTTP_RATE_GRACE" default:"30s" help:"Time a client may make the server wait before the minimum rate counts."`
}

// server returns an HTTP server with the flags' timeouts.
func (f httpFlags) server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: f.ReadHeaderTimeout, IdleTimeout: f.IdleTimeout}
}

// transfer returns the API's minimum transfer rate.
func (f httpFlags) transfer() api.Transfer {
	return api.Transfer{MinRate: int64(f.MinRate), Grace: f.RateGrace}
}
