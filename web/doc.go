// Package web owns Intyg's HTTP surface: the JSON API under /api/v1, its
// problem documents (application/problem+json) and the one table that maps
// intake error codes to HTTP statuses. Nothing imports web but cmd.
package web
