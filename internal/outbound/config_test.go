package outbound

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadNamesEachProblemAndAppliesDefaults(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("whsec-from-a-file-0123\n"), 0o600)
	write := func(doc string) string {
		p := filepath.Join(dir, "outbound.json")
		os.WriteFile(p, []byte(doc), 0o600)
		return p
	}
	c, err := Load(write(`{"destinations": [
		{"name": "lake", "kind": "files", "dir": "/tmp/x", "events": true, "max_age": "5m"},
		{"name": "cdp", "kind": "webhook", "url": "https://cdp.example/hook", "secret_file": "` + secretFile + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	lake, cdp := c.Destinations[0], c.Destinations[1]
	if lake.MaxBytes != DefaultMaxBytes || time.Duration(lake.MaxAge) != 5*time.Minute || lake.Batch != DefaultBatch || lake.AudienceKeep != DefaultAudienceKeep {
		t.Fatalf("lake %+v", lake)
	}
	if cdp.Secret != "whsec-from-a-file-0123" || cdp.Attempts != DefaultAttempts || time.Duration(cdp.Backoff) != time.Second || cdp.AudiencePart != DefaultAudiencePart {
		t.Fatalf("cdp %+v", cdp)
	}
	_, err = Load(write(`{"destinations": [
		{"name": "Lake", "kind": "files", "audience_keep": -1},
		{"name": "cdp", "kind": "webhook", "url": "ftp://x", "secret": "short", "batch": 20000, "audience_part": 2000000},
		{"name": "cdp", "kind": "s3"}]}`))
	for _, want := range []string{"destinations[0].name", "destinations[0].dir", "destinations[0].audience_keep", "destinations[1].audience_part", "destinations[1].url", "destinations[1].secret", "destinations[1].batch", "destinations[2].name: cdp is named twice", "destinations[2].kind"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v: want it to name %s", err, want)
		}
	}
	if _, err := Load(write(`{"destinations": [{"name": "x", "kind": "files", "dir": "d", "max_size": 5}]}`)); err == nil || !strings.Contains(err.Error(), "max_size") {
		t.Errorf("unknown field: %v", err)
	}
}
