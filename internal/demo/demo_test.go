package demo

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// setup generates a data set of n customers into a temporary directory and
// returns the directory and the row counts.
func setup(t testing.TB, n int) (string, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	counts, err := Generate(dir, Options{Customers: n}, nil)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return dir, counts
}

// readCSV reads an entity's file as records, header first.
func readCSV(t testing.TB, dir, entity string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, entity+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", entity, err)
	}
	return recs
}

// attribute is one attribute of model.yaml as the tests need it.
type attribute struct {
	name, typ string
	scale     int
	values    []string
}

// parseModel reads model.yaml keeping attribute order, without
// internal/datamodel.
func parseModel(t testing.TB) map[string][]attribute {
	t.Helper()
	var doc yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(Model(), &doc, yaml.UseOrderedMap()); err != nil {
		t.Fatalf("parse model.yaml: %v", err)
	}
	get := func(m yaml.MapSlice, key string) any {
		for _, it := range m {
			if it.Key == key {
				return it.Value
			}
		}
		return nil
	}
	decimal := regexp.MustCompile(`^decimal\((\d+),(\d+)\)$`)
	out := map[string][]attribute{}
	for _, e := range get(doc, "entities").(yaml.MapSlice) {
		for _, a := range get(e.Value.(yaml.MapSlice), "attributes").(yaml.MapSlice) {
			at := attribute{name: a.Key.(string), scale: 2}
			switch v := a.Value.(type) {
			case string:
				at.typ = v
				if m := decimal.FindStringSubmatch(v); m != nil {
					at.typ = "decimal"
					at.scale, _ = strconv.Atoi(m[2])
				}
			case yaml.MapSlice:
				at.typ = get(v, "type").(string)
				if s := get(v, "scale"); s != nil {
					at.scale = int(s.(uint64))
				}
				if vals, ok := get(v, "values").([]any); ok {
					for _, x := range vals {
						at.values = append(at.values, x.(string))
					}
				}
			default:
				t.Fatalf("%s.%s: unexpected attribute form %T", e.Key, at.name, v)
			}
			out[e.Key.(string)] = append(out[e.Key.(string)], at)
		}
	}
	return out
}

func TestHeadersMatchModel(t *testing.T) {
	model := parseModel(t)
	if got, want := len(model), len(Entities()); got != want {
		t.Errorf("model has %d entities, generator %d", got, want)
	}
	dir, _ := setup(t, 500)
	for _, e := range Entities() {
		var want []string
		for _, a := range model[e] {
			want = append(want, a.name)
		}
		if got := readCSV(t, dir, e)[0]; !slices.Equal(got, want) {
			t.Errorf("%s header\n got %v\nwant %v", e, got, want)
		}
		if got := Columns(e); !slices.Equal(got, want) {
			t.Errorf("Columns(%q) = %v, want %v", e, got, want)
		}
	}
}

// TestValuesMatchTypes checks every field against its attribute's type as
// docs/data-model.md defines the accepted file forms.
func TestValuesMatchTypes(t *testing.T) {
	model := parseModel(t)
	dir, _ := setup(t, 3000)
	e164 := regexp.MustCompile(`^\+[1-9]\d{7,14}$`)
	email := regexp.MustCompile(`^[a-z-]+\.[a-z-]+\.\d+@example\.(com|org|net)$`)
	for _, e := range Entities() {
		recs := readCSV(t, dir, e)
		for r, rec := range recs[1:] {
			for i, a := range model[e] {
				v := rec[i]
				where := fmt.Sprintf("%s row %d %s=%q", e, r+1, a.name, v)
				if v == "" {
					if i == 0 || a.typ == "boolean" || a.typ == "enum" || a.name == "created_at" {
						t.Fatalf("%s: unexpected NULL", where)
					}
					continue
				}
				if err := checkValue(a, v); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				switch a.name {
				case "phone":
					if !e164.MatchString(v) {
						t.Fatalf("%s: not E.164", where)
					}
				case "email":
					if !email.MatchString(v) {
						t.Fatalf("%s: unexpected email form", where)
					}
				}
			}
		}
	}
}

