package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// TestDraftSavedElsewhere: a save names the save its form was opened at
// (Base); over a later one (another tab's) it is refused with
// draftChanged and changes nothing, and once signed with draftSigned.
func TestDraftSavedElsewhere(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		save := func(id string, base time.Time, form string) (*intake.Draft, error) {
			d := draft(id, base, form)
			return d, db.SaveDraft(ctx, d)
		}
		first, err := save("", time.Time{}, "a=1")
		if err != nil {
			t.Fatal(err)
		}
		opened := first.UpdatedAt // both tabs open it here
		db.Now = func() time.Time { return time.Now().Add(time.Second) }
		tabA, err := save(first.ID, opened, "a=1&measures=x")
		if err != nil {
			t.Fatalf("the first tab's save: %v", err)
		}
		if _, err := save(first.ID, opened, "a=1&occupation=y"); intake.ErrorCode(err) != intake.ECONFLICT || intake.ErrorProblems(err)[0].Code != "draftChanged" {
			t.Errorf("the second tab's save over the first's: %v, want conflict draftChanged", err)
		}
		if got, _ := db.FindDraft(ctx, first.ID); got == nil || got.Form != "a=1&measures=x" {
			t.Errorf("the draft after the refused save: %+v, want the first tab's answers", got)
		}
		if _, err := save(first.ID, tabA.UpdatedAt, "a=1&measures=x&more=z"); err != nil {
			t.Errorf("the first tab's next save: %v", err)
		}
		if _, err := save(first.ID, time.Time{}, "a=2"); err != nil {
			t.Errorf("a save that names no base: %v", err)
		}
		if err := db.MarkDraftSigned(ctx, first.ID, first.UserID, "cert-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := save(first.ID, time.Time{}, "a=3"); intake.ErrorCode(err) != intake.ECONFLICT || intake.ErrorProblems(err)[0].Code != "draftSigned" {
			t.Errorf("a save of a signed draft: %v, want conflict draftSigned", err)
		}
	})
}

// TestDraftSavedFromTabsAtOnce: tabs that save one draft at the same
// moment, over the same save, each with other answers: one save goes
// through and the others are refused (draftChanged), on either database.
// On PostgreSQL two workers had both compared the base before either
// wrote, and the last write won over the first's answers.
func TestDraftSavedFromTabsAtOnce(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		for round := range 8 {
			first := draft("", time.Time{}, "a=0")
			if err := db.SaveDraft(ctx, first); err != nil {
				t.Fatal(err)
			}
			const tabs = 6
			errs := make([]error, tabs)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range tabs {
				wg.Go(func() {
					<-start
					errs[i] = db.SaveDraft(ctx, draft(first.ID, first.UpdatedAt, fmt.Sprintf("a=%d", i+1)))
				})
			}
			close(start)
			wg.Wait()
			var saved []string
			for i, err := range errs {
				switch {
				case err == nil:
					saved = append(saved, fmt.Sprintf("a=%d", i+1))
				case intake.ErrorCode(err) != intake.ECONFLICT || intake.ErrorProblems(err)[0].Code != "draftChanged":
					t.Errorf("round %d, tab %d: %v, want it saved or refused with draftChanged", round, i, err)
				}
			}
			got, err := db.FindDraft(ctx, first.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(saved) != 1 || got.Form != saved[0] {
				t.Errorf("round %d: saves that went through %q, the draft holds %q; want one, and its answers kept", round, saved, got.Form)
			}
		}
	})
}

// physiciansDraft registers a physician at a unit and returns a maker of
// her fk7804 drafts: id (empty: a new one), the save it is made over
// (base), its answers.
func physiciansDraft(t *testing.T, db *store.DB) func(id string, base time.Time, form string) *intake.Draft {
	t.Helper()
	u := mustPhysician(t, db)
	return func(id string, base time.Time, form string) *intake.Draft {
		return &intake.Draft{ID: id, UserID: u.ID, Unit: "SE2321000016-1003", Template: "fk7804", Version: "2.0", Form: form, Base: base}
	}
}

