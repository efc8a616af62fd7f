package channeltest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Delivery is one message as the peer received it.
type Delivery struct {
	// ID is the channel.Message ID the peer can read back from what it got
	// (for email, the left part of the Message-ID).
	ID string
	// To is the address the peer delivered to.
	To string
}

// Inspector lets the suite see the provider's peer: the in-process server
// or the store a provider writes to.
type Inspector interface {
	// Received lists every message the peer accepted, once per acceptance,
	// in any order.
	Received() []Delivery
	// Offered lists every recipient address the peer was asked to deliver
	// to, accepted or not: an address refused before contacting the peer
	// never appears here.
	Offered() []string
}

// NewFunc builds a fresh provider and the inspector of its peer. It
// registers its own cleanup with t.
type NewFunc func(t *testing.T) (channel.Provider, Inspector)

// Conformance runs the suite against the provider newProvider builds.
func Conformance(t *testing.T, newProvider NewFunc) {
	t.Run("Identity", func(t *testing.T) { testIdentity(t, newProvider) })
	t.Run("Batch", func(t *testing.T) { testBatch(t, newProvider) })
	t.Run("EmptyBatch", func(t *testing.T) { testEmptyBatch(t, newProvider) })
	t.Run("ConcurrentBatches", func(t *testing.T) { testConcurrent(t, newProvider) })
	t.Run("InvalidAddresses", func(t *testing.T) { testInvalid(t, newProvider) })
	t.Run("CancelledBeforeSend", func(t *testing.T) { testCancelledBefore(t, newProvider) })
	t.Run("CancelledDuringSend", func(t *testing.T) { testCancelledDuring(t, newProvider) })
	t.Run("Close", func(t *testing.T) { testClose(t, newProvider) })
}

// Messages builds n valid messages for a channel, with IDs prefix-0...
func Messages(channelName, prefix string, n int) []*channel.Message {
	msgs := make([]*channel.Message, n)
	for i := range msgs {
		msgs[i] = Message(channelName, fmt.Sprintf("%s-%d", prefix, i), i)
	}
	return msgs
}

// Message builds one valid message for a channel; i varies the address.
func Message(channelName, id string, i int) *channel.Message {
	m := &channel.Message{ID: id, Channel: channelName}
	switch channelName {
	case channel.Email:
		m.To = fmt.Sprintf("user%d@example.com", i)
		m.Email = &channel.EmailContent{
			From:           "Fanfare News <news@example.com>",
			Subject:        "Conformance " + id,
			Preheader:      "A short preview",
			HTML:           "<p>Hello " + id + "</p>",
			Text:           "Hello " + id,
			UnsubscribeURL: "https://example.com/u/" + id,
		}
	case channel.SMS:
		m.To = fmt.Sprintf("+3361%07d", i)
		m.SMS = &channel.SMSContent{From: "Fanfare", Text: "Hello " + id}
	case channel.Push:
		m.To = fmt.Sprintf("%064x", i+1)
		m.Platform = "ios"
		m.Push = &channel.PushContent{Title: "Hello", Body: "Hello " + id}
	}
	return m
}

// invalidAddresses are addresses every provider refuses for the channel:
// header/command injection, an absurd length, invalid UTF-8 and nothing.
func invalidAddresses(channelName string) map[string]string {
	valid := Message(channelName, "x", 7).To
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("abcdefghi.", 20) + "com"
	switch channelName {
	case channel.SMS:
		long = "+" + strings.Repeat("3", 300)
	case channel.Push:
		long = strings.Repeat("f", 5000)
	}
	return map[string]string{
		"crlf":    valid + "\r\nBcc: eve@example.com",
		"lf":      valid + "\nX: y",
		"cr":      valid[:3] + "\r" + valid[3:],
		"long":    long,
		"badutf8": valid[:3] + "\xff\xfe" + valid[3:],
		"empty":   "",
	}
}

func testIdentity(t *testing.T, newProvider NewFunc) {
	p, _ := newProvider(t)
	if p.Name() == "" {
		t.Error("Name() is empty")
	}
	switch p.Channel() {
	case channel.Email, channel.SMS, channel.Push:
	default:
		t.Errorf("Channel() = %q, want one of email, sms, push", p.Channel())
	}
}

func testBatch(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	const n = 50
	msgs := Messages(p.Channel(), "batch", n)
	res := p.Send(t.Context(), msgs)
	checkResults(t, msgs, res)
	for i, r := range res {
		if r.Outcome != channel.Sent {
			t.Errorf("result %d: outcome %q (%s), want sent", i, r.Outcome, r.Error)
		}
	}
	checkReceivedOnce(t, in, msgs)
}

func testEmptyBatch(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	if res := p.Send(t.Context(), nil); len(res) != 0 {
		t.Fatalf("Send(nil) returned %d results", len(res))
	}
	if got := in.Received(); len(got) != 0 {
		t.Fatalf("peer received %d messages from an empty batch", len(got))
	}
}

func testConcurrent(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	const batches, n = 4, 25
	var all []*channel.Message
	var wg sync.WaitGroup
	for b := range batches {
		msgs := Messages(p.Channel(), fmt.Sprintf("conc%d", b), n)
		all = append(all, msgs...)
		wg.Go(func() {
			res := p.Send(t.Context(), msgs)
			checkResults(t, msgs, res)
			for i, r := range res {
				if r.Outcome != channel.Sent {
					t.Errorf("batch %d result %d: outcome %q (%s), want sent", b, i, r.Outcome, r.Error)
				}
			}
		})
	}
	wg.Wait()
	checkReceivedOnce(t, in, all)
}

