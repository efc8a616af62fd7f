package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestEventsAfterNumbersEveryEventInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var evs []store.EventRecord
		for i := range 700 {
			evs = append(evs, store.EventRecord{At: runT0, Type: "open", RunID: 1, Activity: "mail", MessageID: fmt.Sprintf("m%d", i)})
		}
		if err := s.Events().Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		var got []store.StreamEvent
		for after := int64(0); ; {
			page, err := s.Events().After(ctx, after, 300)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Seq
		}
		if len(got) != 700 {
			t.Fatalf("read %d events, want 700", len(got))
		}
		seen := map[string]bool{}
		for i, ev := range got {
			if i > 0 && ev.Seq != got[i-1].Seq+1 {
				t.Fatalf("event %d numbered %d after %d: want consecutive numbers", i, ev.Seq, got[i-1].Seq)
			}
			seen[ev.MessageID] = true
		}
		if len(seen) != 700 {
			t.Fatalf("%d distinct events, want 700", len(seen))
		}
		last, err := s.Events().LastSeq(ctx)
		if err != nil || last != got[699].Seq {
			t.Fatalf("last seq %d (%v), want %d", last, err, got[699].Seq)
		}
		if n, err := s.Events().CountAfter(ctx, got[599].Seq); err != nil || n != 100 {
			t.Fatalf("events after the 600th: %d (%v), want 100", n, err)
		}
	})
}

func TestOutboundCursorLease(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		o := s.Outbound()
		now := runT0
		c, ok, err := o.Claim(ctx, "lake", "a", 5, now, now.Add(30*time.Second))
		if err != nil || !ok || c.Seq != 5 {
			t.Fatalf("first claim: %+v %v %v, want seq 5 held", c, ok, err)
		}
		if _, ok, err := o.Claim(ctx, "lake", "b", 0, now.Add(time.Second), now.Add(31*time.Second)); err != nil || ok {
			t.Fatalf("b claimed a held lease: %v %v", ok, err)
		}
		gap := now.Add(2 * time.Second)
		if err := o.Advance(ctx, "lake", "a", store.Cursor{Seq: 9, GapSince: gap}, now); err != nil {
			t.Fatal(err)
		}
		if err := o.Advance(ctx, "lake", "b", store.Cursor{Seq: 12}, now); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("b advanced without the lease: %v", err)
		}
		// The lease expired: b takes it over where a stood, and a's moves
		// are refused.
		c, ok, err = o.Claim(ctx, "lake", "b", 0, now.Add(31*time.Second), now.Add(61*time.Second))
		if err != nil || !ok || c.Seq != 9 || !c.GapSince.Equal(gap) {
			t.Fatalf("takeover: %+v %v %v, want seq 9 with its gap", c, ok, err)
		}
		if err := o.Advance(ctx, "lake", "a", store.Cursor{Seq: 10}, now); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("a advanced after losing the lease: %v", err)
		}
		cs, err := o.Cursors(ctx)
		if c := cs["lake"]; err != nil || len(cs) != 1 || c.Seq != 9 || c.LeaseOwner != "b" || !c.LeaseUntil.Equal(now.Add(61*time.Second)) || !c.GapSince.Equal(gap) {
			t.Fatalf("cursors: %+v %v", cs, err)
		}
		if err := o.Release(ctx, "lake", "b"); err != nil {
			t.Fatal(err)
		}
		if cs, _ := o.Cursors(ctx); cs["lake"].LeaseOwner != "" || !cs["lake"].LeaseUntil.IsZero() {
			t.Fatalf("cursor after release: %+v", cs["lake"])
		}
		if _, ok, err := o.Claim(ctx, "lake", "a", 0, now.Add(32*time.Second), now.Add(62*time.Second)); err != nil || !ok {
			t.Fatalf("claim after release: %v %v", ok, err)
		}
	})
}

