package demo

import (
	"bufio"
	"math"
	"strconv"
)

// product is one catalogue item; id is its index plus one.
type product struct {
	name     string
	category int
	brand    string
	cents    int64
}

// store is one shop; id is its index plus one.
type store struct {
	name    string
	country int
	city    string
}

func productCount(customers int64) int64 { return clamp(customers/200, 200, 20_000) }
func storeCount(customers int64) int64   { return clamp(customers/5000, 20, 2_000) }

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }

// catalogue builds the product list from the products stream, so that the
// purchases writer sees the same prices as products.csv.
func catalogue(opts Options) []product {
	g := newGenerator(opts, "products")
	r := g.rng
	w := make([]float64, len(categories))
	for i, c := range categories {
		w[i] = c.weight
	}
	catCum := cumulative(w)
	brandCum := cumulative(zipfWeights(len(brands), 0.8))
	out := make([]product, productCount(g.customers))
	for i := range out {
		ci := pick(catCum, r.Float64())
		cat := &categories[ci]
		price := cat.median * math.Exp(r.NormFloat64()*0.6)
		// Prices end in .99 (or .49 under 5 euros), like most shelves.
		cents := int64(math.Round(price))*100 - 1
		if price < 5 {
			cents = int64(math.Round(price*2))*50 - 1
		}
		cents = max(cents, 49)
		name := adjectives[r.IntN(len(adjectives))] + " " + cat.nouns[r.IntN(len(cat.nouns))] + " " +
			string(rune('A'+r.IntN(26))) + strconv.Itoa(10+r.IntN(990))
		out[i] = product{name: name, category: ci, brand: brands[pick(brandCum, r.Float64())], cents: cents}
	}
	return out
}

// shops builds the store list from the stores stream.
func shops(opts Options) []store {
	g := newGenerator(opts, "stores")
	r := g.rng
	cities := make([][]float64, len(countries))
	for i, c := range countries {
		cities[i] = cumulative(zipfWeights(len(c.cities), 0.8))
	}
	out := make([]store, storeCount(g.customers))
	for i := range out {
		// The first stores cover each country's capital so that no market
		// is online only.
		ci := i
		if i >= len(countries) {
			ci = pick(g.countries, r.Float64())
		}
		ctry := &countries[ci]
		city := ctry.cities[0]
		if i >= len(countries) {
			city = ctry.cities[pick(cities[ci], r.Float64())]
		}
		out[i] = store{name: city + " " + districts[r.IntN(len(districts))], country: ci, city: city}
	}
	return out
}

func writeProducts(g *generator, w *bufio.Writer, progress func(int64)) (int64, error) {
	var line []byte
	for i, p := range catalogue(g.opts) {
		id := int64(i + 1)
		line = strconv.AppendInt(line[:0], id, 10)
		line = append(line, ',')
		line = appendField(line, p.name)
		line = append(line, ',')
		line = append(line, categories[p.category].name...)
		line = append(line, ',')
		line = appendField(line, p.brand)
		line = append(line, ',')
		line = appendCents(line, p.cents)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return id - 1, err
		}
		progressTick(id, progress)
	}
	return productCount(g.customers), nil
}

func writeStores(g *generator, w *bufio.Writer, progress func(int64)) (int64, error) {
	var line []byte
	for i, s := range shops(g.opts) {
		id := int64(i + 1)
		line = strconv.AppendInt(line[:0], id, 10)
		line = append(line, ',')
		line = appendField(line, s.name)
		line = append(line, ',')
		line = append(line, countries[s.country].code...)
		line = append(line, ',')
		line = appendField(line, s.city)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return id - 1, err
		}
		progressTick(id, progress)
	}
	return storeCount(g.customers), nil
}
