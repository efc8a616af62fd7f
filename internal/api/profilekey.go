package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// profileKey renders key values of a dimension as the outbox does,
// converting numbers of integer key attributes to integers.
func (s *Server) profileKey(r *http.Request, dimension string, values []any) (string, error) {
	m, _, err := schema.Current(r.Context(), s.store)
	if err != nil {
		return "", err
	}
	e := m.Entity(dimension)
	if e == nil {
		return "", errBadRequest("unknown dimension " + strconv.Quote(dimension))
	}
	if len(values) != len(e.Key) {
		return "", errBadRequest("key: give one value per key attribute of " + dimension)
	}
	for i, v := range values {
		if n, ok := v.(json.Number); ok {
			if iv, err := n.Int64(); err == nil {
				values[i] = iv
			}
		}
	}
	return delivery.ProfileKey(e.Key, values)
}
