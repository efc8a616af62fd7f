package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// Tokens lists the API tokens (names and dates).
func (c *Client) Tokens(ctx context.Context) ([]keyring.Token, error) {
	var res service.TokenList
	if err := c.call(ctx, http.MethodGet, "/api/tokens", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Tokens, nil
}

// CreateToken makes an API token; the answer is the only place it shows.
func (c *Client) CreateToken(ctx context.Context, name string) (string, error) {
	var res service.TokenCreated
	if err := c.call(ctx, http.MethodPost, "/api/tokens", nil, jsonBody(service.TokenRequest{Name: name}), "application/json", &res); err != nil {
		return "", err
	}
	return res.Token, nil
}

// RevokeToken revokes the active token of that name.
func (c *Client) RevokeToken(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/tokens/"+url.PathEscape(name), nil, nil, "", nil)
}

// Keys lists the keyring of links.
func (c *Client) Keys(ctx context.Context) (*service.KeyList, error) {
	var res service.KeyList
	if err := c.call(ctx, http.MethodGet, "/api/keys", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RotateKey adds the key that issues new links.
func (c *Client) RotateKey(ctx context.Context) (*service.KeyList, error) {
	var res service.KeyList
	if err := c.call(ctx, http.MethodPost, "/api/keys/rotate", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RetireKey retires a key: the links it issued are refused from now on.
func (c *Client) RetireKey(ctx context.Context, id string) (*service.KeyList, error) {
	var res service.KeyList
	if err := c.call(ctx, http.MethodPost, "/api/keys/"+url.PathEscape(id)+"/retire", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}
