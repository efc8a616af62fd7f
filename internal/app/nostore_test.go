package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/service"
)

// TestCommandsCreateNoStoreByAccident: a command that only reads or
// changes a store says where it looked when there is none, and leaves
// nothing behind; the commands meant to create one still do.
func TestCommandsCreateNoStoreByAccident(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "fanfare-data")
	for _, args := range [][]string{
		{"campaign", "list"},
		{"audience", "list"},
		{"model", "show"},
		{"messages"},
		{"campaign", "status", "1"},
	} {
		code, out, errs := run(t, append([]string{"--data-dir", dir}, args...)...)
		if code != 1 || !strings.Contains(errs, "no fanfare store in "+dir+" (no fanfare.duckdb there") || out != "" {
			t.Fatalf("%v without a store: %d %q %q", args, code, out, errs)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%v created %s: %v", args, dir, err)
		}
	}
	if code, out, errs := run(t, "--data-dir", dir, "model", "apply", "testdata/model.yaml"); code != 0 {
		t.Fatalf("apply: %d %s %s", code, out, errs)
	}
	if code, out, errs := run(t, "--data-dir", dir, "campaign", "list"); code != 0 {
		t.Fatalf("list once the store exists: %d %s %s", code, out, errs)
	}
}

// TestMessagesLimitIsServedOrRefused: a limit beyond the maximum is
// refused with the maximum named, not cut silently to 100.
func TestMessagesLimitIsServedOrRefused(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		if code, out, errs := cli("messages", "--limit", "100000"); code != 1 || !strings.Contains(errs, "at most 10000 messages at once, not 100000") {
			t.Fatalf("messages --limit 100000: %d %q %q", code, out, errs)
		}
		if code, out, errs := cli("messages", "--limit", "10000"); code != 0 {
			t.Fatalf("messages --limit 10000: %d %q %q", code, out, errs)
		}
	})
}

// TestCampaignSchemaNeedsNoStore: `fanfare campaign schema` prints the
// document's JSON Schema — the one the API serves — with no store
// anywhere (an editor's or a CI job's machine), and creates none.
func TestCampaignSchemaNeedsNoStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "fanfare-data")
	code, out, errs := run(t, "--data-dir", dir, "campaign", "schema")
	if code != 0 || errs != "" {
		t.Fatalf("campaign schema: %d %q", code, errs)
	}
	want, err := service.CampaignSchema()
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if json.Unmarshal([]byte(out), &a) != nil || json.Unmarshal(want, &b) != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("printed %.200q…, want the service's schema", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("campaign schema created %s: %v", dir, err)
	}
}
