package app

import (
	"fmt"
	"os"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// trackFlags configure the tracking of opens and clicks (docs/tracking.md).
type trackFlags struct {
	TrackMachines   string `name:"track-machines" env:"FANFARE_TRACK_MACHINES" type:"existingfile" help:"A file of the networks and user agents that tell machines' opens and clicks from people's (the format of the list Fanfare ships, which it replaces)."`
	TrackKeepClient bool   `name:"track-keep-client" env:"FANFARE_TRACK_KEEP_CLIENT" help:"Keep the IP address and user agent of each identified open and click (by default only the verdict, person or machine, is kept)."`
	TrustForwarded  bool   `name:"trust-forwarded" env:"FANFARE_TRUST_FORWARDED" help:"A reverse proxy in front of the server appends each client's address to X-Forwarded-For: tracking reads the address from it."`
}

// machines reads the operator's machines file, nil for the shipped list.
func (f trackFlags) machines() (*delivery.Machines, error) {
	if f.TrackMachines == "" {
		return nil, nil
	}
	file, err := os.Open(f.TrackMachines)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	m, err := delivery.ParseMachines(file)
	if err != nil {
		return nil, fmt.Errorf("--track-machines %s: %w", f.TrackMachines, err)
	}
	return m, nil
}
