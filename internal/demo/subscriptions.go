package demo

import (
	"bufio"
	"strconv"
)

// writeSubscriptions writes the loyalty programme history of the ~30% of
// customers who joined it: a first subscription some time after sign-up,
// yearly terms, some cancelled early, some renewed, the latest one active
// when its end date is still ahead.
func writeSubscriptions(g *generator, w *bufio.Writer, progress func(int64)) (int64, error) {
	r := g.rng
	planCum := cumulative([]float64{55, 33, 12})
	var (
		n    int64
		line = make([]byte, 0, 64)
	)
	for id := int64(1); id <= g.customers; id++ {
		c := g.core(id)
		if !c.subscribed {
			continue
		}
		created := floorDiv(c.createdAt, 86400)
		if created >= g.today {
			continue
		}
		start := created + int64(r.ExpFloat64()*120)
		if start >= g.today {
			start = created + r.Int64N(g.today-created)
		}
		plan := pick(planCum, r.Float64())
		for range 6 {
			end := start + 365
			cancelled := g.chance(0.12)
			if cancelled {
				end = start + 30 + r.Int64N(300)
			}
			n++
			line = strconv.AppendInt(line[:0], n, 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, id, 10)
			line = append(line, ',')
			line = append(line, plans[plan]...)
			line = append(line, ',')
			line = appendDate(line, start)
			line = append(line, ',')
			line = appendDate(line, end)
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				return n - 1, err
			}
			progressTick(n, progress)
			if end >= g.today || cancelled || !g.chance(0.6) {
				break
			}
			// Renewals start on the day the last term ends or after a
			// lapse; some change plan.
			start = end
			if g.chance(0.3) {
				start += 1 + r.Int64N(90)
			}
			if start >= g.today {
				break
			}
			if g.chance(0.2) {
				plan = pick(planCum, r.Float64())
			}
		}
	}
	return n, nil
}
