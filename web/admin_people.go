package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// peopleStore is what the people page needs: accounts, and the registered
// units a physician can work at.
type peopleStore interface {
	CreateUser(ctx context.Context, u *intake.User, password string) error
	NewUserProblems(ctx context.Context, u *intake.User, password string) (intake.Problems, error)
	FindUsers(ctx context.Context) ([]*intake.User, error)
	SetUserDisabled(ctx context.Context, id string, disabled bool) error
	FindUnits(ctx context.Context) ([]*intake.CareUnit, error)
}

// maxAdminForm bounds a posted admin form.
const maxAdminForm = 16 << 10

// peoplePage is what admin_people.html shows: every account and the form
// for a new one.
type peoplePage struct {
	layout
	People []*intake.User
	// Units are the live units a physician can be given.
	Units []*intake.CareUnit
	// Roles and SigningRoles are the roles and signing roles offered: a
	// physician's are those some template lets sign.
	Roles        []intake.Role
	SigningRoles []schemas.IssuerRole
	// Values are the posted inputs, kept after a refusal (passwords never).
	Values url.Values
	// Errors are the messages per field of a refused form.
	Errors map[string][]string
	// Done says what the last change did.
	Done string
}

func newPeoplePage(r *http.Request, people peopleStore, reg *schemas.Registry, v url.Values) (*peoplePage, error) {
	p := &peoplePage{layout: signedInLayout(r, "Personer"), Roles: []intake.Role{intake.RolePhysician, intake.RoleCoordinator, intake.RoleCaseworker, intake.RoleAdmin},
		SigningRoles: reg.IssuerRoles(), Values: v, Done: doneNotice(r)}
	var err error
	if p.People, err = people.FindUsers(r.Context()); err != nil {
		return nil, err
	}
	units, err := people.FindUnits(r.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if u.DisabledAt.IsZero() {
			p.Units = append(p.Units, u)
		}
	}
	return p, nil
}

// handlePeopleList handles GET /admin/people (admins): every account, and
// the form for a new one.
func handlePeopleList(logger *slog.Logger, people peopleStore, reg *schemas.Registry) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page, err := newPeoplePage(r, people, reg, url.Values{})
		if err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "admin_people", page)
	})
}

// handlePersonCreate handles POST /admin/people (admins): a new account.
// A refusal shows the form again (422) with each message next to its
// field and the values kept, but not the passwords.
func handlePersonCreate(logger *slog.Logger, people peopleStore, audit auditStore, reg *schemas.Registry) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, maxAdminForm)
		if err != nil {
			return err
		}
		u := &intake.User{
			Username: form.Get("username"), Name: strings.TrimSpace(form.Get("name")), Role: intake.Role(form.Get("role")),
			HSAID: form.Get("hsaId"), PrescriberCode: strings.TrimSpace(form.Get("prescriberCode")), Units: form["units"],
		}
		if u.Role == intake.RolePhysician {
			u.SigningRole = form.Get("signingRole")
			for _, s := range strings.Split(form.Get("specialities"), ",") {
				if s = strings.TrimSpace(s); s != "" {
					u.Specialities = append(u.Specialities, s)
				}
			}
		}
		u.Tidy()
		// Every fault of the account at once: the store judges the
		// password's strength and whether the name or HSA-id is taken.
		ps := append(intake.CheckUser(u), intake.CheckSigningRole(u, reg)...)
		if form.Get("password") != form.Get("password2") {
			ps = append(ps, intake.NewProblem("/password2", "mismatch", "password.mismatch", nil))
		}
		more, err := people.NewUserProblems(r.Context(), u, form.Get("password"))
		if err != nil {
			return err
		}
		ps = append(ps, more...)
		err = intake.InvalidError(ps)
		if err == nil {
			if err := logAdmin(r, audit, "admin.user.create", "username="+u.Username); err != nil {
				return err
			}
			err = people.CreateUser(r.Context(), u, form.Get("password"))
		}
		if errs, ok := formErrors(err); ok {
			form.Del("password")
			form.Del("password2")
			page, err := newPeoplePage(r, people, reg, form)
			if err != nil {
				return err
			}
			page.Errors = errs
			return renderPage(w, http.StatusUnprocessableEntity, "admin_people", page)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/people?done=userCreated#person-"+u.ID, http.StatusSeeOther)
		return nil
	})
}

// handlePersonDisable handles POST /admin/people/{id}/disable and
// /enable (admins). Disabling ends the person's sessions at once.
func handlePersonDisable(logger *slog.Logger, people peopleStore, audit auditStore, disabled bool) http.Handler {
	action, done := "admin.user.enable", "userEnabled"
	if disabled {
		action, done = "admin.user.disable", "userDisabled"
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if _, err := readForm(w, r, maxAdminForm); err != nil {
			return err
		}
		id := mux.Vars(r)["id"]
		if err := logAdmin(r, audit, action, "user="+id); err != nil {
			return err
		}
		if err := people.SetUserDisabled(r.Context(), id, disabled); err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/people?done="+done+"#person-"+id, http.StatusSeeOther)
		return nil
	})
}