// TestCreateDraftUnlessAtOnce: "Ersätt" clicked twice at once (two
// requests, on PostgreSQL two workers or two servers) makes one draft, which
// both are given; a draft that is not the same does not count.
func TestCreateDraftUnlessAtOnce(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		if err := db.SaveDraft(ctx, draft("", time.Time{}, "relation.type=REPLACES&relation.certificate=other")); err != nil {
			t.Fatal(err)
		}
		for round := range 6 {
			target := fmt.Sprintf("relation.type=REPLACES&relation.certificate=c%d", round)
			const clicks = 6
			ids := make([]string, clicks)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range clicks {
				wg.Go(func() {
					<-start
					d := draft("", time.Time{}, target)
					earlier, err := db.CreateDraftUnless(ctx, d, func(o *intake.Draft) bool { return o.Form == target })
					switch {
					case err != nil:
						t.Errorf("round %d, click %d: %v", round, i, err)
					case earlier != nil:
						ids[i] = earlier.ID
					default:
						ids[i] = d.ID
					}
				})
			}
			close(start)
			wg.Wait()
			ds, err := db.FindDrafts(ctx, draft("", time.Time{}, "").UserID, "SE2321000016-1003")
			if err != nil {
				t.Fatal(err)
			}
			var made []string
			for _, d := range ds {
				if d.Form == target {
					made = append(made, d.ID)
				}
			}
			if len(made) != 1 || slices.ContainsFunc(ids, func(id string) bool { return id != made[0] }) {
				t.Errorf("round %d: drafts made %q, the clicks given %q; want one draft, given to every click", round, made, ids)
			}
		}
	})
}