func checkValue(a attribute, v string) error {
	switch a.typ {
	case "integer":
		_, err := strconv.ParseInt(v, 10, 64)
		return err
	case "decimal":
		whole, frac, ok := strings.Cut(v, ".")
		if !ok || len(frac) != a.scale {
			return fmt.Errorf("want exactly %d decimals", a.scale)
		}
		if _, err := strconv.ParseUint(whole+frac, 10, 64); err != nil {
			return err
		}
	case "boolean":
		if v != "true" && v != "false" {
			return fmt.Errorf("not a boolean")
		}
	case "date":
		_, err := time.Parse(time.DateOnly, v)
		return err
	case "timestamp":
		ts, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		if !ts.Before(DefaultNow) || !strings.HasSuffix(v, "Z") {
			return fmt.Errorf("not a UTC instant before Now")
		}
	case "enum":
		if !slices.Contains(a.values, v) {
			return fmt.Errorf("not one of %v", a.values)
		}
	case "string":
	default:
		return fmt.Errorf("unknown type %s", a.typ)
	}
	return nil
}

func TestDeterministic(t *testing.T) {
	a, _ := setup(t, 2000)
	b, _ := setup(t, 2000)
	other := t.TempDir()
	if _, err := Generate(other, Options{Customers: 2000, Seed: 2}, nil); err != nil {
		t.Fatal(err)
	}
	for _, e := range Entities() {
		fa, _ := os.ReadFile(filepath.Join(a, e+".csv"))
		fb, _ := os.ReadFile(filepath.Join(b, e+".csv"))
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between two runs", e)
		}
		var buf bytes.Buffer
		if _, err := WriteEntity(&buf, e, Options{Customers: 2000}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fa, buf.Bytes()) {
			t.Errorf("%s: WriteEntity differs from Generate", e)
		}
		fo, _ := os.ReadFile(filepath.Join(other, e+".csv"))
		if e != "stores" && bytes.Equal(fa, fo) {
			t.Errorf("%s: seed 2 gives the same data as seed 1", e)
		}
	}
}

func TestReferentialIntegrity(t *testing.T) {
	dir, counts := setup(t, 5000)
	ids := map[string]map[string]bool{}
	for _, e := range Entities() {
		recs := readCSV(t, dir, e)
		if got := int64(len(recs) - 1); got != counts[e] {
			t.Errorf("%s: %d rows in file, Generate reported %d", e, got, counts[e])
		}
		ids[e] = map[string]bool{}
		for _, rec := range recs[1:] {
			if ids[e][rec[0]] {
				t.Fatalf("%s: duplicate key %s", e, rec[0])
			}
			ids[e][rec[0]] = true
		}
	}
	refs := []struct {
		entity string
		column int
		target string
		null   bool
	}{
		{"purchases", 1, "customers", false},
		{"purchases", 2, "products", false},
		{"purchases", 3, "stores", true},
		{"loyalty_subscriptions", 1, "customers", false},
		{"devices", 1, "customers", false},
	}
	for _, ref := range refs {
		nulls := 0
		for _, rec := range readCSV(t, dir, ref.entity)[1:] {
			v := rec[ref.column]
			if v == "" && ref.null {
				nulls++
				continue
			}
			if !ids[ref.target][v] {
				t.Fatalf("%s %s: %s %s does not exist", ref.entity, rec[0], ref.target, v)
			}
		}
		if ref.null && (nulls == 0 || nulls == int(counts[ref.entity])) {
			t.Errorf("%s: %d online orders of %d", ref.entity, nulls, counts[ref.entity])
		}
	}
	// Purchases come per customer in id order, each customer's by time.
	prev := []string{"0", "0", "", "", "", "", ""}
	for _, rec := range readCSV(t, dir, "purchases")[1:] {
		pc, _ := strconv.Atoi(prev[1])
		c, _ := strconv.Atoi(rec[1])
		if c < pc || c == pc && rec[6] < prev[6] {
			t.Fatalf("purchase %s out of order after %s", rec[0], prev[0])
		}
		prev = rec
	}
}

