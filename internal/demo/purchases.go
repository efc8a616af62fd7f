package demo

import (
	"bufio"
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Purchase counts per customer are log-normal (median ≈ 8, mean ≈ 15 for a
// customer present for the whole window, a tail in the hundreds), scaled by
// the share of the three-year window the customer has existed for; over the
// linear sign-up curve that share averages 0.672, so the mean count is ≈ 10.
const (
	purchaseMu    = 2.095
	purchaseSigma = 1.1
	maxPurchases  = 3000
)

// calendar gives each day of the purchase window a weight (season, weekday,
// sales, growth) and a sales flag.
type calendar struct {
	first int64     // day number of the window's first day
	cum   []float64 // cumulative day weights
	sale  []bool
	hours []float64 // cumulative hour-of-day weights
}

var (
	monthWeight = [13]float64{0, 1.1, 0.75, 0.85, 0.9, 0.95, 1.0, 1.25, 0.9, 0.9, 1.0, 1.5, 1.9}
	dayWeight   = [7]float64{0.8, 0.9, 0.9, 0.95, 1.0, 1.15, 1.35} // Sunday first
	hourWeight  = []float64{0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.2, 1.6, 1.9, 2.0, 1.9, 1.8, 1.9, 2.1, 2.4, 2.6, 2.4, 2.0, 1.6, 1.0, 0.5}
)

func newCalendar(now time.Time) *calendar {
	first := floorDiv(now.AddDate(-purchaseYears, 0, 0).Unix(), 86400)
	last := floorDiv(now.Unix()-1, 86400)
	c := &calendar{first: first, hours: cumulative(hourWeight)}
	sum := 0.0
	for d := first; d <= last; d++ {
		y, m, day := civil(d)
		wd := int((d + 4) % 7) // 1970-01-01 was a Thursday
		w := monthWeight[m] * dayWeight[wd]
		// Black Friday weekend through Cyber Monday is the busiest stretch.
		bf := blackFriday(y)
		blackWeek := d >= bf && d <= bf+3
		if blackWeek {
			w *= 3
		}
		if m == 12 && day >= 10 && day <= 23 {
			w *= 1.4
		}
		w *= 1 + 0.12*float64(d-first)/365
		sum += w
		c.cum = append(c.cum, sum)
		c.sale = append(c.sale, blackWeek || m == 1 && day >= 8 || m == 7)
	}
	return c
}

// blackFriday returns the day number of the Friday after the fourth
// Thursday of November.
func blackFriday(year int) int64 {
	nov1 := daysFromCivil(year, 11, 1)
	firstThursday := nov1 + (4-(nov1+4)%7+7)%7
	return firstThursday + 22
}

// draw returns a purchase time in [lo, now) following the calendar, and
// whether it falls in a sales period.
func (c *calendar) draw(r *rand.Rand, lo, now int64) (int64, bool) {
	k := floorDiv(lo, 86400) - c.first
	k = max(k, 0)
	base := 0.0
	if k > 0 {
		base = c.cum[k-1]
	}
	u := base + r.Float64()*(c.cum[len(c.cum)-1]-base)
	i, _ := slices.BinarySearch(c.cum[k:], u)
	i = min(int(k)+i, len(c.cum)-1)
	ts := (c.first+int64(i))*86400 + int64(pick(c.hours, r.Float64()))*3600 + r.Int64N(3600)
	if ts < lo || ts >= now {
		ts = lo + r.Int64N(max(1, min(now, (c.first+int64(i)+1)*86400)-lo))
	}
	return ts, c.sale[i]
}

type purchase struct {
	at      int64
	product int32
	store   int32 // 0 for an online order
	qty     int32
	cents   int64
}

// writePurchases writes the purchases of every customer to w as CSV rows,
// each customer's in time order, numbered from 1, and returns how many it
// wrote.
func writePurchases(g *generator, w *bufio.Writer, progress func(int64)) (int64, error) {
	r := g.rng
	cat := catalogue(g.opts)
	st := shops(g.opts)
	byCountry := make([][]int32, len(countries))
	for i, s := range st {
		byCountry[s.country] = append(byCountry[s.country], int32(i+1))
	}
	// Popularity is Zipf over ranks; a permutation spreads the best sellers
	// over ids and categories.
	rank := r.Perm(len(cat))
	// The offset of 8 flattens the head: the best seller takes about 2% of
	// sales rather than 15%.
	pop := make([]float64, len(cat))
	for k := range pop {
		pop[k] = math.Pow(float64(k+8), -1.07)
	}
	popular := newAlias(pop)
	cal := newCalendar(g.opts.Now)
	windowStart := g.opts.Now.AddDate(-purchaseYears, 0, 0).Unix()
	window := float64(g.now - windowStart)

	var (
		n    int64
		line = make([]byte, 0, 128)
		buf  []purchase
	)
	for id := int64(1); id <= g.customers; id++ {
		c := g.core(id)
		lo := max(c.createdAt, windowStart)
		share := float64(g.now-lo) / window
		y := math.Exp(purchaseMu+purchaseSigma*r.NormFloat64()) * share
		count := min(int(y+r.Float64()), maxPurchases)
		if count == 0 {
			continue
		}
		local := byCountry[c.country]
		var home int32
		if len(local) > 0 {
			home = local[r.IntN(len(local))]
		}
		online := 0.25 + 0.3*r.Float64() // each customer has a habit
		buf = buf[:0]
		for range count {
			var p purchase
			var sale bool
			p.at, sale = cal.draw(r, lo, g.now)
			p.product = int32(rank[popular.draw(r)])
			switch u := r.Float64(); {
			case u < online || home == 0:
			case u < online+(1-online)*0.7:
				p.store = home
			case u < 0.97:
				p.store = local[r.IntN(len(local))]
			default:
				p.store = int32(1 + r.IntN(len(st)))
			}
			p.qty = drawQty(r)
			p.cents = cat[p.product].cents * int64(p.qty)
			if sale && r.IntN(2) == 0 {
				p.cents -= p.cents * int64(10+r.IntN(5)*10) / 100
			}
			buf = append(buf, p)
		}
		slices.SortFunc(buf, func(a, b purchase) int { return cmp.Compare(a.at, b.at) })
		for _, p := range buf {
			n++
			line = appendPurchase(line[:0], n, id, p)
			if _, err := w.Write(line); err != nil {
				return n - 1, err
			}
			progressTick(n, progress)
		}
	}
	return n, nil
}

// drawQty draws a purchase's quantity: mostly one, rarely more than three.
func drawQty(r *rand.Rand) int32 {
	switch u := r.Float64(); {
	case u < 0.78:
		return 1
	case u < 0.92:
		return 2
	case u < 0.97:
		return 3
	default:
		return int32(4 + r.IntN(3))
	}
}

// appendPurchase appends purchase p, the nth, of customer id to line as a
// CSV record: id, customer, product, store (empty online), amount,
// quantity and time.
func appendPurchase(line []byte, n, id int64, p purchase) []byte {
	line = strconv.AppendInt(line, n, 10)
	line = append(line, ',')
	line = strconv.AppendInt(line, id, 10)
	line = append(line, ',')
	line = strconv.AppendInt(line, int64(p.product)+1, 10)
	line = append(line, ',')
	if p.store != 0 {
		line = strconv.AppendInt(line, int64(p.store), 10)
	}
	line = append(line, ',')
	line = appendCents(line, p.cents)
	line = append(line, ',')
	line = strconv.AppendInt(line, int64(p.qty), 10)
	line = append(line, ',')
	line = appendTimestamp(line, p.at)
	return append(line, '\n')
}