// TestDraftSavedAsItIsDeleted: a save that waits for the draft's row while
// another server deletes it is not answered as saved into the deleted
// draft (PostgreSQL re-reads the row the update waited for): its answers
// are a new draft, as after a delete (TestDraftSavedAfterItsDeletion).
func TestDraftSavedAsItIsDeleted(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db := mustOpenDB(t, store.Postgres, dsn)
	draft := physiciansDraft(t, db)
	d := draft("", time.Time{}, "a=1")
	if err := db.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	_, tx := otherSession(t, dsn)
	if _, err := tx.ExecContext(ctx, `UPDATE drafts SET deleted_at = now() WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	saved := make(chan error, 1)
	again := draft(d.ID, d.UpdatedAt, "a=2")
	go func() { saved <- db.SaveDraft(ctx, again) }()
	time.Sleep(500 * time.Millisecond) // the save reads the draft and waits for its row
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-saved; err != nil || again.ID == d.ID {
		t.Errorf("a save as the draft was deleted: %v, id %s; want a new draft", err, again.ID)
	}
	if _, err := db.FindDraft(ctx, d.ID); intake.ErrorCode(err) != intake.ENOTFOUND {
		t.Errorf("the deleted draft: %v, want still deleted", err)
	}
}

// TestDraftSavedAfterItsDeletion: a tab still open on a draft deleted in
// another tab saves its answers as a new draft (a new id) of the same
// physician, unit and template version; another's, another unit's or
// another version's deleted draft stays not found, and nothing is
// written into it.
func TestDraftSavedAfterItsDeletion(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		first := draft("", time.Time{}, "a=1")
		if err := db.SaveDraft(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteDraft(ctx, first.ID, first.UserID); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			change func(d *intake.Draft)
		}{
			{"another physician", func(d *intake.Draft) { d.UserID = "someone-else" }},
			{"another unit", func(d *intake.Draft) { d.Unit = "SE2321000016-9999" }},
			{"another version", func(d *intake.Draft) { d.Version = "1.0" }},
		} {
			d := draft(first.ID, first.UpdatedAt, "a=other")
			tt.change(d)
			if err := db.SaveDraft(ctx, d); intake.ErrorCode(err) != intake.ENOTFOUND || d.ID != first.ID {
				t.Errorf("%s saves the deleted draft: %v, id %s; want ENOTFOUND and no new draft", tt.name, err, d.ID)
			}
		}
		again := draft(first.ID, first.UpdatedAt, "a=2")
		if err := db.SaveDraft(ctx, again); err != nil {
			t.Fatalf("a save of the deleted draft: %v, want it saved as a new draft", err)
		}
		if again.ID == first.ID {
			t.Fatalf("the save of the deleted draft kept its id %s", again.ID)
		}
		if got, err := db.FindDraft(ctx, again.ID); err != nil || got.Form != "a=2" || got.UserID != first.UserID || got.Unit != first.Unit {
			t.Errorf("the new draft: %+v, %v; want the answers a=2, the physician's at her unit", got, err)
		}
		if _, err := db.FindDraft(ctx, first.ID); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("the deleted draft after the save: %v, want still deleted", err)
		}
		if ds, _ := db.FindDrafts(ctx, first.UserID, first.Unit); len(ds) != 1 || ds[0].ID != again.ID {
			t.Errorf("the physician's drafts: %d, want the new one only", len(ds))
		}
	})
}

// TestDeletedDraftSavedOnce: the saves aimed at a draft deleted in another
// tab make one new draft, which the deleted one names: another tab's save
// (or a retry of the first's) goes into it while it is as it was made,
// one with no base always, and one over a later save of it is refused
// (draftChanged, naming that draft, whose page is the way on), as over any
// later save. Once that draft is deleted too, the answers go into the one
// made of it; once it is signed, they are a new draft again. Before, every
// save of the deleted draft made a draft.
func TestDeletedDraftSavedOnce(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		first := draft("", time.Time{}, "a=1")
		if err := db.SaveDraft(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteDraft(ctx, first.ID, first.UserID); err != nil {
			t.Fatal(err)
		}
		save := func(id string, base time.Time, form string) (*intake.Draft, error) {
			d := draft(id, base, form)
			return d, db.SaveDraft(ctx, d)
		}
		changed := func(err error) bool {
			return intake.ErrorCode(err) == intake.ECONFLICT && intake.ErrorProblems(err)[0].Code == "draftChanged"
		}
		holds := func(id, form string) {
			t.Helper()
			if got, err := db.FindDraft(ctx, id); err != nil || got.Form != form {
				t.Errorf("draft %s: %+v, %v; want it to hold %s", id, got, err, form)
			}
			if ds, _ := db.FindDrafts(ctx, first.UserID, first.Unit); len(ds) != 1 || ds[0].ID != id {
				t.Errorf("the physician's drafts: %d, want %s only", len(ds), id)
			}
		}
		tabA, err := save(first.ID, first.UpdatedAt, "a=2")
		if err != nil || tabA.ID == first.ID {
			t.Fatalf("the first tab's save of the deleted draft: %v, id %s; want a new draft", err, tabA.ID)
		}
		tabB, err := save(first.ID, first.UpdatedAt, "a=3")
		if err != nil || tabB.ID != tabA.ID {
			t.Fatalf("the second tab's save of the deleted draft: %v, id %s; want it saved into %s", err, tabB.ID, tabA.ID)
		}
		holds(tabA.ID, "a=3")
		if d, err := save(tabA.ID, tabA.UpdatedAt, "a=4"); !changed(err) || d.SavedAs != "" {
			t.Errorf("the first tab's next save, over the second's: %v, saved as %q; want draftChanged, naming no other draft", err, d.SavedAs)
		}
		tabB, err = save(tabB.ID, tabB.UpdatedAt, "a=5")
		if err != nil {
			t.Fatal(err)
		}
		// Its refusal names the draft the answers are in, and says so:
		// the deleted draft has no page to open again.
		if d, err := save(first.ID, first.UpdatedAt, "a=6"); !changed(err) || d.SavedAs != tabA.ID ||
			intake.ErrorProblems(err)[0].Message != intake.Text("lifecycle.draftChangedSavedAs", "sv") {
			t.Errorf("a third tab's save of the deleted draft, over a later save of the new one: %v, saved as %q; want draftChanged naming %s", err, d.SavedAs, tabA.ID)
		}
		holds(tabA.ID, "a=5")
		if d, err := save(first.ID, time.Time{}, "a=7"); err != nil || d.ID != tabA.ID {
			t.Errorf("a save of the deleted draft with no base: %v, id %s; want it saved into %s", err, d.ID, tabA.ID)
		}
		holds(tabA.ID, "a=7")

		// The new draft deleted too: its answers and the first's go into
		// one newer draft.
		if err := db.DeleteDraft(ctx, tabA.ID, first.UserID); err != nil {
			t.Fatal(err)
		}
		newer, err := save(first.ID, first.UpdatedAt, "a=8")
		if err != nil || newer.ID == first.ID || newer.ID == tabA.ID {
			t.Fatalf("a save of the first draft after the new one's delete: %v, id %s; want a newer draft", err, newer.ID)
		}
		if d, err := save(tabA.ID, tabB.UpdatedAt, "a=9"); err != nil || d.ID != newer.ID {
			t.Errorf("a save of the deleted new draft: %v, id %s; want it saved into %s", err, d.ID, newer.ID)
		}
		holds(newer.ID, "a=9")

		// Signed: the answers are a new draft again, as before.
		if err := db.MarkDraftSigned(ctx, newer.ID, first.UserID, "cert-1"); err != nil {
			t.Fatal(err)
		}
		last, err := save(first.ID, first.UpdatedAt, "a=10")
		if err != nil || last.ID == newer.ID || last.ID == tabA.ID || last.ID == first.ID {
			t.Fatalf("a save of the deleted draft after the new one was signed: %v, id %s; want a new draft", err, last.ID)
		}
		holds(last.ID, "a=10")
	})
}

// TestDeletedDraftSavedFromTabsAtOnce: tabs that save a deleted draft at
// the same moment, while "Ångra" restores it, leave one draft of it in the
// physician's list: every save and the restore end in that one, or a save
// is refused (draftChanged) as over a later save, on either database. On
// PostgreSQL two workers had each made a new draft.
func TestDeletedDraftSavedFromTabsAtOnce(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		var live []string
		for round := range 8 {
			first := draft("", time.Time{}, "a=0")
			if err := db.SaveDraft(ctx, first); err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteDraft(ctx, first.ID, first.UserID); err != nil {
				t.Fatal(err)
			}
			const tabs = 6
			ids := make([]string, tabs+1)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range tabs {
				wg.Go(func() {
					<-start
					d := draft(first.ID, first.UpdatedAt, fmt.Sprintf("a=%d", i+1))
					switch err := db.SaveDraft(ctx, d); {
					case err == nil:
						ids[i] = d.ID
					case intake.ErrorCode(err) != intake.ECONFLICT || intake.ErrorProblems(err)[0].Code != "draftChanged":
						t.Errorf("round %d, tab %d: %v, want it saved or refused with draftChanged", round, i, err)
					}
				})
			}
			wg.Go(func() {
				<-start
				d, err := db.RestoreDraft(ctx, first.ID, first.UserID, first.Unit)
				if err != nil {
					t.Errorf("round %d, the restore: %v", round, err)
					return
				}
				ids[tabs] = d.ID
			})
			close(start)
			wg.Wait()
			ds, err := db.FindDrafts(ctx, first.UserID, first.Unit)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != len(live)+1 {
				t.Fatalf("round %d: %d drafts in the list, want %d: one more", round, len(ds), len(live)+1)
			}
			made := ds[0].ID // the last changed
			if slices.Contains(live, made) || slices.ContainsFunc(ids, func(id string) bool { return id != "" && id != made }) {
				t.Errorf("round %d: the saves and the restore ended in %q, the list's new draft is %s; want all in it", round, ids, made)
			}
			live = append(live, made)
		}
	})
}

// TestDraftRestoredAfterSavedAnew: "Ångra" on a draft whose answers a tab
// saved as a new draft after its delete gives that draft and leaves the
// deleted one deleted, rather than a second copy in the list; once that
// draft is gone too (deleted with nothing after it, or signed), the
// deleted draft is restored.
func TestDraftRestoredAfterSavedAnew(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		draft := physiciansDraft(t, db)
		first := draft("", time.Time{}, "a=1")
		if err := db.SaveDraft(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteDraft(ctx, first.ID, first.UserID); err != nil {
			t.Fatal(err)
		}
		tab := draft(first.ID, first.UpdatedAt, "a=2")
		if err := db.SaveDraft(ctx, tab); err != nil {
			t.Fatal(err)
		}
		list := func() []string {
			ds, err := db.FindDrafts(ctx, first.UserID, first.Unit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, d := range ds {
				ids = append(ids, d.ID)
			}
			return ids
		}
		for _, who := range [][2]string{{"someone-else", first.Unit}, {first.UserID, "SE2321000016-9999"}} {
			if _, err := db.RestoreDraft(ctx, first.ID, who[0], who[1]); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("restoring as %v: %v, want ENOTFOUND", who, err)
			}
		}
		for _, who := range [][2]string{{"someone-else", first.Unit}, {first.UserID, "SE2321000016-9999"}} {
			if _, _, err := db.FindDeletedDraft(ctx, first.ID, who[0], who[1]); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("finding it as %v: %v, want ENOTFOUND", who, err)
			}
		}
		// Where RestoreDraft goes, seen before: the new draft.
		if gone, in, err := db.FindDeletedDraft(ctx, first.ID, first.UserID, first.Unit); err != nil || gone.ID != first.ID || in == nil || in.ID != tab.ID {
			t.Fatalf("finding the deleted draft saved anew: %+v, %+v, %v; want it and the new draft %s", gone, in, err, tab.ID)
		}
		for range 2 {
			got, err := db.RestoreDraft(ctx, first.ID, first.UserID, first.Unit)
			if err != nil || got.ID != tab.ID || got.Form != "a=2" {
				t.Fatalf("restoring the draft saved anew: %+v, %v; want the new draft %s", got, err, tab.ID)
			}
			if ids := list(); !slices.Equal(ids, []string{tab.ID}) {
				t.Errorf("the list after the restore: %q, want the new draft only", ids)
			}
		}
		if err := db.DeleteDraft(ctx, tab.ID, first.UserID); err != nil {
			t.Fatal(err)
		}
		if gone, in, err := db.FindDeletedDraft(ctx, first.ID, first.UserID, first.Unit); err != nil || gone.ID != first.ID || in != nil {
			t.Fatalf("finding the deleted draft once the new one is deleted: %+v, %+v, %v; want it alone", gone, in, err)
		}
		if got, err := db.RestoreDraft(ctx, first.ID, first.UserID, first.Unit); err != nil || got.ID != first.ID {
			t.Fatalf("restoring the draft once the new one is deleted: %+v, %v; want it restored", got, err)
		}
		if ids := list(); !slices.Equal(ids, []string{first.ID}) {
			t.Errorf("the list: %q, want the restored draft only", ids)
		}

		// Signed: the deleted draft is restored, as before.
		if err := db.DeleteDraft(ctx, first.ID, first.UserID); err != nil {
			t.Fatal(err)
		}
		again := draft(first.ID, time.Time{}, "a=3")
		if err := db.SaveDraft(ctx, again); err != nil || again.ID == tab.ID {
			t.Fatalf("saving the deleted draft: %v, id %s", err, again.ID)
		}
		if err := db.MarkDraftSigned(ctx, again.ID, first.UserID, "cert-1"); err != nil {
			t.Fatal(err)
		}
		if gone, in, err := db.FindDeletedDraft(ctx, first.ID, first.UserID, first.Unit); err != nil || gone.ID != first.ID || in != nil {
			t.Errorf("finding the deleted draft once the new one is signed: %+v, %+v, %v; want it alone", gone, in, err)
		}
		if got, err := db.RestoreDraft(ctx, first.ID, first.UserID, first.Unit); err != nil || got.ID != first.ID {
			t.Errorf("restoring the draft once the new one is signed: %+v, %v; want it restored", got, err)
		}
	})
}

// TestDraftRestored: a deleted draft is back in its physician's list at
// its unit; not for another physician or unit, nor twice, nor a live one.
func TestDraftRestored(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		db := open(t)
		d := physiciansDraft(t, db)("", time.Time{}, "a=1")
		if err := db.SaveDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RestoreDraft(ctx, d.ID, d.UserID, d.Unit); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("restoring a live draft: %v, want ENOTFOUND", err)
		}
		if err := db.DeleteDraft(ctx, d.ID, d.UserID); err != nil {
			t.Fatal(err)
		}
		for _, who := range [][2]string{{"someone-else", d.Unit}, {d.UserID, "SE2321000016-9999"}} {
			if _, err := db.RestoreDraft(ctx, d.ID, who[0], who[1]); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("restoring as %v: %v, want ENOTFOUND", who, err)
			}
		}
		got, err := db.RestoreDraft(ctx, d.ID, d.UserID, d.Unit)
		if err != nil || got.ID != d.ID || got.Form != "a=1" {
			t.Fatalf("restore: %+v, %v", got, err)
		}
		if ds, _ := db.FindDrafts(ctx, d.UserID, d.Unit); len(ds) != 1 || ds[0].ID != d.ID {
			t.Errorf("the list after restoring: %d drafts, want the restored one", len(ds))
		}
	})
}
