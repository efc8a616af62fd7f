package api

import (
	"context"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/keyring"
)

// TokenRequest names a new API token.
type TokenRequest struct {
	Name string `json:"name"`
}

// TokenCreated is a new token: the only answer that shows it.
type TokenCreated struct {
	Name  string `json:"name"`
	Token string `json:"token"`
}

// TokenList lists the API tokens (never the tokens themselves).
type TokenList struct {
	Tokens []keyring.Token `json:"tokens"`
}

// KeyList lists the keys of the keyring (never their secrets) and says
// which one issues new links.
type KeyList struct {
	Keys    []keyring.Key `json:"keys"`
	Current string        `json:"current"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tokens.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, TokenList{Tokens: ts})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if err := decodeBody(r, "token request", &req); err != nil {
		s.fail(w, r, err)
		return
	}
	tok, err := s.tokens.Create(r.Context(), req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("API token created", "name", req.Name, "by", "token:"+TokenName(r.Context()))
	writeJSON(w, http.StatusCreated, TokenCreated{Name: req.Name, Token: tok})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.tokens.Revoke(r.Context(), name); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("API token revoked", "name", name, "by", "token:"+TokenName(r.Context()))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	out, err := keyList(r.Context(), s.keys)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// keyList lists a keyring, the current key made if there is none yet.
func keyList(ctx context.Context, ring *keyring.Ring) (*KeyList, error) {
	cur, err := ring.Current(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := ring.List(ctx)
	if err != nil {
		return nil, err
	}
	return &KeyList{Keys: keys, Current: cur.ID}, nil
}

func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.keys.Rotate(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("key rotated", "key", k.ID, "by", "token:"+TokenName(r.Context()))
	s.listKeys(w, r)
}

func (s *Server) retireKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.keys.Retire(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("key retired", "key", id, "by", "token:"+TokenName(r.Context()))
	s.listKeys(w, r)
}
