package delivery

import (
	"context"
	"math"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// z95 is the standard normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// wilson returns the Wilson score interval of x successes out of n
// (Wilson 1927), [0, 1] when n is 0.
func wilson(x, n int64) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	p, nf, z2 := float64(x)/float64(n), float64(n), z95*z95
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / (1 + z2/nf)
	return max(0, centre-half), min(1, centre+half)
}

// Newcombe returns the difference p1 − p2 of two independent proportions
// (x1 of n1, x2 of n2) and its 95 % confidence interval by Newcombe's
// hybrid score method (Newcombe 1998, method 10): each proportion's
// Wilson interval, combined. Unlike the textbook Wald interval it keeps
// within [−1, 1] and holds its coverage for small groups and rates near
// 0 or 1 — an email's click rates.
func Newcombe(x1, n1, x2, n2 int64) (d, lo, hi float64) {
	p1, p2 := rate(x1, n1), rate(x2, n2)
	l1, u1 := wilson(x1, n1)
	l2, u2 := wilson(x2, n2)
	d = p1 - p2
	lo = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return d, lo, hi
}

func rate(x, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}

// MinGroup is the smallest group whose rate a comparison concludes on:
// below it, the interval is too wide to say anything useful.
const MinGroup = 100

// Comparison sets side by side the channel activities a split's subsets
// feed, on one rate (people's opened or clicked messages over sent
// ones): each against the first.
type Comparison struct {
	Split  string      `json:"split"`
	Metric string      `json:"metric"`
	Groups []GroupRate `json:"groups"`
}

// GroupRate is one subset's rate and, past the first, its difference
// from the first's with Newcombe's 95 % interval. Conclusive when the
// interval leaves out 0; TooSmall when either group has fewer than
// MinGroup messages sent.
type GroupRate struct {
	Subset     string   `json:"subset"`
	Activity   string   `json:"activity"`
	Sent       int64    `json:"sent"`
	Events     int64    `json:"events"`
	Rate       float64  `json:"rate"`
	Difference *float64 `json:"difference,omitempty"`
	Low        *float64 `json:"low,omitempty"`
	High       *float64 `json:"high,omitempty"`
	Conclusive bool     `json:"conclusive,omitempty"`
	TooSmall   bool     `json:"too_small,omitempty"`
}

// compare finds the run's splits whose subsets feed channel activities
// directly (an A/B test: one message per subset) and compares their
// opened and clicked rates.
func compare(ctx context.Context, s *store.Store, runID int64, figs []Figures) ([]Comparison, error) {
	raw, err := s.Runs().Content(ctx, runID)
	if err != nil {
		return nil, err
	}
	d, err := campaign.Parse([]byte(raw.Document))
	if err != nil {
		return nil, nil // a document that no longer reads compares nothing
	}
	byAct := map[string]Figures{}
	for _, f := range figs {
		byAct[f.Activity] = f
	}
	var out []Comparison
	for _, a := range d.Activities {
		if a.Type != "split" {
			continue
		}
		var feeds []GroupRate
		for _, t := range d.Transitions {
			if f, ok := byAct[t.To]; ok && t.From == a.ID && t.Output != "" {
				feeds = append(feeds, GroupRate{Subset: t.Output, Activity: t.To, Sent: f.Sent})
			}
		}
		if len(feeds) < 2 {
			continue
		}
		for _, metric := range []string{"opened", "clicked"} {
			c := Comparison{Split: a.ID, Metric: metric, Groups: make([]GroupRate, len(feeds))}
			for i, g := range feeds {
				if e := byAct[g.Activity].Engagement; e != nil {
					g.Events = map[string]int64{"opened": e.Opened, "clicked": e.Clicked}[metric]
				}
				g.Rate = rate(g.Events, g.Sent)
				if i > 0 {
					base := c.Groups[0]
					diff, lo, hi := Newcombe(g.Events, g.Sent, base.Events, base.Sent)
					g.Difference, g.Low, g.High = &diff, &lo, &hi
					g.TooSmall = g.Sent < MinGroup || base.Sent < MinGroup
					g.Conclusive = !g.TooSmall && (lo > 0 || hi < 0)
				}
				c.Groups[i] = g
			}
			out = append(out, c)
		}
	}
	return out, nil
}
