package message

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// engines builds Liquid engines lazily, one per locale and strictness.
// Liquid filters see only their arguments, so the locale-aware ones are
// closures over the locale and each locale has its own engine.
type engines struct {
	mu sync.Mutex
	m  map[engineKey]*liquidEngine
}

type engineKey struct {
	locale string
	strict bool
}

func (e *engines) get(loc string, strict bool) *liquidEngine {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := engineKey{loc, strict}
	if eng, ok := e.m[k]; ok {
		return eng
	}
	if e.m == nil {
		e.m = map[engineKey]*liquidEngine{}
	}
	eng := newEngine(loc, strict)
	e.m[k] = eng
	return eng
}

// newEngine returns the standard Liquid engine (within limits.go's
// limits) with Fanfare's filters.
// Validation uses a strict engine (an output that evaluates to nothing is
// an error); rendering does not, so a missing value renders empty rather
// than failing the message.
func newEngine(loc string, strict bool) *liquidEngine {
	l := locales[NormalizeLocale(loc)]
	return newLiquidEngine(strict, func(add func(string, any)) {
		add("date", l.dateFilter)
		add("money", l.moneyFilter)
		add("number", l.numberFilter)
		add("locale", localeFilter)
		add("default", defaultFilter)
		add("sort", sortFilter)
	})
}

// defaultFilter returns fallback for nil, false, "" and empty lists or
// maps, as Liquid's own does, and for strings of blanks too (a database
// value of "  " is as missing as NULL).
func defaultFilter(v, fallback any) any {
	switch x := v.(type) {
	case nil:
		return fallback
	case bool:
		if !x {
			return fallback
		}
	case string:
		if isBlank(x) {
			return fallback
		}
	case []any:
		if len(x) == 0 {
			return fallback
		}
	case map[string]any:
		if len(x) == 0 {
			return fallback
		}
	}
	return v
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// sortFilter sorts a list, by a property when one is named, as Liquid's
// own does, but also orders dates and timestamps (Liquid's leaves them as
// they are) and puts missing values last.
func sortFilter(list []any, key any) []any {
	out := append([]any(nil), list...)
	prop := ""
	if key != nil {
		prop = fmt.Sprint(key)
	}
	get := func(v any) any {
		if prop == "" {
			return v
		}
		if m, ok := v.(map[string]any); ok {
			return m[prop]
		}
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool { return lessValue(get(out[i]), get(out[j])) })
	return out
}

// lessValue orders nil after everything, then numbers, times and strings
// among their own kind.
func lessValue(a, b any) bool {
	if a == nil || b == nil {
		return a != nil && b == nil
	}
	if x, ok := a.(time.Time); ok {
		if y, ok := b.(time.Time); ok {
			return x.Before(y)
		}
	}
	if x, err := toFloat(a); err == nil {
		if _, isString := a.(string); !isString {
			if y, err := toFloat(b); err == nil {
				return x < y
			}
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) < 0
}
