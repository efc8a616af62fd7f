package store

import "errors"

// ErrDuplicate is returned when an operation would record a second object
// under a name or key that must be unique (an audience name, the name of
// an active API token).
var ErrDuplicate = errors.New("already exists")
