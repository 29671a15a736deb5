package server

import (
	"context"
	_ "embed"
	"net/http"
	"time"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the service's OpenAPI 3 document (served at /openapi.json).
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// register lists every operation. Each must be documented in openapi.json
// (TestOpenAPIMatchesRoutes checks both directions).
func (s *Server) register() {
	// Lifecycle (使用申请).
	s.handle("POST", "/v1/applications", s.submit)
	s.handle("GET", "/v1/applications", s.listApplications)
	s.handle("GET", "/v1/applications/{id}", s.getApplication)
	s.handle("GET", "/v1/applications/{id}/history", s.history)
	s.handle("GET", "/v1/applications/{id}/verify", s.verify)
	s.handle("GET", "/v1/applications/{id}/permitted", s.permitted)
	s.handle("POST", "/v1/applications/{id}/triggers/{trigger}", s.fire)
	s.handle("GET", "/v1/overdue", s.overdue)
	s.handle("GET", "/v1/work-orders", s.listWorkOrders)
	s.handle("POST", "/v1/work-orders/{id}/completion", s.completeWorkOrder)
	// Quota (配额).
	s.handle("POST", "/v1/quota/check", s.checkQuota)
	s.handle("GET", "/v1/quota/pools/{id}", s.getPool)
	s.handle("GET", "/v1/departments/{department}/pool", s.departmentPool)
	// Catalog, statements, settlement (计费结算).
	s.handle("GET", "/v1/catalog", s.getCatalog)
	s.handle("PUT", "/v1/catalog", s.importCatalog)
	s.handle("GET", "/v1/statements", s.listStatements)
	s.handle("GET", "/v1/statements/{id}", s.getStatement)
	s.handle("POST", "/v1/statements/{id}/transitions/{action}", s.transitionStatement)
	s.handle("POST", "/v1/statements/{id}/adjustments", s.adjustStatement)
	s.handle("GET", "/v1/settlements/{year}", s.getSettlement)
	s.handle("POST", "/v1/settlements/{year}", s.buildSettlement)
	s.handle("GET", "/v1/settlements/{year}/export.csv", s.exportSettlementCSV)
	s.handle("GET", "/v1/settlements/{year}/export.xlsx", s.exportSettlementXLSX)
	// Scorecards (考核).
	s.handle("GET", "/v1/scorecard-runs/{id}", s.getRun)
	s.handle("GET", "/v1/scorecards/{kind}/{period}", s.ranking)
	s.handle("GET", "/v1/scorecards/{kind}/{period}/history", s.runHistory)
	s.handle("GET", "/v1/scorecards/{kind}/{period}/cards/{subject}", s.scorecard)
	// Vendors push completions here, signed (adapters/httpprovider); no bearer token.
	s.handlePublic("POST", "/v1/completions", s.vendorCallback)
	// Operations.
	s.handlePublic("GET", "/healthz", s.healthz)
	s.handlePublic("GET", "/metrics", s.serveMetrics)
	s.handlePublic("GET", "/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPIDocument)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	sqlDB, err := s.p.Database().Gorm().DB()
	if err == nil {
		err = sqlDB.PingContext(ctx)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "health check failed", "error", err.Error())
		writeProblem(w, Problem{Status: http.StatusServiceUnavailable, Detail: "database unreachable", RequestID: requestID(r.Context())})
		return
	}
	_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(s.p.Database().Driver())})
}

// vendorCallback passes a vendor's signed completion to the platform's
// callback handler (available with providers and a callback secret).
func (s *Server) vendorCallback(w http.ResponseWriter, r *http.Request) {
	h, err := s.p.CallbackHandler()
	if err != nil {
		writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "vendor callbacks are not configured: " + err.Error(),
			RequestID: requestID(r.Context())})
		return
	}
	h.ServeHTTP(w, r)
}
