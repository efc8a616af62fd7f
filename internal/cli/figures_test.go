package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// TestFiguresShowDeliveryReports: sent SMS are broken down by their latest
// delivery report, and pending messages by what they wait for, under the
// activity's line, with the columns aligned.
func TestFiguresShowDeliveryReports(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	printFigures(&Globals{stdout: &out}, 3, []delivery.Figures{{Activity: "texts", Channel: "sms", Targeted: 10, Sent: 9, Excluded: 1,
		ByReason: map[string]int64{"opt_out": 1}, Reports: map[string]int64{"undelivered": 2, "delivered": 6}},
		{Activity: "texts2", Channel: "sms", Targeted: 4, Pending: 4, Waiting: map[string]int64{"outside_send_window": 3, "provider_unavailable": 1}}})
	want := `CHANNEL ACTIVITY                 TARGETED  SENT  EXCLUDED  FAILED  IN DOUBT  PENDING
texts (sms)                      10        9     1         0       0         0
  excluded: opt_out              1                                           
  sent, reported delivered       6                                           
  sent, reported undelivered     2                                           
texts2 (sms)                     4         0     0         0       0         4
  pending: outside_send_window   3                                           
  pending: provider_unavailable  1                                           
`
	if out.String() != want {
		t.Errorf("figures:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestFiguresShowPausedAndCancelled: paused and cancelled messages get
// columns of their own when there are any, and paused ones the command
// that resumes them.
func TestFiguresShowPausedAndCancelled(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	printFigures(&Globals{stdout: &out}, 7, []delivery.Figures{
		{Activity: "mail", Channel: "email", Targeted: 5, Sent: 1, Paused: 4},
		{Activity: "texts", Channel: "sms", Targeted: 2, Cancelled: 2},
	})
	for _, want := range []string{"PENDING  PAUSED  CANCELLED\n", "0        4       0\n", "0        0       2\n", "4 message(s) paused with the run: fanfare campaign resume 7\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%q missing from\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "HELD") || strings.Contains(out.String(), "confirm") {
		t.Errorf("held column or hint without held messages:\n%s", out.String())
	}
}

// TestFiguresShowInDoubtApart: in-doubt messages are listed by reason
// under "in doubt:", failures under "failed:", each under its own column.
func TestFiguresShowInDoubtApart(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	printFigures(&Globals{stdout: &out}, 4, []delivery.Figures{{Activity: "mail", Channel: "email", Targeted: 10, Sent: 6, Failed: 1, InDoubt: 3,
		Failures: map[string]int64{"550 no such user": 1}, Doubts: map[string]int64{delivery.ReasonDispatcherDied: 3}}})
	want := `CHANNEL ACTIVITY                         TARGETED  SENT  EXCLUDED  FAILED  IN DOUBT  PENDING
mail (email)                             10        6     0         1       3         0
  failed: 550 no such user               1                                           
  in doubt: dispatcher_stopped_mid_send  3                                           
3 message(s) in doubt (the provider may have them): fanfare campaign resolve 4 --resend | --drop
`
	if out.String() != want {
		t.Errorf("figures:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestFiguresShowEngagement: opens and clicks, people's and machines'
// apart, and the clicks of each link, under the activity's line.
func TestFiguresShowEngagement(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	printFigures(&Globals{stdout: &out}, 5, []delivery.Figures{{Activity: "mail", Channel: "email", Targeted: 3, Sent: 3,
		Engagement: &delivery.Engagement{Opened: 2, OpenedTotal: 5, OpenedMachine: 1, Clicked: 1, ClickedTotal: 2, ClickedMachine: 4,
			Links: []delivery.LinkClicks{{Link: 1, URL: "https://shop.example/a", Label: "offer", Clicks: 2, Unique: 1}, {Link: 2, URL: "https://shop.example/b", Clicks: 0}}}}})
	want := `CHANNEL ACTIVITY                            TARGETED  SENT  EXCLUDED  FAILED  IN DOUBT  PENDING
mail (email)                                3         3     0         0       0         0
  opened (messages)                         2                                           
  opens                                     5                                           
  opens by machines                         1                                           
  clicked (messages)                        1                                           
  clicks                                    2                                           
  clicks by machines                        4                                           
  delivered (reported)                      0                                           
  bounced, hard                             0                                           
  bounced, soft                             0                                           
  failed (reported)                         0                                           
  complaints                                0                                           
  unsubscribed                              0                                           
  clicks on link 1, offer                   2                                           
  clicks on link 2, https://shop.example/b  0                                           
`
	if out.String() != want {
		t.Errorf("figures:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestReportShowsDomainsAndSeries: a report prints the figures, then the
// emails by domain and the events by hour, people's and machines' apart.
func TestReportShowsDomainsAndSeries(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	printReport(&Globals{stdout: &out}, &delivery.Report{Run: 2, By: "hour",
		Activities: []delivery.Figures{{Activity: "mail", Channel: "email", Targeted: 2, Sent: 2}},
		Domains:    []delivery.DomainFigures{{Activity: "mail", Domain: "gmail.com", Sent: 2, Opened: 1}},
		Series:     []delivery.SeriesPoint{{At: at, Activity: "mail", Type: "open", Events: 3}, {At: at, Activity: "mail", Type: "open", Machine: true, Events: 1}},
		Comparisons: []delivery.Comparison{{Split: "groups", Metric: "clicked", Groups: []delivery.GroupRate{{Subset: "a", Activity: "mail_a", Sent: 200, Events: 10, Rate: 0.05},
			{Subset: "b", Activity: "mail_b", Sent: 200, Events: 30, Rate: 0.15, Difference: ptr(0.1), Low: ptr(0.04), High: ptr(0.16), Conclusive: true}}}}})
	for _, want := range []string{"mail (email)      2         2", "ACTIVITY  DOMAIN     SENT  OPENED  CLICKED  BOUNCED  COMPLAINTS\nmail      gmail.com  2     1       0        0        0\n",
		"groups  clicked  b       mail_b    200   30      15.0%  +10.0 pts [+4.0, +16.0] conclusive\n",
		"HOUR (UTC)        ACTIVITY  EVENT  BY        EVENTS\n2026-12-01 09:00  mail      open   people    3\n2026-12-01 09:00  mail      open   machines  1\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%q missing from\n%s", want, out.String())
		}
	}
}

func ptr(f float64) *float64 { return &f }

// TestCampaignReportShowsRunsAndChannels: a campaign's report prints a
// line per run with its start and the line of all runs, then a line per
// channel activity and per channel.
func TestCampaignReportShowsRunsAndChannels(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	sms := delivery.Totals{Targeted: 4, Sent: 3, Failed: 1, Delivered: 2, BouncedHard: 1}
	printCampaignReport(&Globals{stdout: &out}, &delivery.CampaignReport{Campaign: "spring", Totals: sms,
		Runs:       []delivery.RunTotals{{Run: 7, Status: "completed", StartedAt: at, Totals: sms}},
		Activities: []delivery.ActivityTotals{{Activity: "text", Channel: "sms", Runs: 1, Totals: sms}},
		Channels:   []delivery.ChannelTotals{{Channel: "sms", Totals: sms}}})
	for _, want := range []string{"7      2026-12-01 09:00  completed  4         3     1       2          1",
		"all 1                               4         3     1       2          1",
		"text (sms)        1     4         3     1       2          1", "all sms                 4         3     1       2          1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%q missing from\n%s", want, out.String())
		}
	}
	out.Reset()
	printCampaignReport(&Globals{stdout: &out}, &delivery.CampaignReport{Campaign: "spring"})
	if out.String() != "Campaign spring has no live run in that span.\n" {
		t.Errorf("no run: %q", out.String())
	}
}
