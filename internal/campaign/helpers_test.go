package campaign

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// setupModel returns the shop model of testdata/model.yaml.
func setupModel(t testing.TB) *datamodel.Model {
	t.Helper()
	doc, err := os.ReadFile("testdata/model.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// savedAudiences knows one saved audience of customers, "vip".
func savedAudiences(name string) (string, bool) {
	if name == "vip" {
		return "customers", true
	}
	return "", false
}

// documentedExample returns the first YAML example of docs/campaigns.md.
func documentedExample(t testing.TB) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/campaigns.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	if !ok {
		t.Fatal("no yaml example in docs/campaigns.md")
	}
	example, _, _ := strings.Cut(rest, "```")
	return example
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not a *ValidationError: %v", err, err)
	}
	return ve.Problems
}

// documentedTypes returns the activity types of the tables of
// docs/campaigns.md: the backquoted names in the first column.
func documentedTypes(t testing.TB) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/campaigns.md")
	if err != nil {
		t.Fatal(err)
	}
	_, acts, _ := strings.Cut(string(doc), "## Activities")
	acts, _, _ = strings.Cut(acts, "\n## ")
	var names []string
	for _, line := range strings.Split(acts, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(line[1:], "|")
		for _, f := range strings.Split(first, ",") {
			names = append(names, strings.Trim(strings.TrimSpace(f), "`"))
		}
	}
	return names
}
