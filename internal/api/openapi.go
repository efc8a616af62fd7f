package api

import (
	"bytes"
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPIDocument returns (a copy of) the OpenAPI document the server
// serves at /api/openapi.json: the contract its tests check every answer
// against (package apitest).
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDoc) }

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}