func TestDistributions(t *testing.T) {
	const n = 20_000
	dir, counts := setup(t, n)

	byCountry := map[string]int{}
	for _, rec := range readCSV(t, dir, "customers")[1:] {
		byCountry[rec[5]]++
	}
	top := 0
	for _, c := range byCountry {
		top = max(top, c)
	}
	if share := float64(top) / n; share < 0.25 || share > 0.45 {
		t.Errorf("top country share %.2f, want 0.25..0.45", share)
	}

	perCustomer := map[string]int{}
	for _, rec := range readCSV(t, dir, "purchases")[1:] {
		perCustomer[rec[1]]++
	}
	mean := float64(counts["purchases"]) / n
	most := 0
	for _, c := range perCustomer {
		most = max(most, c)
	}
	if mean < 7 || mean > 13 {
		t.Errorf("purchases per customer: mean %.2f, want 7..13", mean)
	}
	if float64(most) < 5*mean {
		t.Errorf("purchases per customer: max %d < 5 × mean %.2f", most, mean)
	}
	if few := n - len(perCustomer); few == 0 {
		t.Errorf("every customer has purchases; want some with none")
	}

	shares := []struct {
		entity   string
		lo, hi   float64
		customer bool // count distinct customers rather than rows
	}{
		{"loyalty_subscriptions", 0.25, 0.35, true},
		{"devices", 0.35, 0.45, true},
	}
	for _, s := range shares {
		seen := map[string]bool{}
		for _, rec := range readCSV(t, dir, s.entity)[1:] {
			seen[rec[1]] = true
		}
		if share := float64(len(seen)) / n; share < s.lo || share > s.hi {
			t.Errorf("%s: %.2f of customers, want %.2f..%.2f", s.entity, share, s.lo, s.hi)
		}
	}
	if got, want := counts["products"], productCount(n); got != want {
		t.Errorf("products = %d, want %d", got, want)
	}
	if got, want := counts["stores"], storeCount(n); got != want {
		t.Errorf("stores = %d, want %d", got, want)
	}
}

func TestCalendarSeasonality(t *testing.T) {
	dir, _ := setup(t, 20_000)
	byMonth := map[string]int{}
	for _, rec := range readCSV(t, dir, "purchases")[1:] {
		byMonth[rec[6][5:7]]++
	}
	if byMonth["12"] < byMonth["03"]*3/2 {
		t.Errorf("December %d not clearly above March %d", byMonth["12"], byMonth["03"])
	}
}

func TestUnknownEntity(t *testing.T) {
	if _, err := WriteEntity(&bytes.Buffer{}, "nope", Options{}); err == nil {
		t.Error("WriteEntity(nope): want an error")
	}
	if _, err := Generate(t.TempDir(), Options{Customers: -1}, nil); err == nil {
		t.Error("Generate(-1 customers): want an error")
	}
}

func TestDateFormatting(t *testing.T) {
	for _, tc := range []struct {
		name string
		sec  int64
	}{
		{"epoch", 0},
		{"before epoch", -86400*365*30 - 3661},
		{"leap day", time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC).Unix()},
		{"default now", DefaultNow.Unix()},
		{"far", time.Date(2399, 12, 31, 1, 2, 3, 0, time.UTC).Unix()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := time.Unix(tc.sec, 0).UTC().Format(time.RFC3339)
			if got := string(appendTimestamp(nil, tc.sec)); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			y, m, d := civil(floorDiv(tc.sec, 86400))
			if back := daysFromCivil(y, m, d); back != floorDiv(tc.sec, 86400) {
				t.Errorf("daysFromCivil round trip: %d", back)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	var rows int64
	for b.Loop() {
		counts, err := Generate(dir, Options{Customers: 50_000}, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, n := range counts {
			rows += n
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestProgressEndsWithCounts(t *testing.T) {
	last := map[string]int64{}
	counts, err := Generate(t.TempDir(), Options{Customers: 8000}, func(entity string, rows int64) {
		if rows < last[entity] {
			t.Errorf("%s: progress went back from %d to %d", entity, last[entity], rows)
		}
		last[entity] = rows
	})
	if err != nil {
		t.Fatal(err)
	}
	for e, n := range counts {
		if last[e] != n {
			t.Errorf("%s: last progress %d, want %d", e, last[e], n)
		}
	}
}