func TestOutboundDeadLettersAndPublish(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		o := s.Outbound()
		id1, err := o.AddDeadLetter(ctx, store.DeadLetter{Destination: "cdp", Kind: "events", FirstSeq: 1, LastSeq: 3, Items: 3, Body: "a\nb\nc\n", Attempts: 5, Error: "503", CreatedAt: runT0})
		if err != nil {
			t.Fatal(err)
		}
		id2, err := o.AddDeadLetter(ctx, store.DeadLetter{Destination: "cdp", Kind: "audience", Subject: "vip", Items: 2, Body: "k\n1\n2\n", Attempts: 5, Error: "timeout", CreatedAt: runT0})
		if err != nil {
			t.Fatal(err)
		}
		id3, err := o.AddDeadLetter(ctx, store.DeadLetter{Destination: "crm", Kind: "events", FirstSeq: 4, LastSeq: 4, Items: 1, Body: "d\n", Attempts: 1, Error: "500", CreatedAt: runT0})
		if err != nil {
			t.Fatal(err)
		}
		if list, err := o.DeadLetters(ctx, store.DeadLetterFilter{Destination: "crm", Limit: 10}); err != nil || len(list) != 1 || list[0].ID != id3 {
			t.Fatalf("dead letters of crm: %+v %v", list, err)
		}
		list, err := o.DeadLetters(ctx, store.DeadLetterFilter{Destination: "cdp", Redelivered: "no", Limit: 10})
		if err != nil || len(list) != 2 || list[0].ID != id2 || list[0].Subject != "vip" || list[0].Kind != "audience" || list[0].Body != "" {
			t.Fatalf("dead letters: %+v %v", list, err)
		}
		d, err := o.DeadLetter(ctx, id1)
		if err != nil || d.Body != "a\nb\nc\n" || d.LastSeq != 3 || d.Kind != "events" {
			t.Fatalf("dead letter %d: %+v %v", id1, d, err)
		}
		if _, err := o.DeadLetter(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown dead letter: %v", err)
		}
		if err := o.Redelivered(ctx, id1, 6, runT0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if list, _ := o.DeadLetters(ctx, store.DeadLetterFilter{Destination: "cdp", Redelivered: "no", Limit: 10}); len(list) != 1 || list[0].ID != id2 {
			t.Fatalf("pending after redelivery: %+v", list)
		}
		if list, _ := o.DeadLetters(ctx, store.DeadLetterFilter{Destination: "cdp", Limit: 10}); len(list) != 2 || !list[1].RedeliveredAt.Equal(runT0.Add(time.Hour)) || list[1].Attempts != 6 {
			t.Fatalf("all after redelivery: %+v", list)
		}
		if n, err := o.PendingDeadLetters(ctx); err != nil || len(n) != 2 || n["cdp"] != 1 || n["crm"] != 1 {
			t.Fatalf("pending by destination: %v %v", n, err)
		}
		if list, _ := o.DeadLetters(ctx, store.DeadLetterFilter{Redelivered: "yes", Limit: 10}); len(list) != 1 || list[0].ID != id1 {
			t.Fatalf("redelivered: %+v", list)
		}
		if list, _ := o.DeadLetters(ctx, store.DeadLetterFilter{Limit: 2}); len(list) != 2 || list[0].ID != id3 {
			t.Fatalf("every one, at most 2: %+v", list)
		}

		p := store.PublishRecord{Audience: "vip", Destination: "lake", Format: "csv", Attributes: `["email"]`, UpdatedAt: runT0}
		if err := o.SetPublish(ctx, p); err != nil {
			t.Fatal(err)
		}
		p.Format = "ndjson"
		if err := o.SetPublish(ctx, p); err != nil {
			t.Fatal(err)
		}
		if got, err := o.Publish(ctx, "vip"); err != nil || got != p {
			t.Fatalf("publish: %+v %v, want %+v", got, err, p)
		}
		if ok, err := o.Unpublish(ctx, "vip"); err != nil || !ok {
			t.Fatalf("unpublish: %v %v", ok, err)
		}
		if _, err := o.Publish(ctx, "vip"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("publish after unpublish: %v", err)
		}
	})
}
