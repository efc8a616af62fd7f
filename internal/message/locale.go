package message

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultLocale is used when a spec names none or one Fanfare does not
// know.
const DefaultLocale = "en"

// locale holds what formatting needs of a language.
type locale struct {
	months, shortMonths []string
	days, shortDays     []string // Sunday first
	decimal, group      string
	// symbolAfter puts the currency symbol after the amount ("12,50 €").
	symbolAfter bool
	// layouts maps named date layouts to strftime formats.
	layouts map[string]string
}

// Group separators are plain spaces and dots: a no-break space would force
// an SMS into UCS-2 and halve what a segment holds.
var locales = map[string]*locale{
	"en": {
		months:      []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		shortMonths: []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		days:        []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		shortDays:   []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		decimal:     ".", group: ",",
		layouts: map[string]string{"short": "%m/%d/%Y", "medium": "%b %-d, %Y", "long": "%B %-d, %Y", "full": "%A, %B %-d, %Y", "time": "%-I:%M %p"},
	},
	"fr": {
		months:      []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		shortMonths: []string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."},
		days:        []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		shortDays:   []string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."},
		decimal:     ",", group: " ", symbolAfter: true,
		layouts: map[string]string{"short": "%d/%m/%Y", "medium": "%-d %b %Y", "long": "%-d %B %Y", "full": "%A %-d %B %Y", "time": "%H:%M"},
	},
	"de": {
		months:      []string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		shortMonths: []string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."},
		days:        []string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		shortDays:   []string{"So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."},
		decimal:     ",", group: ".", symbolAfter: true,
		layouts: map[string]string{"short": "%d.%m.%Y", "medium": "%d.%m.%Y", "long": "%-d. %B %Y", "full": "%A, %-d. %B %Y", "time": "%H:%M"},
	},
	"es": {
		months:      []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		shortMonths: []string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
		days:        []string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		shortDays:   []string{"dom", "lun", "mar", "mié", "jue", "vie", "sáb"},
		decimal:     ",", group: ".", symbolAfter: true,
		layouts: map[string]string{"short": "%d/%m/%Y", "medium": "%-d %b %Y", "long": "%-d de %B de %Y", "full": "%A, %-d de %B de %Y", "time": "%H:%M"},
	},
}

// Locales lists the locales Fanfare formats for.
var Locales = []string{"en", "fr", "de", "es"}

// NormalizeLocale reduces a locale tag ("fr-FR", "de_AT", "ES") to a
// supported language, or DefaultLocale.
func NormalizeLocale(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if _, ok := locales[tag]; ok {
		return tag
	}
	return DefaultLocale
}

// countryLocales maps ISO 3166 country codes to the language used for
// them by the locale filter.
var countryLocales = map[string]string{
	"FR": "fr", "BE": "fr", "LU": "fr", "MC": "fr", "CA": "en",
	"DE": "de", "AT": "de", "CH": "de", "LI": "de",
	"ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "PE": "es",
}

// localeFilter turns a country code or a locale tag into a supported
// locale: {{ profile.country | locale }}.
func localeFilter(v any) string {
	s := strings.TrimSpace(fmt.Sprint(valueOrEmpty(v)))
	if l, ok := countryLocales[strings.ToUpper(s)]; ok {
		return l
	}
	return NormalizeLocale(s)
}

func valueOrEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// dateFilter formats a date or timestamp with a named layout (short,
// medium, long, full, time; default long) or a strftime format whose
// month and day names are the locale's.
func (l *locale) dateFilter(v any, layout any) (any, error) {
	if v == nil {
		return nil, nil
	}
	t, err := toTime(v)
	if err != nil {
		return nil, err
	}
	f := "long"
	if layout != nil {
		f = fmt.Sprint(layout)
	}
	if named, ok := l.layouts[f]; ok {
		f = named
	}
	return l.strftime(t, f), nil
}

