package client

import (
	"context"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/service"
)

// Nodes lists the servers sharing the store with their health.
func (c *Client) Nodes(ctx context.Context) ([]service.Node, error) {
	var res struct {
		Nodes []service.Node `json:"nodes"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/nodes", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Nodes, nil
}
