package web

import (
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/intyg/intyg/intake"
)

// Who may call what. Reading patient data is for caseworkers, and for
// physicians and clinic tokens their own units' certificates; admins
// manage people, units and tokens and read the access log and metrics.
var (
	anyRole    = []intake.Role{intake.RoleClinic, intake.RolePhysician, intake.RoleCaseworker, intake.RoleAdmin}
	submitters = []intake.Role{intake.RoleClinic, intake.RolePhysician}
	readers    = []intake.Role{intake.RoleClinic, intake.RolePhysician, intake.RoleCaseworker}
	admins     = []intake.Role{intake.RoleAdmin}
	revokers   = []intake.Role{intake.RoleClinic, intake.RoleAdmin}

	// Pages are for people: physicians write certificates for their
	// unit, caseworkers read every certificate, admins manage.
	people      = []intake.Role{intake.RolePhysician, intake.RoleCoordinator, intake.RoleCaseworker, intake.RoleAdmin}
	physicians  = []intake.Role{intake.RolePhysician}
	pageReaders = []intake.Role{intake.RolePhysician, intake.RoleCaseworker}
	// The unit's people: physicians and rehabilitation coordinators, who
	// follow the unit's sick leave and read its certificates.
	unitPeople  = []intake.Role{intake.RolePhysician, intake.RoleCoordinator}
	caseReaders = []intake.Role{intake.RolePhysician, intake.RoleCoordinator, intake.RoleCaseworker}
	caseworkers = []intake.Role{intake.RoleCaseworker}
)

// certificateID is the pattern of a certificate's id (the store's: 128
// bits, a time and random bits, in URL-safe base64) where a route's other paths could be
// read as one: GET /api/v1/certificates/validate is then a 405 (use POST),
// not a certificate "validate" that is not found.
const certificateID = `[A-Za-z0-9_-]{22}`