func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case *time.Time:
		if x != nil {
			return *x, nil
		}
	case string:
		s := strings.TrimSpace(x)
		if s == "now" || s == "today" {
			return time.Now().UTC(), nil
		}
		for _, layout := range []string{time.RFC3339Nano, time.DateOnly, time.DateTime, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05-07"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
	case int64:
		return time.Unix(x, 0).UTC(), nil
	case int:
		return time.Unix(int64(x), 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("date: %v is not a date", v)
}

// strftime implements the usual directives; "-" drops padding (%-d).
func (l *locale) strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' || i+1 >= len(f) {
			b.WriteByte(c)
			continue
		}
		i++
		pad := true
		if f[i] == '-' && i+1 < len(f) {
			pad = false
			i++
		}
		num := func(n, width int) {
			s := strconv.Itoa(n)
			for pad && len(s) < width {
				s = "0" + s
			}
			b.WriteString(s)
		}
		switch f[i] {
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			num(t.Year()%100, 2)
		case 'm':
			num(int(t.Month()), 2)
		case 'd':
			num(t.Day(), 2)
		case 'e':
			s := strconv.Itoa(t.Day())
			if pad && len(s) < 2 {
				s = " " + s
			}
			b.WriteString(s)
		case 'j':
			num(t.YearDay(), 3)
		case 'H':
			num(t.Hour(), 2)
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			num(h, 2)
		case 'M':
			num(t.Minute(), 2)
		case 'S':
			num(t.Second(), 2)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'B':
			b.WriteString(l.months[t.Month()-1])
		case 'b', 'h':
			b.WriteString(l.shortMonths[t.Month()-1])
		case 'A':
			b.WriteString(l.days[t.Weekday()])
		case 'a':
			b.WriteString(l.shortDays[t.Weekday()])
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// currencies maps ISO 4217 codes to their symbol and minor digits.
var currencies = map[string]struct {
	symbol string
	digits int
}{
	"EUR": {"€", 2}, "USD": {"$", 2}, "GBP": {"£", 2}, "JPY": {"¥", 0},
	"CHF": {"CHF", 2}, "CAD": {"CA$", 2}, "AUD": {"A$", 2}, "SEK": {"kr", 2},
	"NOK": {"kr", 2}, "DKK": {"kr", 2}, "PLN": {"zł", 2}, "MXN": {"MX$", 2},
}

// moneyFilter formats an amount in a currency (default EUR) the locale's
// way: €1,234.56 in en, 1 234,56 € in fr.
func (l *locale) moneyFilter(v any, code any) (any, error) {
	if v == nil {
		return nil, nil
	}
	n, err := toFloat(v)
	if err != nil {
		return nil, fmt.Errorf("money: %w", err)
	}
	c := "EUR"
	if code != nil {
		c = strings.ToUpper(strings.TrimSpace(fmt.Sprint(code)))
	}
	cur, ok := currencies[c]
	if !ok {
		cur.symbol, cur.digits = c, 2
	}
	s := l.formatNumber(math.Abs(n), cur.digits)
	sign := ""
	if n < 0 && s != l.formatNumber(0, cur.digits) {
		sign = "-"
	}
	if l.symbolAfter {
		return sign + s + " " + cur.symbol, nil
	}
	if len(cur.symbol) > 1 && cur.symbol[len(cur.symbol)-1] >= 'A' && cur.symbol[len(cur.symbol)-1] <= 'Z' {
		return sign + cur.symbol + " " + s, nil // CHF 12.50
	}
	return sign + cur.symbol + s, nil
}

// numberFilter formats a number with the locale's separators and the
// given number of decimals (default 0).
func (l *locale) numberFilter(v any, places any) (any, error) {
	if v == nil {
		return nil, nil
	}
	n, err := toFloat(v)
	if err != nil {
		return nil, fmt.Errorf("number: %w", err)
	}
	p := 0
	if places != nil {
		f, err := toFloat(places)
		if err != nil || f < 0 || f > 10 {
			return nil, fmt.Errorf("number: places must be 0 to 10, not %v", places)
		}
		p = int(f)
	}
	s := l.formatNumber(math.Abs(n), p)
	if n < 0 && s != l.formatNumber(0, p) {
		s = "-" + s
	}
	return s, nil
}

// formatNumber formats a non-negative number with grouping.
func (l *locale) formatNumber(n float64, places int) string {
	// Half away from zero, as people round, not the float's half-even.
	pow := math.Pow(10, float64(places))
	s := strconv.FormatFloat(math.Round(n*pow)/pow, 'f', places, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(l.decimal)
		b.WriteString(frac)
	}
	return b.String()
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	case interface{ Float64() float64 }:
		// Database drivers' decimal types.
		return x.Float64(), nil
	case fmt.Stringer:
		return toFloat(x.String())
	}
	return 0, fmt.Errorf("%v is not a number", v)
}
