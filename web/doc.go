// Package web owns Intyg's HTTP surface: the JSON API under /api/v1, its
// problem documents (application/problem+json), bearer-token
// authentication and roles, the access log of patient-data reads, the
// request log, Prometheus metrics, and the OpenAPI document; and the HTML
// pages for people, one file each (session.go, form_page.go, receipt.go,
// error_page.go) over the shared pages.go. It holds the one table that maps
// intake error codes to HTTP statuses, and one writeError that answers a
// browser with an HTML error page and everyone else with problem JSON. The
// API and the physician form share one submit step (submit.go), and every
// list endpoint one query-filter parser (filter.go).
//
// web speaks in intake types and reaches the database only through the
// small interfaces it declares; nothing imports web but cmd.
package web
