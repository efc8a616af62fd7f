package api

import (
	"net/http"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/console"
)

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/health", s.health)
	s.mux.HandleFunc("GET /api/nodes", s.auth(s.nodes()))
	s.mux.HandleFunc("GET /api/openapi.json", s.openAPI)

	s.mux.HandleFunc("POST /api/session", s.signIn)
	s.mux.HandleFunc("GET /api/session", s.getSession)
	s.mux.HandleFunc("DELETE /api/session", s.signOut)

	s.dataRoutes()
	s.campaignRoutes()
	s.adminRoutes()

	// Public: the links in messages.
	s.mux.HandleFunc("GET /u/{token}", s.unsubscribeForm)
	s.mux.HandleFunc("POST /u/{token}", s.unsubscribe)
	s.mux.HandleFunc(clickPattern, s.trackClick)
	s.mux.HandleFunc(openPattern, s.trackOpen)
	// Public, signed by the provider: SMS delivery reports.
	s.mux.HandleFunc("POST /callbacks/sms", s.smsStatus)
	// Public, signed by the provider: bounces, complaints, deliveries.
	s.mux.HandleFunc("POST /callbacks/email/{source}", s.emailFeedback)

	// Prometheus' scrape, behind the API's auth (docs/operations.md); a
	// separate listener may serve it openly (fanfare serve --metrics-listen).
	if s.metrics != nil {
		s.mux.HandleFunc("GET /metrics", s.auth(s.metrics.ServeHTTP))
	}

	s.mux.HandleFunc("/api/", s.noRoute)

	// The web console: its files, and index.html for its client routes.
	s.mux.HandleFunc("/", s.root)
}

// dataRoutes: the data model, imports and audiences.
func (s *Server) dataRoutes() {
	s.mux.HandleFunc("GET /api/model", s.auth(s.getModel()))
	s.mux.HandleFunc("POST /api/model", s.auth(s.applyModel()))
	s.mux.HandleFunc("POST /api/model/validate", s.auth(s.validateModel()))
	s.mux.HandleFunc("GET /api/model/versions", s.auth(s.modelHistory()))
	s.mux.HandleFunc("GET /api/model/versions/{version}", s.auth(s.getModelVersion()))
	s.mux.HandleFunc("GET /api/entities", s.auth(s.listEntities()))

	s.mux.HandleFunc("GET /api/imports", s.auth(s.listImports()))
	s.mux.HandleFunc("POST /api/imports", s.auth(s.createImport))
	s.mux.HandleFunc("GET /api/imports/{id}", s.auth(s.getImport()))
	s.mux.HandleFunc("GET /api/imports/{id}/rejects", s.auth(s.importRejects))

	s.mux.HandleFunc("POST /api/audiences/count", s.auth(s.countAudience()))
	s.mux.HandleFunc("POST /api/audiences/validate", s.auth(s.validateAudience()))
	s.mux.HandleFunc("GET /api/audiences", s.auth(s.listAudiences()))
	s.mux.HandleFunc("POST /api/audiences", s.auth(s.saveAudience()))
	s.mux.HandleFunc("GET /api/audiences/{name}", s.auth(s.getAudience()))
	s.mux.HandleFunc("DELETE /api/audiences/{name}", s.auth(s.deleteAudience()))
	s.mux.HandleFunc("GET /api/audiences/{name}/versions", s.auth(s.audienceVersions()))
	s.mux.HandleFunc("DELETE /api/audiences/{name}/versions/{version}", s.auth(s.deleteAudienceVersion()))
	s.mux.HandleFunc("POST /api/audiences/{name}/refresh", s.auth(s.refreshAudience()))
	s.mux.HandleFunc("POST /api/audiences/{name}/append", s.auth(s.appendAudience()))
	s.mux.HandleFunc("GET /api/audiences/{name}/export", s.auth(s.exportAudience))
	s.mux.HandleFunc("PUT /api/audiences/{name}/publish", s.auth(s.publishAudience()))
	s.mux.HandleFunc("DELETE /api/audiences/{name}/publish", s.auth(s.unpublishAudience()))
}

