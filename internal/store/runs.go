package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Runs is the campaigns' runs: ff_runs, the state of each run's activities
// (ff_run_activities) and the outputs they recorded (ff_run_outputs). The
// coordinating transactions of one run (an activity completing, a pause, a
// stop) are serialised by Hold and Lock.
type Runs struct {
	area
	locks *sync.Map // run id → *sync.Mutex, on the embedded store
}

// Runs returns the runs' area.
func (s *Store) Runs() Runs { return Runs{s.area(), &s.runLocks} }

// On returns the area bound to q (a transaction).
func (r Runs) On(q Querier) Runs { r.area = r.area.on(q); return r }

// Hold serialises the coordinating transactions of one run in this
// process until release is called, where the database has no row locks
// (rowLocks): DuckDB would abort one of two transactions updating
// the same rows instead of waiting. It is taken before the transaction.
func (r Runs) Hold(runID int64) (release func()) {
	if rowLocks(r.d) {
		return func() {}
	}
	m, _ := r.locks.LoadOrStore(runID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Lock locks the run's row until the transaction the area is bound to
// ends (PostgreSQL, across nodes; the embedded store relies on Hold) and
// returns the run's status.
func (r Runs) Lock(ctx context.Context, runID int64) (string, error) {
	q := `SELECT status FROM ff_runs WHERE id = $1`
	if rowLocks(r.d) {
		q += " FOR UPDATE"
	}
	var status string
	err := r.row(ctx, []any{&status}, q, runID)
	return status, err
}

// NewRun is a run to create.
type NewRun struct {
	CampaignID, Version int64
	Mode, Status        string
	Trigger             string
	Params              string // a JSON object
	Occurrence          time.Time
	CreatedAt           time.Time
}

// RunRecord is a run's row, with its campaign's name.
type RunRecord struct {
	ID         int64
	Campaign   string
	CampaignID int64
	Version    int64
	Mode       string
	Status     string
	Trigger    string
	Params     string
	Occurrence *time.Time
	Error      string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

// Create creates a run and returns its id.
func (r Runs) Create(ctx context.Context, n NewRun) (int64, error) {
	var occ any
	if !n.Occurrence.IsZero() {
		occ = n.Occurrence.UTC()
	}
	var id int64
	err := r.row(ctx, []any{&id}, `INSERT INTO ff_runs (campaign_id, version, mode, status, trigger, params, occurrence, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, n.CampaignID, n.Version, n.Mode, n.Status, n.Trigger, n.Params, occ, n.CreatedAt.UTC())
	return id, err
}

// Get returns a run.
func (r Runs) Get(ctx context.Context, id int64) (RunRecord, error) {
	var x RunRecord
	var occ, fin sql.NullTime
	var errText sql.NullString
	err := r.row(ctx, []any{&x.ID, &x.Campaign, &x.CampaignID, &x.Version, &x.Mode, &x.Status, &x.Trigger, &x.Params, &occ, &errText, &x.CreatedAt, &fin},
		`SELECT r.id, c.name, r.campaign_id, r.version, r.mode, r.status, r.trigger, r.params, r.occurrence, r.error, r.created_at, r.finished_at
		FROM ff_runs r JOIN ff_campaigns c ON c.id = r.campaign_id WHERE r.id = $1`, id)
	x.Occurrence, x.FinishedAt, x.Error = timePtr(occ), timePtr(fin), errText.String
	return x, err
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// IDs lists the ids of a campaign's runs, newest first.
func (r Runs) IDs(ctx context.Context, campaign string, limit int) ([]int64, error) {
	var ids []int64
	err := r.each(ctx, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, `SELECT r.id FROM ff_runs r JOIN ff_campaigns c ON c.id = r.campaign_id WHERE c.name = $1 ORDER BY r.id DESC LIMIT $2`, campaign, limit)
	return ids, err
}

// LiveRun is a live run as a campaign's report lists it.
type LiveRun struct {
	ID        int64
	Status    string
	CreatedAt time.Time
}

// Live lists a campaign's live runs (simulations left out) started within
// [since, until), oldest first; a zero time leaves that end open.
func (r Runs) Live(ctx context.Context, campaign string, since, until time.Time) ([]LiveRun, error) {
	q, args := `SELECT r.id, r.status, r.created_at FROM ff_runs r JOIN ff_campaigns c ON c.id = r.campaign_id
		WHERE c.name = $1 AND r.mode = 'live'`, []any{campaign}
	if !since.IsZero() {
		args = append(args, since.UTC())
		q += fmt.Sprintf(` AND r.created_at >= $%d`, len(args))
	}
	if !until.IsZero() {
		args = append(args, until.UTC())
		q += fmt.Sprintf(` AND r.created_at < $%d`, len(args))
	}
	var out []LiveRun
	err := r.each(ctx, func(rows *sql.Rows) error {
		var x LiveRun
		if err := rows.Scan(&x.ID, &x.Status, &x.CreatedAt); err != nil {
			return err
		}
		x.CreatedAt = x.CreatedAt.UTC()
		out = append(out, x)
		return nil
	}, q+` ORDER BY r.id`, args...)
	return out, err
}

// Recent lists the ids of the latest runs of every campaign, newest first.
func (r Runs) Recent(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	err := r.each(ctx, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, `SELECT id FROM ff_runs ORDER BY id DESC LIMIT $1`, limit)
	return ids, err
}

// AtOccurrence counts a campaign's runs standing for a scheduled
// occurrence.
func (r Runs) AtOccurrence(ctx context.Context, campaignID int64, occ time.Time) (int, error) {
	var n int
	err := r.row(ctx, []any{&n}, `SELECT count(*) FROM ff_runs WHERE campaign_id = $1 AND occurrence = $2`, campaignID, occ)
	return n, err
}

// SetStatus sets a run's status.
func (r Runs) SetStatus(ctx context.Context, id int64, status string) error {
	_, err := r.exec(ctx, `UPDATE ff_runs SET status = $1 WHERE id = $2`, status, id)
	return err
}

// MoveStatus sets a run's status to to when it is from.
func (r Runs) MoveStatus(ctx context.Context, id int64, from, to string) error {
	_, err := r.exec(ctx, `UPDATE ff_runs SET status = $1 WHERE id = $2 AND status = $3`, to, id, from)
	return err
}

// Finish ends a run with a status at a time.
func (r Runs) Finish(ctx context.Context, id int64, status string, at time.Time) error {
	_, err := r.exec(ctx, `UPDATE ff_runs SET status = $1, finished_at = $2 WHERE id = $3`, status, at.UTC(), id)
	return err
}

// Fail ends a run with a status and the error that ended it.
func (r Runs) Fail(ctx context.Context, id int64, status, errText string, at time.Time) error {
	_, err := r.exec(ctx, `UPDATE ff_runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4`, status, errText, at.UTC(), id)
	return err
}

// FinishedRun is a finished run whose working tables were not cleaned up.
type FinishedRun struct {
	ID, CampaignID, Version int64
	FinishedAt              time.Time
}

// Uncleaned lists the finished runs whose working tables are not cleaned
// up yet.
func (r Runs) Uncleaned(ctx context.Context) ([]FinishedRun, error) {
	var out []FinishedRun
	err := r.each(ctx, func(rows *sql.Rows) error {
		var f FinishedRun
		err := rows.Scan(&f.ID, &f.CampaignID, &f.Version, &f.FinishedAt)
		out = append(out, f)
		return err
	}, `SELECT id, campaign_id, version, finished_at FROM ff_runs WHERE finished_at IS NOT NULL AND cleaned_at IS NULL`)
	return out, err
}

// MarkCleaned records that a run's working tables were dropped.
func (r Runs) MarkCleaned(ctx context.Context, id int64, at time.Time) error {
	_, err := r.exec(ctx, `UPDATE ff_runs SET cleaned_at = $1 WHERE id = $2`, at.UTC(), id)
	return err
}

// WorkTables lists the working tables whose names start with prefix (LIKE
// wildcards in it are escaped); onlyStray leaves out those an output of
// the run names.
func (r Runs) WorkTables(ctx context.Context, runID int64, prefix string, onlyStray bool) ([]string, error) {
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE $1 ESCAPE '!'`
	args := []any{escapeLike(prefix) + "%"}
	if onlyStray {
		q += ` AND table_name NOT IN (SELECT table_name FROM ff_run_outputs WHERE run_id = $2 AND table_name IS NOT NULL)`
		args = append(args, runID)
	}
	var names []string
	err := r.each(ctx, func(rows *sql.Rows) error {
		var n string
		err := rows.Scan(&n)
		names = append(names, n)
		return err
	}, q, args...)
	return names, err
}

// DropTable drops a working table if it exists.
func (r Runs) DropTable(ctx context.Context, name string) error {
	_, err := r.exec(ctx, "DROP TABLE IF EXISTS "+Quote(name))
	return err
}

// TableSize counts a working table's rows and lists its columns.
func (r Runs) TableSize(ctx context.Context, table string) (count int64, columns []string, err error) {
	if err := r.row(ctx, []any{&count}, "SELECT count(*) FROM "+Quote(table)); err != nil {
		return 0, nil, err
	}
	rows, err := r.q.QueryContext(ctx, "SELECT * FROM "+Quote(table)+" LIMIT 0")
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	columns, err = rows.Columns()
	return count, columns, err
}

// ValueCount is how many rows of a table hold one value of a column (nil
// for no value).
type ValueCount struct {
	Value *string
	Rows  int64
}

// TableBreakdown counts the rows of a working table by the values of one
// of its columns (named as the table names it, else ErrNotFound), as
// text: the top most frequent (ties by value), and the table's rows.
func (r Runs) TableBreakdown(ctx context.Context, table, column string, top int) ([]ValueCount, int64, error) {
	total, columns, err := r.TableSize(ctx, table)
	if err != nil {
		return nil, 0, err
	}
	if !slices.Contains(columns, column) {
		return nil, 0, fmt.Errorf("column %q: %w", column, ErrNotFound)
	}
	var out []ValueCount
	err = r.each(ctx, func(rows *sql.Rows) error {
		var v sql.NullString
		var n int64
		if err := rows.Scan(&v, &n); err != nil {
			return err
		}
		vc := ValueCount{Rows: n}
		if v.Valid {
			vc.Value = &v.String
		}
		out = append(out, vc)
		return nil
	}, fmt.Sprintf(`SELECT CAST(%s AS VARCHAR) AS v, count(*) AS n FROM %s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %d`, Quote(column), Quote(table), top))
	return out, total, err
}

// TableRows returns the first limit rows of a working table, ordered by
// its first column, as plain values (Plain).
func (r Runs) TableRows(ctx context.Context, table string, limit int) ([]string, [][]any, error) {
	rows, err := r.q.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM %s ORDER BY 1 LIMIT %d`, Quote(table), limit))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			vals[i] = Plain(v)
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

// Load appends the rows next gives to a working table by the database's
// bulk path, on a connection of its own held until next has no more rows,
// so that loads into several tables can run at once. The area must be on
// the database, not bound to a transaction.
func (r Runs) Load(ctx context.Context, table string, columns []string, next RowFunc) (int64, error) {
	db, ok := r.q.(*sql.DB)
	if !ok {
		return 0, fmt.Errorf("load %s: needs the database, not a transaction", table)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("loading connection: %w", err)
	}
	defer conn.Close()
	return r.d.BulkLoad(ctx, conn, table, columns, next)
}
