// Package render owns the printable PDF of a certificate: A4 pages laid out
// from the template's form definition (no per-template code), with an
// embedded Unicode font, the patient on every page, option lists in full
// with the chosen ones ticked, period and diagnosis tables, the issuer
// block, and on every page the certificate id, received time, SHA-256 of
// the submitted bytes, a QR code of the id, and "Sida n av N". Every time it
// shows is Swedish local time (Europe/Stockholm), marked "(svensk tid)".
// Revoked and replaced certificates carry a diagonal watermark. The same
// record gives the same bytes.
//
// render imports intake and schemas of ours, never store or web; fpdf is
// used nowhere else.
package render