func testInvalid(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	var msgs []*channel.Message
	bad := map[string]bool{}
	i := 0
	for name, addr := range invalidAddresses(p.Channel()) {
		good := Message(p.Channel(), fmt.Sprintf("good-%d", i), 1000+i)
		m := Message(p.Channel(), "bad-"+name, 0)
		m.To = addr
		msgs = append(msgs, good, m)
		bad[m.ID] = true
		i++
	}
	res := p.Send(t.Context(), msgs)
	checkResults(t, msgs, res)
	var good []*channel.Message
	for i, r := range res {
		m := msgs[i]
		if bad[m.ID] {
			if r.Outcome != channel.Permanent {
				t.Errorf("%s (To %q): outcome %q, want failed", m.ID, m.To, r.Outcome)
			}
			if r.Error == "" {
				t.Errorf("%s: permanent failure without an explanation", m.ID)
			}
			continue
		}
		good = append(good, m)
		if r.Outcome != channel.Sent {
			t.Errorf("%s: outcome %q (%s), want sent", m.ID, r.Outcome, r.Error)
		}
	}
	checkReceivedOnce(t, in, good)
	goodTo := map[string]bool{}
	for _, m := range good {
		goodTo[m.To] = true
	}
	for _, a := range in.Offered() {
		if !goodTo[a] {
			t.Errorf("peer was offered address %q, not one of the valid messages'", a)
		}
	}
}

func testCancelledBefore(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	msgs := Messages(p.Channel(), "cancelled", 10)
	res := p.Send(ctx, msgs)
	checkResults(t, msgs, res)
	for i, r := range res {
		if r.Outcome != channel.Transient {
			t.Errorf("result %d: outcome %q, want retry", i, r.Outcome)
		}
	}
	if got := in.Received(); len(got) != 0 {
		t.Errorf("peer received %d messages of a cancelled send", len(got))
	}
}

// testCancelledDuring cancels once the peer has received one message: every
// message the peer has must be reported sent or in doubt, and every message
// reported retry or failed must be absent from the peer.
func testCancelledDuring(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	msgs := Messages(p.Channel(), "midway", 400)
	done := make(chan []channel.Result, 1)
	go func() { done <- p.Send(ctx, msgs) }()
	var res []channel.Result
	deadline := time.After(30 * time.Second)
wait:
	for {
		select {
		case res = <-done:
			break wait
		case <-deadline:
			t.Fatal("Send did not return within 30s")
		default:
		}
		if len(in.Received()) > 0 {
			cancel()
			select {
			case res = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Send did not return within 30s of cancellation")
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	checkResults(t, msgs, res)
	got := map[string]int{}
	for _, d := range in.Received() {
		got[d.ID]++
	}
	for i, r := range res {
		id := msgs[i].ID
		switch r.Outcome {
		case channel.Sent:
			if got[id] != 1 {
				t.Errorf("%s reported sent, received %d times", id, got[id])
			}
		case channel.Transient, channel.Permanent:
			if got[id] != 0 {
				t.Errorf("%s reported %q but the peer has it", id, r.Outcome)
			}
		case channel.Unknown:
			if got[id] > 1 {
				t.Errorf("%s received %d times", id, got[id])
			}
		default:
			t.Errorf("%s: unknown outcome %q", id, r.Outcome)
		}
	}
}

func testClose(t *testing.T, newProvider NewFunc) {
	p, in := newProvider(t)
	msgs := Messages(p.Channel(), "close", 3)
	checkResults(t, msgs, p.Send(t.Context(), msgs))
	if err := p.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	before := len(in.Received())
	after := Messages(p.Channel(), "afterclose", 3)
	res := p.Send(t.Context(), after)
	checkResults(t, after, res)
	for i, r := range res {
		if r.Outcome != channel.Transient {
			t.Errorf("send after Close: result %d outcome %q, want retry", i, r.Outcome)
		}
	}
	if n := len(in.Received()); n != before {
		t.Errorf("peer received %d messages after Close", n-before)
	}
}

// checkResults checks there is one result per message, in order.
func checkResults(t *testing.T, msgs []*channel.Message, res []channel.Result) {
	t.Helper()
	if len(res) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(res), len(msgs))
	}
	for i, r := range res {
		if r.ID != msgs[i].ID {
			t.Errorf("result %d has ID %q, want %q", i, r.ID, msgs[i].ID)
		}
		if r.Outcome == channel.Sent && r.Error != "" {
			t.Errorf("result %d sent with error %q", i, r.Error)
		}
	}
}

// checkReceivedOnce checks the peer received exactly msgs, each once, at
// its address.
func checkReceivedOnce(t *testing.T, in Inspector, msgs []*channel.Message) {
	t.Helper()
	want := map[string]string{}
	for _, m := range msgs {
		want[m.ID] = m.To
	}
	seen := map[string]int{}
	for _, d := range in.Received() {
		if _, ok := want[d.ID]; !ok {
			t.Errorf("peer received unexpected message %q", d.ID)
			continue
		}
		seen[d.ID]++
		if d.To != want[d.ID] {
			t.Errorf("%s delivered to %q, want %q", d.ID, d.To, want[d.ID])
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("%s received %d times, want once", id, seen[id])
		}
	}
}
