package delivery

import (
	"sort"
	"strconv"
)

// Totals are channel activities' figures summed: over a channel's
// activities, a run's, a campaign's runs. A message belongs to one
// activity of one run, so a sum of messages counted once each (a unique
// figure: delivered, opened…) still counts each message once.
type Totals struct {
	Targeted int64 `json:"targeted"`
	Sent     int64 `json:"sent"`
	Excluded int64 `json:"excluded"`
	// Failed counts the messages that failed as they were sent (the
	// provider refused them, their retries ran out).
	Failed  int64 `json:"failed"`
	InDoubt int64 `json:"in_doubt"`
	// Pending counts the messages not sent yet, held and paused ones too.
	Pending        int64 `json:"pending"`
	Delivered      int64 `json:"delivered"`
	BouncedHard    int64 `json:"bounced_hard"`
	BouncedSoft    int64 `json:"bounced_soft"`
	ReportedFailed int64 `json:"reported_failed"`
	Complaints     int64 `json:"complaints"`
	Opened         int64 `json:"opened"`
	OpenedTotal    int64 `json:"opened_total"`
	OpenedMachine  int64 `json:"opened_machine"`
	Clicked        int64 `json:"clicked"`
	ClickedTotal   int64 `json:"clicked_total"`
	ClickedMachine int64 `json:"clicked_machine"`
	Unsubscribed   int64 `json:"unsubscribed"`
}

// add adds a channel activity's figures.
func (t *Totals) add(f Figures) {
	t.Targeted += f.Targeted
	t.Sent += f.Sent
	t.Excluded += f.Excluded
	t.Failed += f.Failed
	t.InDoubt += f.InDoubt
	t.Pending += f.Pending + f.Held + f.Paused
	if e := f.Engagement; e != nil {
		t.Delivered += e.Delivered
		t.BouncedHard += e.BouncedHard
		t.BouncedSoft += e.BouncedSoft
		t.ReportedFailed += e.ReportedFailed
		t.Complaints += e.Complaints
		t.Opened += e.Opened
		t.OpenedTotal += e.OpenedTotal
		t.OpenedMachine += e.OpenedMachine
		t.Clicked += e.Clicked
		t.ClickedTotal += e.ClickedTotal
		t.ClickedMachine += e.ClickedMachine
		t.Unsubscribed += e.Unsubscribed
	}
}

// totalsColumns are the CSV columns of Totals, in csv's order.
var totalsColumns = []string{"targeted", "sent", "excluded", "failed", "in_doubt", "pending",
	"delivered", "bounced_hard", "bounced_soft", "reported_failed", "complaints",
	"opened", "opens", "opens_by_machines", "clicked", "clicks", "clicks_by_machines", "unsubscribed"}

// csv returns the totals as CSV fields, in totalsColumns' order.
func (t Totals) csv() []string {
	out := make([]string, 0, len(totalsColumns))
	for _, v := range []int64{t.Targeted, t.Sent, t.Excluded, t.Failed, t.InDoubt, t.Pending,
		t.Delivered, t.BouncedHard, t.BouncedSoft, t.ReportedFailed, t.Complaints,
		t.Opened, t.OpenedTotal, t.OpenedMachine, t.Clicked, t.ClickedTotal, t.ClickedMachine, t.Unsubscribed} {
		out = append(out, strconv.FormatInt(v, 10))
	}
	return out
}

// ChannelTotals are the figures of one channel's activities.
type ChannelTotals struct {
	Channel string `json:"channel"`
	Totals
}

// byChannel sums activities' figures by channel, in channel order.
func byChannel(figs []Figures) []ChannelTotals {
	m := map[string]*ChannelTotals{}
	for _, f := range figs {
		c := m[f.Channel]
		if c == nil {
			c = &ChannelTotals{Channel: f.Channel}
			m[f.Channel] = c
		}
		c.add(f)
	}
	out := make([]ChannelTotals, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}