// addRoutes is the whole URL space of the server, one line a route.
func addRoutes(r *mux.Router, logger *slog.Logger, eng *intake.Engine, db database, pdfs pdfRenderer, m *metrics, sec *security, opts Options) {
	now, idp := opts.Now, opts.OIDC
	auth := func(roles []intake.Role, h http.Handler) http.Handler {
		return authenticate(logger, db, sec, roles...)(h)
	}
	page := func(roles []intake.Role, h http.Handler) http.Handler { return signedIn(logger, db, sec, roles...)(h) }
	metricsHandler := auth(admins, promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	sub := &submitter{eng: eng, certs: db, m: m, now: now}

	r.Handle("/healthz", handleHealthz()).Methods(http.MethodGet)
	r.Handle("/readyz", handleReadyz(logger, db, opts.Stopping)).Methods(http.MethodGet)
	r.Handle("/metrics", metricsHandler).Methods(http.MethodGet)

	// Full paths on one router, no subrouter: gorilla/mux answers 404
	// instead of 405 for a wrong method on some subrouter routes. The API
	// first: gorilla/mux tries the routes in order, and the API takes the
	// most requests (a submission matched the 60th route, 2 % of the
	// server's CPU).
	api := func(path string, h http.Handler) *mux.Route { return r.Handle("/api/v1"+path, h) }
	api("/healthz", handleHealthz()).Methods(http.MethodGet)
	api("/readyz", handleReadyz(logger, db, opts.Stopping)).Methods(http.MethodGet)
	api("/openapi.json", handleOpenAPI()).Methods(http.MethodGet)
	api("/metrics", metricsHandler).Methods(http.MethodGet)
	api("/templates", auth(anyRole, handleTemplateList(logger, eng))).Methods(http.MethodGet)
	api("/templates/{template}/{version}", auth(anyRole, handleTemplateView(logger, eng))).Methods(http.MethodGet)
	api("/codes/{list}", auth(anyRole, handleCodeSearch(logger, eng))).Methods(http.MethodGet)
	api("/certificates", auth(submitters, handleCertificateCreate(logger, sub))).Methods(http.MethodPost)
	api("/certificates", auth(readers, handleCertificateList(logger, eng, db, db, now))).Methods(http.MethodGet)
	api("/certificates/search", auth(readers, handleCertificateSearch(logger, eng, db, db, now))).Methods(http.MethodPost)
	api("/certificates/validate", auth(anyRole, handleCertificateValidate(logger, sub))).Methods(http.MethodPost)
	api("/certificates/{id:"+certificateID+"}", auth(readers, handleCertificateView(logger, eng, db, db))).Methods(http.MethodGet)
	api("/certificates/{id}/revoke", auth(revokers, handleCertificateRevoke(logger, eng, db, db, db))).Methods(http.MethodPost)
	api("/certificates/{id}/handled", auth(caseworkers, handleCertificateHandled(logger, eng, db, db, db))).Methods(http.MethodPost, http.MethodDelete)
	api("/certificates/{id}/events", auth(readers, handleCertificateEvents(logger, db, db, db))).Methods(http.MethodGet)
	api("/certificates/{id}/pdf", auth(readers, handleCertificatePDF(logger, eng, db, db, pdfs))).Methods(http.MethodGet)
	api("/certificates/{id}/renewal", auth(submitters, handleRenewal(logger, eng, db, db, db, now))).Methods(http.MethodGet)
	api("/certificates/{id}/messages", auth(caseworkers, handleMessageCreate(logger, eng, db, db, db, now))).Methods(http.MethodPost)
	api("/certificates/{id}/messages", auth(readers, handleCertificateMessages(logger, db, db, db))).Methods(http.MethodGet)
	api("/messages", auth(readers, handleMessageList(logger, db, db, now))).Methods(http.MethodGet)
	api("/messages/{id}", auth(readers, handleMessage(logger, db, db))).Methods(http.MethodGet)
	api("/messages/{id}/answer", auth(submitters, handleMessageAnswer(logger, sub, db, db))).Methods(http.MethodPost)
	api("/patients/sick-leave-cases", auth(readers, handlePatientCases(logger, eng, db, db, now))).Methods(http.MethodPost)
	api("/audit", auth(admins, handleAuditList(logger, db, sec, now))).Methods(http.MethodGet)
	api("/audit/search", auth(admins, handleAuditSearch(logger, db, sec, now))).Methods(http.MethodPost)

	// HTML pages for people, signed in with a session cookie.
	r.Handle("/", page(people, handleHome())).Methods(http.MethodGet)
	r.PathPrefix("/static/").Handler(staticHandler(logger)).Methods(http.MethodGet)
	r.Handle("/sign-in", handleSignInForm(logger, idp != nil)).Methods(http.MethodGet)
	r.Handle("/sign-in", handleSignIn(logger, db, sec, idp != nil)).Methods(http.MethodPost)
	r.Handle("/sign-in/oidc", handleOIDCSignIn(logger, idp, now)).Methods(http.MethodGet)
	r.Handle("/sign-in/oidc/callback", handleOIDCCallback(logger, idp, db, db, sec, now)).Methods(http.MethodGet)
	r.Handle("/sign-out", handleSignOut(logger, db)).Methods(http.MethodPost)
	r.Handle("/unit", page(unitPeople, handleUnitForm(logger, db))).Methods(http.MethodGet)
	r.Handle("/unit", page(unitPeople, handleUnitChoose(logger, db))).Methods(http.MethodPost)
	r.Handle("/forms", page(physicians, handleFormList(logger, eng, now))).Methods(http.MethodGet)
	r.Handle("/forms/{template}/{version}", page(physicians, handleCertificateForm(logger, eng, db))).Methods(http.MethodGet)
	r.Handle("/forms/{template}/{version}", page(physicians, handleCertificateFormSubmit(logger, sub, db, db, db, db))).Methods(http.MethodPost)
	r.Handle("/forms/{template}/{version}/review", page(physicians, handleCertificateReview(logger, sub, db, db, db, db))).Methods(http.MethodPost)
	r.Handle("/forms/{template}/{version}/review", page(physicians, handleReviewAgain())).Methods(http.MethodGet)
	r.Handle("/forms/{template}/{version}/draft", page(physicians, handleDraftSave(logger, eng, db, db, db, db, db, now))).Methods(http.MethodPost)
	r.Handle("/certificates", page(physicians, handleMyCertificates(logger, eng, db, db, db, db, now))).Methods(http.MethodGet)
	r.Handle("/certificates", page(physicians, handlePatientPost(logger, db, "/certificates", "template", "status"))).Methods(http.MethodPost)
	r.Handle("/drafts", page(physicians, handleDraftList(logger, eng, db, db))).Methods(http.MethodGet)
	r.Handle("/drafts/{id}", page(physicians, handleDraftResume(logger, eng, db, db, db, db, db))).Methods(http.MethodGet)
	r.Handle("/drafts/{id}/review", page(physicians, handleDraftReview(logger, sub, db, db, db, db))).Methods(http.MethodGet)
	r.Handle("/drafts/{id}/delete", page(physicians, handleDraftDelete(logger, db, db))).Methods(http.MethodPost)
	r.Handle("/drafts/{id}/restore", page(physicians, handleDraftRestore(logger, db, db))).Methods(http.MethodPost)
	r.Handle("/codes/{list}", page(people, handleCodeSearch(logger, eng))).Methods(http.MethodGet)
	r.Handle("/queue", page(caseworkers, handleQueue(logger, eng, db, db, db, db, now))).Methods(http.MethodGet)
	r.Handle("/queue", page(caseworkers, handlePatientPost(logger, db, "/queue", "template", "status", "since", "unit", "provider", "contact", "messages", "flag"))).Methods(http.MethodPost)
	r.Handle("/print", page(pageReaders, handlePrint(logger, eng, db, db, pdfs))).Methods(http.MethodPost)
	r.Handle("/compare", page(pageReaders, handleCompare(logger, eng, db, db))).Methods(http.MethodGet)
	r.Handle("/compare", page(pageReaders, handleComparePost(logger))).Methods(http.MethodPost)
	r.Handle("/patients/cases", page(caseReaders, handlePatientCasesPage(logger, eng, db, db, db, db, now))).Methods(http.MethodGet)
	r.Handle("/patients/cases", page(caseReaders, handlePatientPost(logger, db, "/patients/cases", "gap"))).Methods(http.MethodPost)
	r.Handle("/unit/cases", page(unitPeople, handleUnitCases(logger, eng, db, db, db, now))).Methods(http.MethodGet)
	r.Handle("/search", page(caseworkers, handleSearchPage(logger, eng, db, db, db, now))).Methods(http.MethodGet)
	r.Handle("/search", page(caseworkers, handlePatientPost(logger, db, "/search", "cursor"))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}", page(caseReaders, handleCertificateReceipt(logger, eng, db, db, db))).Methods(http.MethodGet)
	r.Handle("/certificates/{id}/revoke", page(physicians, handleCertificateRevokePage(logger, eng, db, db, db, db))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}/replace", page(physicians, handleCertificateRelatePage(logger, eng, db, db, db, db, now, intake.RelationReplaces))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}/complete", page(physicians, handleCertificateRelatePage(logger, eng, db, db, db, db, now, intake.RelationCompletes))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}/renew", page(physicians, handleCertificateRelatePage(logger, eng, db, db, db, db, now, intake.RelationRenews))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}/messages", page(caseworkers, handleMessageSendPage(logger, eng, db, db, db, now))).Methods(http.MethodPost)
	r.Handle("/messages", page(pageReaders, handleMessagesPage(logger, eng, db, db, db, now))).Methods(http.MethodGet)
	r.Handle("/messages/{id}/answer", page(physicians, handleMessageAnswerPage(logger, eng, db, db, db))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}/handled", page(caseworkers, handleCertificateHandledPage(logger, db, db, db))).Methods(http.MethodPost)
	r.Handle("/certificates/{id}/pdf", page(caseReaders, handleCertificatePDF(logger, eng, db, db, pdfs))).Methods(http.MethodGet)
	r.Handle("/admin", page(admins, handleAdmin(logger))).Methods(http.MethodGet)
	r.Handle("/admin/people", page(admins, handlePeopleList(logger, db, eng.Registry()))).Methods(http.MethodGet)
	r.Handle("/admin/people", page(admins, handlePersonCreate(logger, db, db, eng.Registry()))).Methods(http.MethodPost)
	r.Handle("/admin/people/{id}/disable", page(admins, handlePersonDisable(logger, db, db, true))).Methods(http.MethodPost)
	r.Handle("/admin/people/{id}/enable", page(admins, handlePersonDisable(logger, db, db, false))).Methods(http.MethodPost)
	r.Handle("/admin/units", page(admins, handleUnitList(logger, db))).Methods(http.MethodGet)
	r.Handle("/admin/units", page(admins, handleUnitCreate(logger, db, db))).Methods(http.MethodPost)
	r.Handle("/admin/units/{hsaId}/disable", page(admins, handleUnitDisable(logger, db, db, true))).Methods(http.MethodPost)
	r.Handle("/admin/units/{hsaId}/enable", page(admins, handleUnitDisable(logger, db, db, false))).Methods(http.MethodPost)
	r.Handle("/admin/tokens", page(admins, handleTokenList(logger, db))).Methods(http.MethodGet)
	r.Handle("/admin/tokens", page(admins, handleTokenCreate(logger, db, db))).Methods(http.MethodPost)
	r.Handle("/admin/tokens/{id}/revoke", page(admins, handleTokenRevoke(logger, db, db))).Methods(http.MethodPost)
	r.Handle("/admin/audit", page(admins, handleAuditPage(logger, db, db, sec, now))).Methods(http.MethodGet, http.MethodPost)
}
