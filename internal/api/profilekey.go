package api

import (
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// profileKey renders key values of a dimension as the outbox does (see
// delivery.DimensionKey).
func (s *Server) profileKey(r *http.Request, dimension string, values []any) (string, error) {
	m, _, err := schema.Current(r.Context(), s.store)
	if err != nil {
		return "", err
	}
	e := m.Entity(dimension)
	if e == nil {
		return "", errBadRequest("unknown dimension " + strconv.Quote(dimension))
	}
	return delivery.DimensionKey(e, values)
}
