package store

// Description says what a store is, in the terms its callers need: which
// database (for health, logs and messages), where, and what that implies
// for them. Callers read it rather than branch on a dialect's name, so
// what differs between the databases stays decided here.
type Description struct {
	// Kind names the database: "duckdb" or "postgres".
	Kind string
	// Location is where the database is, for logs and messages (never a
	// password): the embedded store's file, or the server's redacted URL.
	Location string
	// File is the embedded store's file, empty for a database server.
	File string
	// Shared reports whether other processes may use the store at the same
	// time (several nodes on one PostgreSQL database); the embedded store
	// is one process's.
	Shared bool
}

// Describe returns what the store is.
func (s *Store) Describe() Description {
	d := Description{Kind: s.Dialect.Name(), Location: s.Location, Shared: !s.Embedded()}
	if !d.Shared {
		d.File = s.Location
	}
	return d
}
