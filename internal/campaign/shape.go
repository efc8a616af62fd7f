package campaign

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/docparse"
)

var (
	timeType  = reflect.TypeOf(time.Time{})
	rawType   = reflect.TypeOf(json.RawMessage(nil))
	limitType = reflect.TypeOf(Limit(""))
)

// shape checks raw settings against a settings struct before decoding, so
// that unknown settings and values of the wrong kind are reported at their
// own path (such as activities.groups.subsets[1].limit) rather than by the
// JSON decoder, which does not know list indices.
func (v *validator) shape(act, path string, val any, into any) bool {
	t := reflect.TypeOf(into)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Interface {
		return true // Channel: free-form.
	}
	if val == nil {
		val = map[string]any{}
	}
	return v.shapeOf(act, path, val, t, true)
}

// shapeOf checks that val, decoded from JSON, has the shape of Go type t
// at path, reporting each mismatch; null always fits. It reports whether
// val fits.
func (v *validator) shapeOf(act, path string, val any, t reflect.Type, top bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if val == nil {
		return true // null leaves the zero value
	}
	switch {
	case t == timeType:
		return v.timeShape(act, path, val)
	case t == rawType || t.Kind() == reflect.Interface:
		return true
	case t == limitType:
		switch val.(type) {
		case string, json.Number, float64:
			return true
		}
		v.add(act, path, "expected a count such as 100 or a percentage such as 10%%, found %s", describeValue(val))
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		return v.structShape(act, path, val, t, top)
	case reflect.Slice:
		list, ok := val.([]any)
		if !ok {
			v.add(act, path, "expected a list, found %s", describeValue(val))
			return false
		}
		good := true
		for i, x := range list {
			if !v.shapeOf(act, docparse.Index(path, i), x, t.Elem(), false) {
				good = false
			}
		}
		return good
	case reflect.Map:
		m, ok := val.(map[string]any)
		if !ok {
			v.add(act, path, "expected a mapping, found %s", describeValue(val))
			return false
		}
		good := true
		for _, k := range sortedKeys(m) {
			if !v.shapeOf(act, docparse.Join(path, k), m[k], t.Elem(), false) {
				good = false
			}
		}
		return good
	case reflect.String:
		if _, ok := val.(string); !ok {
			v.add(act, path, "expected a string, found %s", describeValue(val))
			return false
		}
	case reflect.Bool:
		if _, ok := val.(bool); !ok {
			v.add(act, path, "expected true or false, found %s", describeValue(val))
			return false
		}
	case reflect.Int:
		ok := false
		switch n := val.(type) {
		case json.Number:
			i, err := n.Int64()
			ok = err == nil && i >= -1<<31 && i < 1<<31
		case float64:
			ok = n == float64(int64(n)) && n >= -1<<31 && n < 1<<31
		}
		if !ok {
			v.add(act, path, "expected a whole number, found %s", describeValue(val))
			return false
		}
	}
	return true
}

// timeShape checks that val is an RFC 3339 time, as a time.Time field
// takes it.
func (v *validator) timeShape(act, path string, val any) bool {
	s, ok := val.(string)
	if !ok {
		v.add(act, path, "expected an RFC 3339 time such as 2026-05-01T09:00:00Z, found %s", describeValue(val))
		return false
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		v.add(act, path, "%q is not an RFC 3339 time such as 2026-05-01T09:00:00Z", s)
		return false
	}
	return true
}

// structShape checks that val is a mapping whose keys are t's JSON field
// names, each value of its field's shape. An unknown key is reported with
// the valid names; top names them settings rather than fields.
func (v *validator) structShape(act, path string, val any, t reflect.Type, top bool) bool {
	m, ok := val.(map[string]any)
	if !ok {
		v.add(act, path, "expected a mapping, found %s", describeValue(val))
		return false
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	good := true
	for _, k := range sortedKeys(m) {
		ft, known := fields[k]
		if !known {
			what := "field"
			if top {
				what = "setting"
			}
			if len(names) == 0 {
				v.add(act, docparse.Join(path, k), "unknown %s %q: this activity takes none", what, k)
			} else {
				sort.Strings(names)
				v.add(act, docparse.Join(path, k), "unknown %s %q (valid: %s)", what, k, strings.Join(names, ", "))
			}
			good = false
			continue
		}
		if !v.shapeOf(act, docparse.Join(path, k), m[k], ft, false) {
			good = false
		}
	}
	return good
}

// describeValue names a settings value in messages.
func describeValue(val any) string {
	switch x := val.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return strconvQuote(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case json.Number:
		return string(x)
	}
	b, _ := json.Marshal(val)
	return string(b)
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
