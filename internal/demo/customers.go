package demo

import (
	"bufio"
	"strconv"
)

// names holds a country's names with their email forms.
type names struct {
	first, last         []string
	firstSlug, lastSlug []string
	cities              []float64 // cumulative city weights
}

func countryNames() []names {
	out := make([]names, len(countries))
	for i, c := range countries {
		n := names{first: c.first, last: c.last, cities: cumulative(zipfWeights(len(c.cities), 1))}
		for _, f := range c.first {
			n.firstSlug = append(n.firstSlug, slug(f))
		}
		for _, l := range c.last {
			n.lastSlug = append(n.lastSlug, slug(l))
		}
		out[i] = n
	}
	return out
}

// Birth dates lie in [1940-01-01, 2008-12-31], centred on 1982.
var (
	birthMin  = daysFromCivil(1940, 1, 1)
	birthMax  = daysFromCivil(2008, 12, 31)
	birthMean = float64(daysFromCivil(1982, 7, 1))
)

func writeCustomers(g *generator, w *bufio.Writer, progress func(int64)) (int64, error) {
	r := g.rng
	byCountry := countryNames()
	domainCum := cumulative([]float64{70, 20, 10})
	tierPlain := cumulative([]float64{80, 15, 4, 1})
	tierMember := cumulative([]float64{5, 45, 33, 17})
	line := make([]byte, 0, 512)
	for id := int64(1); id <= g.customers; id++ {
		c := g.core(id)
		ctry := &countries[c.country]
		nm := &byCountry[c.country]
		fi, li := r.IntN(len(nm.first)), r.IntN(len(nm.last))
		hasEmail := !g.chance(0.01)
		hasPhone := !g.chance(0.02)

		line = strconv.AppendInt(line[:0], id, 10)
		line = append(line, ',')
		line = appendField(line, nm.first[fi])
		line = append(line, ',')
		line = appendField(line, nm.last[li])
		line = append(line, ',')
		if hasEmail {
			line = append(line, nm.firstSlug[fi]...)
			line = append(line, '.')
			line = append(line, nm.lastSlug[li]...)
			line = append(line, '.')
			line = strconv.AppendInt(line, id, 10)
			line = append(line, '@')
			line = append(line, domains[pick(domainCum, r.Float64())]...)
		}
		line = append(line, ',')
		if hasPhone {
			line = append(line, ctry.dial...)
			line = append(line, ctry.mobile[r.IntN(len(ctry.mobile))]...)
			for range ctry.digits {
				line = append(line, byte('0'+r.IntN(10)))
			}
		}
		line = append(line, ',')
		line = append(line, ctry.code...)
		line = append(line, ',')
		line = appendField(line, ctry.cities[pick(nm.cities, r.Float64())])
		line = append(line, ',')
		line = appendDate(line, g.birthDate())
		line = append(line, ',')
		tiers4 := tierPlain
		if c.subscribed {
			tiers4 = tierMember
		}
		line = append(line, tiers[pick(tiers4, r.Float64())]...)
		line = append(line, ',')
		line = appendBool(line, hasEmail && g.chance(0.70))
		line = append(line, ',')
		line = appendBool(line, hasPhone && g.chance(0.42))
		line = append(line, ',')
		line = appendBool(line, c.devices > 0 && g.chance(0.75))
		line = append(line, ',')
		line = appendTimestamp(line, c.createdAt)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return id - 1, err
		}
		progressTick(id, progress)
	}
	return g.customers, nil
}

// birthDate draws a birth date, in days, from a normal distribution cut to
// the allowed range.
func (g *generator) birthDate() int64 {
	for {
		d := int64(birthMean + g.rng.NormFloat64()*14*365.25)
		if d >= birthMin && d <= birthMax {
			return d
		}
	}
}
