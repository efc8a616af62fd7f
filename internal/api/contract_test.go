package api_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
)

// untested are the operations whose success status no test of this
// package reaches, each with why. The list may only shrink: TestMain
// fails when an operation without test traffic is missing from it, and
// when one in it gets test traffic.
var untested = map[string]string{
	"POST /api/runs/{id}/activities/{activity}/retry": "needs a run whose activity failed, which takes the engine's workers and a failing activity; the engine's tests retry one",
}

// TestMain runs the package's tests, whose servers check every exchange
// against openapi.json (newAPI), then, on a whole run that passed,
// requires that the checked traffic reached every operation's success
// status (apitest.Uncovered) but those in untested.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && wholeRun() {
		missing, err := apitest.Uncovered(untested)
		if err != nil {
			missing = []string{err.Error()}
		}
		for _, m := range missing {
			fmt.Fprintln(os.Stderr, "openapi.json coverage:", m)
			code = 1
		}
	}
	os.Exit(code)
}

// wholeRun is true when no -run or -skip filter left tests out.
func wholeRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// TestErrorCodesAreDocumented keeps ErrorBody's enums of codes and
// reasons in step with the errors the API answers: its kinds of domain
// error, and the codes its handlers write themselves.
func TestErrorCodesAreDocumented(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				ErrorBody struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code, Reason struct {
									Enum []string `json:"enum"`
								}
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				}
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Components.Schemas.ErrorBody.Properties.Error.Properties
	codes, reasons := map[string]bool{}, map[string]bool{}
	for _, k := range api.ErrorKinds() {
		codes[k.Code] = true
		if k.Reason != "" {
			reasons[k.Reason] = true
		}
	}
	files, _ := filepath.Glob("*.go")
	written := regexp.MustCompile(`writeError\(w, [^,]+, "([a-z_]+)"`)
	// An answer written as an ErrorBody literal (an import's, whose
	// details carry its summary) names its reason there.
	literal := regexp.MustCompile(`ErrorDetail\{Code: "([a-z_]+)", Reason: "([a-z_]+)"`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range written.FindAllStringSubmatch(string(src), -1) {
			codes[m[1]] = true
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			codes[m[1]], reasons[m[2]] = true, true
		}
	}
	for c := range codes {
		if !slices.Contains(e.Code.Enum, c) {
			t.Errorf("error code %q is not in ErrorBody's enum", c)
		}
	}
	for r := range reasons {
		if !slices.Contains(e.Reason.Enum, r) {
			t.Errorf("error reason %q is not in ErrorBody's enum", r)
		}
	}
	if len(codes) != len(e.Code.Enum) || len(reasons) != len(e.Reason.Enum) {
		t.Errorf("ErrorBody lists codes %v and reasons %v; the API answers %v and %v", e.Code.Enum, e.Reason.Enum, codes, reasons)
	}
}