// campaignRoutes: campaigns, their runs and the messages they keep.
func (s *Server) campaignRoutes() {
	s.mux.HandleFunc("GET /api/campaigns", s.auth(s.listCampaigns()))
	s.mux.HandleFunc("GET /api/activity-types", s.auth(s.activityTypes()))
	s.mux.HandleFunc("GET /api/campaign-schema", s.auth(s.campaignSchema()))
	s.mux.HandleFunc("POST /api/campaigns", s.auth(s.saveCampaign()))
	s.mux.HandleFunc("POST /api/campaigns/validate", s.auth(s.validateCampaign()))
	s.mux.HandleFunc("GET /api/campaigns/{name}", s.auth(s.getCampaign()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/publish", s.auth(s.publishCampaign()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/duplicate", s.auth(s.duplicateCampaign()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/archive", s.auth(s.archiveCampaign()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/unarchive", s.auth(s.unarchiveCampaign()))
	s.mux.HandleFunc("DELETE /api/campaigns/{name}", s.auth(s.deleteCampaign()))
	s.mux.HandleFunc("GET /api/campaigns/{name}/versions", s.auth(s.campaignVersions()))
	s.mux.HandleFunc("GET /api/campaigns/{name}/versions/{version}", s.auth(s.campaignVersion()))
	s.mux.HandleFunc("GET /api/campaigns/{name}/draft", s.auth(s.getDraft()))
	s.mux.HandleFunc("PUT /api/campaigns/{name}/draft", s.auth(s.putDraft()))
	s.mux.HandleFunc("DELETE /api/campaigns/{name}/draft", s.auth(s.discardDraft()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/draft/save", s.auth(s.saveDraft()))
	s.mux.HandleFunc("GET /api/cron/next", s.auth(s.cronNext()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/activities/{activity}/preview", s.auth(s.previewMessage()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/activities/{activity}/proof", s.auth(s.sendProof()))
	s.mux.HandleFunc("GET /api/campaigns/{name}/runs", s.auth(s.listRuns()))
	s.mux.HandleFunc("GET /api/campaigns/{name}/report", s.auth(s.campaignReport))
	s.mux.HandleFunc("GET /api/campaigns/{name}/schedule", s.auth(s.campaignSchedule()))
	s.mux.HandleFunc("POST /api/campaigns/{name}/runs", s.auth(s.startRun()))
	s.mux.HandleFunc("GET /api/runs", s.auth(s.recentRuns()))
	s.mux.HandleFunc("GET /api/runs/{id}", s.auth(s.runStatus()))
	s.mux.HandleFunc("GET /api/runs/{id}/events", s.auth(s.watchRun))
	s.mux.HandleFunc("GET /api/runs/{id}/log", s.auth(s.runLog()))
	s.mux.HandleFunc("GET /api/runs/{id}/preview", s.auth(s.previewRun()))
	s.mux.HandleFunc("GET /api/runs/{id}/breakdown", s.auth(s.runBreakdown()))
	s.mux.HandleFunc("POST /api/runs/{id}/pause", s.auth(s.runAction("pause")))
	s.mux.HandleFunc("POST /api/runs/{id}/resume", s.auth(s.runAction("resume")))
	s.mux.HandleFunc("POST /api/runs/{id}/stop", s.auth(s.runAction("stop")))
	s.mux.HandleFunc("POST /api/runs/{id}/activities/{activity}/retry", s.auth(s.retryActivity()))

	s.mux.HandleFunc("POST /api/runs/{id}/resolve", s.auth(s.resolveRun()))
	s.mux.HandleFunc("GET /api/runs/{id}/delivery", s.auth(s.runFigures()))
	s.mux.HandleFunc("GET /api/runs/{id}/report", s.auth(s.runReport))
	s.mux.HandleFunc("POST /api/runs/{id}/audience", s.auth(s.saveOutput()))
	s.mux.HandleFunc("POST /api/runs/{id}/confirm", s.auth(s.confirmSend()))
	s.mux.HandleFunc("GET /api/messages", s.auth(s.listMessages()))
	s.mux.HandleFunc("GET /api/messages/{id}", s.auth(s.getMessage()))
	s.mux.HandleFunc("GET /api/messages/{id}/html", s.auth(s.messageHTML))
}

// adminRoutes: consent, suppressions, API tokens, signing keys and the
// outbound destinations' dead letters.
func (s *Server) adminRoutes() {
	s.mux.HandleFunc("GET /api/consent", s.auth(s.getConsent()))
	s.mux.HandleFunc("PUT /api/consent", s.auth(s.setConsent()))
	s.mux.HandleFunc("POST /api/consent/import", s.auth(s.importConsent))
	s.mux.HandleFunc("POST /api/profiles/erase", s.auth(s.eraseProfile()))
	s.mux.HandleFunc("GET /api/suppressions", s.auth(s.listSuppressions()))
	s.mux.HandleFunc("POST /api/suppressions", s.auth(s.suppress()))
	s.mux.HandleFunc("DELETE /api/suppressions", s.auth(s.unsuppress()))

	s.mux.HandleFunc("GET /api/tokens", s.auth(s.listTokens()))
	s.mux.HandleFunc("POST /api/tokens", s.auth(s.createToken()))
	s.mux.HandleFunc("DELETE /api/tokens/{name}", s.auth(s.revokeToken()))
	s.mux.HandleFunc("GET /api/keys", s.auth(s.listKeys()))
	s.mux.HandleFunc("POST /api/keys/rotate", s.auth(s.rotateKey()))
	s.mux.HandleFunc("POST /api/keys/{id}/retire", s.auth(s.retireKey()))

	s.mux.HandleFunc("GET /api/outbound/destinations", s.auth(s.outboundDestinations()))
	s.mux.HandleFunc("GET /api/outbound/dead-letters", s.auth(s.deadLetters()))
	s.mux.HandleFunc("GET /api/outbound/dead-letters/{id}", s.auth(s.deadLetter()))
	s.mux.HandleFunc("POST /api/outbound/dead-letters/{id}/redeliver", s.auth(s.redeliverDeadLetter()))
}

// root serves the console, except under the server's own prefixes
// (console.Reserved): there, what no route took is answered as under
// /api/ (404, or 405 for a path served with other methods), never with
// the console's page.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if s.console == nil || console.IsReserved(r.URL.Path) {
		s.noRoute(w, r)
		return
	}
	s.console.ServeHTTP(w, r)
}

// noRoute answers what no route takes: 405, with the methods it allows,
// for a path served with other methods (the catch-all pattern would
// otherwise hide them behind a 404), and 404 for an unknown path.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+strings.Join(allowed, ", ")+")", nil)
		return
	}
	writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path, nil)
}
