package engine

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/store"
)

func init() {
	for _, typ := range []string{"email", "sms", "push"} {
		register(typ, channel)
	}
}

// channel hands the population to the outbox in live runs: one pending
// message per recipient, in one statement. The message id is
// "<run>:<activity>:<key values joined by '|'>", so a retried activity
// adds nothing (ON CONFLICT DO NOTHING). The recipient is the key as a JSON
// object. A simulation writes nothing. The population passes on.
func channel(v *env) ([]output, error) {
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	if v.simulate() {
		return passThrough(v, "out")
	}
	dim, err := v.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(dim.Key))
	recipient := make([]string, len(dim.Key))
	for i, k := range dim.Key {
		col := "w." + store.Quote(k)
		ids[i] = "CAST(" + col + " AS VARCHAR)"
		sep := ","
		if i == 0 {
			sep = "{"
		}
		recipient[i] = sqlString(sep+`"`+k+`":`) + " || CAST(to_json(" + col + ") AS VARCHAR)"
	}
	prefix := fmt.Sprintf("%d:%s:", v.st.run.ID, v.act.ID)
	query := `INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, recipient, status, created_at) SELECT ` +
		sqlString(prefix) + " || " + strings.Join(ids, " || '|' || ") + ", $1, $2, $3, " +
		strings.Join(recipient, " || ") + " || '}', 'pending', $4 FROM " + store.Quote(in.Table) + " w ON CONFLICT DO NOTHING"
	if err := v.exec(query, v.st.run.ID, v.act.ID, v.act.Type, v.now.UTC()); err != nil {
		return nil, err
	}
	return passThrough(v, "out")
}
