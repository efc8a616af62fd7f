package service_test

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// TestRunBreakdown: a transition's rows counted by a column's values
// over all of them (as many as its count), the top ones listed and the
// rest in others; refused without a column, not found for a column it
// does not have or a port with no rows.
func TestRunBreakdown(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx := im.ctx
		id := got(im.svc.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeSimulate})).must(t).ID
		node := service.New(service.Config{Store: im.store, Log: quiet(), Providers: sandbox(t, im.store)})
		t.Cleanup(func() { node.Close() })
		st, err := node.Work(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var count int64 = -1
		for _, tr := range st.Transitions {
			if tr.From == "fr" && tr.Count != nil {
				count = *tr.Count
			}
		}
		if count < 2 {
			t.Fatalf("fr's rows: %d", count)
		}
		b := got(im.svc.RunBreakdown(ctx, id, "fr", "", "customer_id", 0)).must(t)
		var sum int64
		for _, v := range b.Values {
			if v.Value == nil || v.Rows != 1 {
				t.Errorf("a customer's id: %+v", v)
			}
			sum += v.Rows
		}
		if b.Column != "customer_id" || b.Rows != count || sum != count || b.Others != 0 {
			t.Errorf("by customer_id: %+v (the edge carried %d)", b, count)
		}
		top := got(im.svc.RunBreakdown(ctx, id, "fr", "out", "customer_id", 1)).must(t)
		if len(top.Values) != 1 || top.Others != count-1 || top.Rows != count {
			t.Errorf("the top value: %+v", top)
		}
		_, err = im.svc.RunBreakdown(ctx, id, "fr", "out", "", 0)
		wantIs(t, "no column", err, service.ErrBadRequest)
		_, err = im.svc.RunBreakdown(ctx, id, "fr", "out", "nonesuch", 0)
		wantIs(t, "an unknown column", err, store.ErrNotFound)
		_, err = im.svc.RunBreakdown(ctx, id, "fr", "elsewhere", "customer_id", 0)
		wantIs(t, "a port with no rows", err, store.ErrNotFound)
		_, err = im.svc.RunBreakdown(ctx, id, "fr", "out", "customer_id", engine.MaxBreakdownValues+1)
		wantIs(t, "too many values", err, store.ErrLimit)
	})
}
