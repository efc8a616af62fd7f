package worktable

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Candidates returns the SELECT of a channel activity's messages over its
// population (a working table of dimension), restricted by where ("" or
// "WHERE …" over the population, alias w), as store.OutboxFill.Candidates
// takes it: one row per recipient and address — per linked device for
// push — with the columns id ($1, the message ids' prefix, then the key
// values joined by '|', plus "|<token>" for push), recipient (the key as
// a JSON object), address, platform, active (may the device receive) and
// k0… (the key's values, in key order). channel is email, sms or push.
func (c *Compiler) Candidates(channel, population, dimension string) (func(where string) string, error) {
	dim, err := c.entity(dimension)
	if err != nil {
		return nil, err
	}
	addr, err := c.addressSource(channel, dim)
	if err != nil {
		return nil, err
	}
	var ids, sortKeys []string
	for i, k := range dim.Key {
		col := "w." + store.Quote(k)
		ids = append(ids, "CAST("+col+" AS VARCHAR)")
		sortKeys = append(sortKeys, fmt.Sprintf("%s AS k%d", col, i))
	}
	id := "$1 || " + strings.Join(ids, " || '|' || ")
	if addr.perDevice {
		id += " || '|' || coalesce(" + addr.expr + ", '')"
	}
	platform := "CAST(NULL AS VARCHAR)"
	if addr.platform != "" {
		platform = "CAST(" + addr.platform + " AS VARCHAR)"
	}
	active := "TRUE"
	if addr.active != "" {
		active = "coalesce(" + addr.active + ", TRUE)"
	}
	head := "SELECT " + id + " AS id, " + Recipient("w", dim.Key) + " AS recipient, CAST(" + addr.expr +
		" AS VARCHAR) AS address, " + platform + " AS platform, " + active + " AS active, " + strings.Join(sortKeys, ", ") +
		" FROM " + store.Quote(population) + " w JOIN " + store.Quote(dim.Name) + " d ON " + joinOn("d", dim.Key, "w", dim.Key) + " " + addr.join + " "
	return func(where string) string { return head + where }, nil
}

// Recipient returns the SQL of a recipient's key as the outbox holds it,
// a JSON object ({"customer_id":8}), over the key columns of alias: how a
// channel activity writes it and how a report finds a member's messages.
func Recipient(alias string, key []string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		// Key names are identifiers checked against the data model.
		parts[i] = "'" + sep + `"` + k + `":' || CAST(to_json(` + alias + "." + store.Quote(k) + ") AS VARCHAR)"
	}
	return strings.Join(parts, " || ") + " || '}'"
}

// addressSource says where a channel's addresses are: an attribute of the
// dimension (email, sms), or a token of each linked device (push).
type addressSource struct {
	expr      string // SQL over d (the dimension) or dv (a device)
	platform  string
	active    string // SQL over dv: may the device receive pushes
	join      string // extra LEFT JOIN for devices
	perDevice bool
}

func (c *Compiler) addressSource(channel string, dim *datamodel.Entity) (addressSource, error) {
	t := dim.Targeting
	if t == nil {
		return addressSource{}, fmt.Errorf("%s is not a targeting dimension", dim.Name)
	}
	switch channel {
	case "email", "sms":
		attr := t.Email
		if channel == "sms" {
			attr = t.SMS
		}
		if attr == "" || dim.Attribute(attr) == nil {
			return addressSource{}, fmt.Errorf("%s declares no %s address", dim.Name, channel)
		}
		return addressSource{expr: "d." + store.Quote(attr)}, nil
	case "push":
		if t.Push == nil {
			return addressSource{}, fmt.Errorf("%s declares no push devices", dim.Name)
		}
		_, hop, err := audience.ResolveLink(c.Model, dim, t.Push.Link)
		if err != nil {
			return addressSource{}, fmt.Errorf("push devices: %w", err)
		}
		src := addressSource{
			expr:      "dv." + store.Quote(t.Push.Token),
			join:      "LEFT JOIN " + store.Quote(hop.To.Name) + " dv ON " + joinOn("dv", hop.ToCols, "d", hop.FromCols),
			perDevice: true,
		}
		if t.Push.Platform != "" {
			src.platform = "dv." + store.Quote(t.Push.Platform)
		}
		if t.Push.Active != "" {
			src.active = "dv." + store.Quote(t.Push.Active)
		}
		return src, nil
	}
	return addressSource{}, fmt.Errorf("%s is not a channel", channel)
}

// joinOn renders a.ac[i] = b.bc[i] AND … with quoted columns.
func joinOn(a string, ac []string, b string, bc []string) string {
	parts := make([]string, len(ac))
	for i := range ac {
		parts[i] = a + "." + store.Quote(ac[i]) + " = " + b + "." + store.Quote(bc[i])
	}
	return strings.Join(parts, " AND ")
}
