package app

import (
	"net/http"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/cli"
)

// httpFlags set the server's timeouts: none of them caps a long request
// that keeps moving.
type httpFlags struct {
	ReadHeaderTimeout time.Duration `name:"http-read-header-timeout" env:"FANFARE_HTTP_READ_HEADER_TIMEOUT" default:"10s" help:"Time a client has to send a request's headers."`
	IdleTimeout       time.Duration `name:"http-idle-timeout" env:"FANFARE_HTTP_IDLE_TIMEOUT" default:"2m" help:"Time an idle keep-alive connection stays open."`
	MinRate           cli.ByteSize  `name:"http-min-rate" env:"FANFARE_HTTP_MIN_RATE" default:"1KiB" help:"Bytes a second a client must keep sending a request body and taking a response, on average, after the grace (0: no minimum)."`
	RateGrace         time.Duration `name:"http-rate-grace" env:"FANFARE_HTTP_RATE_GRACE" default:"30s" help:"Time a client may make the server wait before the minimum rate counts."`
	MaxUpload         cli.ByteSize  `name:"max-upload" env:"FANFARE_MAX_UPLOAD" default:"4GiB" help:"Largest file an upload may send (an import, a consent file), compressed or not: an import's file waits in a temporary file ($TMPDIR) while it loads, so this bounds the disk one upload takes."`
}

// server returns an HTTP server with the flags' timeouts.
func (f httpFlags) server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: f.ReadHeaderTimeout, IdleTimeout: f.IdleTimeout}
}

// transfer returns the API's minimum transfer rate.
func (f httpFlags) transfer() api.Transfer {
	return api.Transfer{MinRate: int64(f.MinRate), Grace: f.RateGrace}
}
