package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/service"
)

// RunWatch follows a run's event stream (GET /api/runs/{id}/events),
// calling fn with each update until the final one, fn fails, or ctx ends
// (nil then).
func (c *Client) RunWatch(ctx context.Context, id int64, fn func(service.RunUpdate) error) error {
	resp, err := c.do(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10)+"/events", nil, nil, "")
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var event string
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if err := c.dispatch(event, data.String(), fn); err != nil {
				return err
			}
			event = ""
			data.Reset()
		case strings.HasPrefix(line, ":"): // a comment: keep-alive
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the run's events: %w", err)
	}
	return nil
}

// dispatch hands one event to fn.
func (c *Client) dispatch(event, data string, fn func(service.RunUpdate) error) error {
	switch event {
	case "update":
		var u service.RunUpdate
		if err := json.Unmarshal([]byte(data), &u); err != nil {
			return fmt.Errorf("decode a run update: %w", err)
		}
		return fn(u)
	case "error":
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal([]byte(data), &body)
		return fmt.Errorf("the server stopped following the run: %s", body.Error.Message)
	}
	return nil
}
