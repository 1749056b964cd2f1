package store_test

import (
	"context"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestSetHandled: handled and back, idempotent, every change an event, on
// both databases.
func TestSetHandled(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		c, body := mustCertificate(t, "full-time-one-period.json")
		c.Via = "tok-clinic"
		stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			handled bool
			want    intake.Status
		}{{true, intake.StatusHandled}, {true, intake.StatusHandled}, {false, intake.StatusReceived}, {false, intake.StatusReceived}} {
			got, err := db.SetHandled(ctx, stored.ID, step.handled, "cw-1")
			if err != nil || got.Status != step.want {
				t.Fatalf("SetHandled(%v) = %v, %v; want %s", step.handled, got, err, step.want)
			}
		}
		events, err := db.FindCertificateEvents(ctx, stored.ID)
		if err != nil || len(events) != 3 || events[1].Type != "handled" || events[1].By != "cw-1" || events[2].Type != "unhandled" {
			t.Errorf("events = %+v, %v", events, err)
		}
		// The submission names what it came through; a change does not.
		if len(events) == 3 && (events[0].Via != "tok-clinic" || events[0].By != c.Issuer.HSAID || events[1].Via != "") {
			t.Errorf("events = %+v, want the received one via tok-clinic, by the issuer", events)
		}
		if _, err := db.SetHandled(ctx, "nope", true, "cw-1"); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("unknown certificate: %v", err)
		}
	})
}

// TestRevokeCertificate: revoked once, with why, when and by whom; a
// second time is a conflict; on both databases.
func TestRevokeCertificate(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		c, body := mustCertificate(t, "full-time-one-period.json")
		stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.RevokeCertificate(ctx, stored.ID, intake.RevokeWrongPatient, "Fel patient.", "tok-1")
		if err != nil || got.Status != intake.StatusRevoked || got.Revocation == nil || got.Revocation.Reason != intake.RevokeWrongPatient || got.Revocation.By != "tok-1" {
			t.Fatalf("RevokeCertificate() = %+v, %v", got, err)
		}
		if _, err := db.RevokeCertificate(ctx, stored.ID, intake.RevokeWrongPatient, "", "tok-1"); intake.ErrorCode(err) != intake.ECONFLICT {
			t.Errorf("revoking twice: %v, want ECONFLICT", err)
		}
		if _, err := db.SetHandled(ctx, stored.ID, true, "cw"); err != nil {
			t.Fatal(err)
		}
		again, _ := db.FindCertificateByID(ctx, stored.ID)
		if again.Status != intake.StatusRevoked {
			t.Errorf("handling a revoked certificate changed its status to %s", again.Status)
		}
		events, _ := db.FindCertificateEvents(ctx, stored.ID)
		if len(events) != 3 || events[1].Type != "revoked" || events[2].Type != "handled" {
			t.Errorf("events = %+v", events)
		}
	})
}
