// Package web owns Intyg's HTTP surface: the JSON API under /api/v1, its
// problem documents (application/problem+json), bearer-token
// authentication and roles, the access log of patient-data reads, the
// request log, Prometheus metrics, and the OpenAPI document. It holds the
// one table that maps intake error codes to HTTP statuses.
//
// web speaks in intake types and reaches the database only through the
// small interfaces it declares; nothing imports web but cmd.
package web
