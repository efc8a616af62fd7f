package worktable_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

const candidatesModel = `
entities:
  people:
    key: id
    attributes:
      id: integer
      email: string
    targeting:
      email: email
      push: {link: devices, token: token, active: active}
  devices:
    key: device_id
    attributes:
      device_id: string
      person_id: integer
      token: string
      active: boolean
    links:
      person: {entity: people, columns: [person_id], reverse: devices}
  things:
    key: id
    attributes:
      id: integer
`

// TestCandidates runs a channel activity's candidates on both stores: one
// row per recipient for email (a missing address kept, as NULL), one per
// device for push (a recipient without a device kept, without a token),
// each with its message id, recipient, address, activity and key; and a
// where restricts the population.
func TestCandidates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := schema.Apply(ctx, s, []byte(candidatesModel), schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := datamodel.Parse([]byte(candidatesModel))
		if err != nil {
			t.Fatal(err)
		}
		g := s.Generated()
		for _, q := range []string{
			`INSERT INTO people VALUES (1, 'a@x.org'), (2, NULL), (3, 'c@x.org')`,
			`INSERT INTO devices VALUES ('d1', 1, 't1', TRUE), ('d2', 1, 't2', FALSE), ('d3', 2, 't3', NULL)`,
			`CREATE TABLE ff_w_pop (id BIGINT)`,
			`INSERT INTO ff_w_pop VALUES (1), (2), (3)`,
		} {
			if _, err := g.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		c := &worktable.Compiler{Model: m}
		read := func(channel, where string) []string {
			t.Helper()
			sel, err := c.Candidates(channel, "ff_w_pop", "people")
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			err = g.Rows(ctx, sel(where), []any{"7:e:"}, func(scan func(...any) error) error {
				var id, recipient string
				var address, platform *string
				var active bool
				var k0 int64
				if err := scan(&id, &recipient, &address, &platform, &active, &k0); err != nil {
					return err
				}
				a := "-"
				if address != nil {
					a = *address
				}
				rows = append(rows, strings.Join([]string{id, recipient, a, map[bool]string{true: "on", false: "off"}[active]}, " "))
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", sel(where), err)
			}
			slices.Sort(rows)
			return rows
		}
		want := []string{`7:e:1 {"id":1} a@x.org on`, `7:e:2 {"id":2} - on`, `7:e:3 {"id":3} c@x.org on`}
		if got := read("email", ""); !slices.Equal(got, want) {
			t.Errorf("email candidates = %q, want %q", got, want)
		}
		if got := read("email", "WHERE w.id = 3"); len(got) != 1 || !strings.HasPrefix(got[0], "7:e:3 ") {
			t.Errorf("email candidates where id = 3: %q", got)
		}
		want = []string{`7:e:1|t1 {"id":1} t1 on`, `7:e:1|t2 {"id":1} t2 off`, `7:e:2|t3 {"id":2} t3 on`, `7:e:3| {"id":3} - on`}
		if got := read("push", ""); !slices.Equal(got, want) {
			t.Errorf("push candidates = %q, want %q", got, want)
		}
	})
}

// TestCandidatesRefuse names what a channel lacks.
func TestCandidatesRefuse(t *testing.T) {
	t.Parallel()
	m, err := datamodel.Parse([]byte(candidatesModel))
	if err != nil {
		t.Fatal(err)
	}
	c := &worktable.Compiler{Model: m}
	for _, tc := range []struct{ name, channel, dimension, want string }{
		{"no sms address", "sms", "people", "people declares no sms address"},
		{"not targeting", "email", "things", "things is not a targeting dimension"},
		{"not a channel", "fax", "people", "fax is not a channel"},
		{"unknown dimension", "email", "nobody", `unknown dimension "nobody"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Candidates(tc.channel, "ff_w_pop", tc.dimension); err == nil || err.Error() != tc.want {
				t.Errorf("Candidates(%s, %s) = %v, want %q", tc.channel, tc.dimension, err, tc.want)
			}
		})
	}
}
