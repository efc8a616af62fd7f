package api

import "net/http"

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/health", s.health)
	s.mux.HandleFunc("GET /api/openapi.json", s.openAPI)

	s.mux.HandleFunc("GET /api/model", s.auth(s.getModel))
	s.mux.HandleFunc("POST /api/model", s.auth(s.applyModel))
	s.mux.HandleFunc("POST /api/model/validate", s.auth(s.validateModel))
	s.mux.HandleFunc("GET /api/model/versions", s.auth(s.modelHistory))
	s.mux.HandleFunc("GET /api/model/versions/{version}", s.auth(s.getModelVersion))

	s.mux.HandleFunc("POST /api/imports", s.auth(s.createImport))
	s.mux.HandleFunc("GET /api/imports/{id}", s.auth(s.getImport))
	s.mux.HandleFunc("GET /api/imports/{id}/rejects", s.auth(s.importRejects))

	s.mux.HandleFunc("POST /api/audiences/count", s.auth(s.countAudience))
	s.mux.HandleFunc("POST /api/audiences/validate", s.auth(s.validateAudience))
	s.mux.HandleFunc("GET /api/audiences", s.auth(s.listAudiences))
	s.mux.HandleFunc("POST /api/audiences", s.auth(s.saveAudience))
	s.mux.HandleFunc("GET /api/audiences/{name}", s.auth(s.getAudience))
	s.mux.HandleFunc("DELETE /api/audiences/{name}", s.auth(s.deleteAudience))
	s.mux.HandleFunc("GET /api/audiences/{name}/versions", s.auth(s.audienceVersions))
	s.mux.HandleFunc("POST /api/audiences/{name}/refresh", s.auth(s.refreshAudience))
	s.mux.HandleFunc("POST /api/audiences/{name}/append", s.auth(s.appendAudience))
	s.mux.HandleFunc("GET /api/audiences/{name}/export", s.auth(s.exportAudience))

	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path, nil)
	})
}
