package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/service"
)

// TestLocalSendUsesThePublicURL: a send without a server signs its
// unsubscribe links under the configured public URL; with none, they
// point at a reserved name that never resolves, and the command warns
// once, naming the flag and the variable.
func TestLocalSendUsesThePublicURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, flag, link string
		warns            bool
	}{
		{name: "configured", flag: "--public-url=https://news.example.com/", link: "https://news.example.com/u/"},
		{name: "none", link: service.NoPublicURL + "/u/", warns: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
				if tc.flag != "" {
					base := cli
					cli = func(args ...string) (int, string, string) { return base(append([]string{tc.flag}, args...)...) }
				}
				cli("model", "apply", "testdata/model.yaml")
				cli("import", "customers", "testdata/customers.csv")
				doc := filepath.Join(dir, "hello.yaml")
				os.WriteFile(doc, []byte(strings.Replace(strings.Replace(proofCampaign, "name: gold", "name: hello", 1), `'tier = "gold"'`, "'all'", 1)), 0o600)
				for _, args := range [][]string{{"campaign", "save", doc}, {"campaign", "publish", "hello"}} {
					if code, _, errs := cli(args...); code != 0 {
						t.Fatalf("%v: %s", args, errs)
					}
				}
				code, out, started := cli("campaign", "start", "hello")
				if code != 0 {
					t.Fatalf("start: %d %s\nstderr: %s", code, out, started)
				}
				code, out, errs := cli("messages", "--json")
				var list []struct {
					ID string `json:"id"`
				}
				if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) == 0 {
					t.Fatalf("messages: %d %s %s", code, out, errs)
				}
				for _, m := range list {
					code, out, errs := cli("messages", m.ID, "--json")
					if code != 0 || !strings.Contains(out, tc.link) || strings.Contains(out, "127.0.0.1") {
						t.Fatalf("message %s: want links under %s: %d %s %s", m.ID, tc.link, code, out, errs)
					}
				}
				warning := "no public URL is configured (--public-url, FANFARE_PUBLIC_URL)"
				if strings.Count(started, warning) != map[bool]int{true: 1, false: 0}[tc.warns] {
					t.Fatalf("start's warnings: %s", started)
				}
			})
		})
	}
}
