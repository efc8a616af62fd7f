package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const shopModel = `entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      email: string
      country: string
    targeting:
      email: email
  purchases:
    key: purchase_id
    attributes:
      purchase_id: integer
      customer_id: integer
      amount: decimal(10,2)
    links:
      customer: {entity: customers, reverse: purchases}
`

func TestAudiencesOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		if code, out := call(t, srv, "POST", "/api/model", shopModel, true); code != http.StatusOK {
			t.Fatalf("apply: %d %v", code, out)
		}
		upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,FR\n3,c@example.com,DE\n")
		upload(t, srv, "/api/imports?entity=purchases&name=p.csv", "purchase_id,customer_id,amount\n10,1,100\n11,1,50\n12,3,5\n")

		code, out := call(t, srv, "POST", "/api/audiences/count", `{"text": "country = \"FR\" and sum(purchases.amount) > 120", "breakdown": "country", "sample": 5, "attributes": ["email"]}`, true)
		if code != http.StatusOK || out["count"].(float64) != 1 {
			t.Fatalf("count: %d %v", code, out)
		}
		rows := out["sample"].(map[string]any)["rows"].([]any)
		if len(rows) != 1 || rows[0].([]any)[0] != "a@example.com" {
			t.Fatalf("sample: %v", out["sample"])
		}
		// The same query as a JSON tree.
		code, out = call(t, srv, "POST", "/api/audiences/count", `{"dimension": "customers", "where": {"and": [{"attr": "country", "op": "=", "value": "FR"},
			{"link": "purchases", "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": 120}}]}}`, true)
		if code != http.StatusOK || out["count"].(float64) != 1 {
			t.Fatalf("count (json): %d %v", code, out)
		}
		// Every problem at once, with its node path.
		code, out = call(t, srv, "POST", "/api/audiences/count", `{"where": {"and": [{"attr": "colour", "op": "=", "value": "red"}, {"attr": "country", "op": "<>", "value": 1}]}}`, true)
		problems, _ := out["error"].(map[string]any)["details"].([]any)
		if code != http.StatusBadRequest || len(problems) != 2 || !strings.Contains(problems[0].(map[string]any)["path"].(string), "and[0]") {
			t.Fatalf("invalid query: %d %v", code, out)
		}
		code, out = call(t, srv, "POST", "/api/audiences/count", `{"text": "country in (\"FR\""}`, true)
		if code != http.StatusBadRequest || !strings.Contains(out["error"].(map[string]any)["message"].(string), "column") {
			t.Fatalf("syntax error: %d %v", code, out)
		}
		// Injection through a value changes nothing.
		code, out = call(t, srv, "POST", "/api/audiences/count", `{"text": "country = \"FR'; DROP TABLE customers; --\""}`, true)
		if code != http.StatusOK || out["count"].(float64) != 0 {
			t.Fatalf("injection attempt: %d %v", code, out)
		}
		// Save, reuse in a query, export, refresh, delete.
		if code, out = call(t, srv, "POST", "/api/audiences", `{"name": "french", "text": "country = \"FR\""}`, true); code != http.StatusCreated || out["count"].(float64) != 2 {
			t.Fatalf("save: %d %v", code, out)
		}
		if code, _ = call(t, srv, "POST", "/api/audiences", `{"name": "french", "text": "all"}`, true); code != http.StatusConflict {
			t.Fatalf("save twice: %d", code)
		}
		if code, out = call(t, srv, "POST", "/api/audiences/count", `{"text": "in audience \"french\" and not exists(purchases)"}`, true); code != http.StatusOK || out["count"].(float64) != 1 {
			t.Fatalf("membership: %d %v", code, out)
		}
		code, out = call(t, srv, "GET", "/api/audiences/french/export?attributes=customer_id,email", "", true)
		if code != http.StatusOK || out["raw"] != "customer_id,email\n1,a@example.com\n2,b@example.com\n" {
			t.Fatalf("export: %d %q", code, out["raw"])
		}
		upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n4,d@example.com,FR\n")
		if code, out = call(t, srv, "POST", "/api/audiences/french/refresh", "", true); code != http.StatusOK || out["count"].(float64) != 3 || out["version"].(float64) != 2 {
			t.Fatalf("refresh: %d %v", code, out)
		}
		if code, out = call(t, srv, "GET", "/api/audiences/french/versions", "", true); code != http.StatusOK || len(out["versions"].([]any)) != 2 {
			t.Fatalf("versions: %d %v", code, out)
		}
		if code, _ = call(t, srv, "DELETE", "/api/audiences/french/versions/2", "", true); code != http.StatusConflict {
			t.Fatalf("deleting the current version: %d", code)
		}
		if code, _ = call(t, srv, "DELETE", "/api/audiences/french/versions/1", "", true); code != http.StatusNoContent {
			t.Fatalf("deleting an old version: %d", code)
		}
		if code, out = call(t, srv, "GET", "/api/audiences/french/versions", "", true); len(out["versions"].([]any)) != 1 {
			t.Fatalf("versions after delete: %d %v", code, out)
		}
		if code, _ = call(t, srv, "DELETE", "/api/audiences/french", "", true); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		if code, _ = call(t, srv, "GET", "/api/audiences/french", "", true); code != http.StatusNotFound {
			t.Fatalf("get after delete: %d", code)
		}
	})
}

// TestAudienceCountEndsWithItsClient starts a count that cannot finish
// (the customers' table is locked) and aborts its client, as the console
// does with a superseded live count: on PostgreSQL the query must be
// cancelled in the database, not left to run for nobody.
func TestAudienceCountEndsWithItsClient(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	srv := setup(t, s)
	if code, out := call(t, srv, "POST", "/api/model", shopModel, true); code != http.StatusOK {
		t.Fatalf("apply: %d %v", code, out)
	}
	upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n")
	ctx := context.Background()
	lock, err := storetest.DB(s).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var holder int
	if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	// blocked counts the queries waiting for the lock.
	blocked := func() int {
		var n int
		if err := storetest.DB(s).QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, holder).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	reqCtx, abort := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(reqCtx, "POST", srv.URL+"/api/audiences/count", strings.NewReader(`{"dimension": "customers", "text": "country = \"FR\""}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	answered := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); blocked() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the count never reached the database")
		}
	}
	abort()
	if err := <-answered; err == nil {
		t.Fatal("the aborted count answered")
	}
	aborted := time.Now()
	for blocked() > 0 {
		if time.Since(aborted) > 2*time.Second {
			t.Fatalf("the count's query still runs %s after its client left", time.Since(aborted).Round(time.Millisecond))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the count's query ended %s after its client left", time.Since(aborted).Round(time.Millisecond))
}
