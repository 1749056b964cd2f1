package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// unitRegistry is what the units page needs: the registered units.
type unitRegistry interface {
	CreateUnit(ctx context.Context, u *intake.CareUnit) error
	FindUnits(ctx context.Context) ([]*intake.CareUnit, error)
	SetUnitDisabled(ctx context.Context, hsaID string, disabled bool) error
}

// unitsPage is what admin_units.html shows: every unit and the form for a
// new one.
type unitsPage struct {
	layout
	Units  []*intake.CareUnit
	Values url.Values
	Errors map[string][]string
	Done   string
}

func newUnitsPage(r *http.Request, units unitRegistry, v url.Values) (*unitsPage, error) {
	list, err := units.FindUnits(r.Context())
	if err != nil {
		return nil, err
	}
	return &unitsPage{layout: signedInLayout(r, "Vårdenheter"), Units: list, Values: v, Done: doneNotice(r)}, nil
}

// handleUnitList handles GET /admin/units (admins): every unit, and the
// form for a new one.
func handleUnitList(logger *slog.Logger, units unitRegistry) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page, err := newUnitsPage(r, units, url.Values{})
		if err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "admin_units", page)
	})
}

// handleUnitCreate handles POST /admin/units (admins): registers a unit. A
// refusal shows the form again (422) with each message next to its field.
func handleUnitCreate(logger *slog.Logger, units unitRegistry, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, maxAdminForm)
		if err != nil {
			return err
		}
		get := func(name string) string { return strings.TrimSpace(form.Get(name)) }
		u := &intake.CareUnit{
			Unit: intake.Unit{HSAID: get("hsaId"), Name: get("name"), Address: get("address"), PostalCode: get("postalCode"),
				City: get("city"), Phone: get("phone"), WorkplaceCode: get("workplaceCode")},
			CareProvider: intake.CareProvider{HSAID: get("careProvider.hsaId"), Name: get("careProvider.name")},
		}
		u.Tidy()
		if len(intake.CheckUnit(u)) == 0 { // else CreateUnit refuses it, with every problem
			if err := logAdmin(r, audit, "admin.unit.create", "unit="+u.HSAID); err != nil {
				return err
			}
		}
		err = units.CreateUnit(r.Context(), u)
		if errs, ok := formErrors(err); ok {
			page, err := newUnitsPage(r, units, form)
			if err != nil {
				return err
			}
			page.Errors = errs
			return renderPage(w, http.StatusUnprocessableEntity, "admin_units", page)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/units?done=unitCreated#unit-"+u.HSAID, http.StatusSeeOther)
		return nil
	})
}

// handleUnitDisable handles POST /admin/units/{hsaId}/disable and /enable
// (admins): a disabled unit cannot be chosen, given to a physician, or
// covered by a care provider's token.
func handleUnitDisable(logger *slog.Logger, units unitRegistry, audit auditStore, disabled bool) http.Handler {
	action, done := "admin.unit.enable", "unitEnabled"
	if disabled {
		action, done = "admin.unit.disable", "unitDisabled"
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if _, err := readForm(w, r, maxAdminForm); err != nil {
			return err
		}
		hsa := intake.UpperASCII(mux.Vars(r)["hsaId"])
		if err := logAdmin(r, audit, action, "unit="+hsa); err != nil {
			return err
		}
		if err := units.SetUnitDisabled(r.Context(), hsa, disabled); err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/units?done="+done+"#unit-"+hsa, http.StatusSeeOther)
		return nil
	})
}
