package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"threshold/internal/auth"
	"threshold/internal/server"
)

type usersView struct {
	Users     []auth.User
	Orgs      []auth.Org
	Roles     []auth.Role
	Form      userForm
	Errors    map[string]string // field -> problem
	Done      string            // what the last change did, for the status line
	Self      int64             // the signed-in admin, who may not disable themself
	MinPasswd int
}

// userForm is the add-user form as submitted.
type userForm struct {
	Email, Name, Org, Role string
}

// usersPage lists users and offers the add-user form.
func (h *handler) usersPage(w http.ResponseWriter, r *http.Request) error {
	var done string
	if e := r.FormValue("added"); e != "" {
		done = "Added " + e + "."
	} else if e := r.FormValue("disabled"); e != "" {
		done = "Disabled " + e + ": their sessions and API tokens have stopped working."
	}
	return h.showUsers(w, r, http.StatusOK, userForm{Role: string(auth.Analyst)}, nil, done)
}

func (h *handler) showUsers(w http.ResponseWriter, r *http.Request, status int, f userForm, errs map[string]string, done string) error {
	users, err := h.Admin.ListUsers(r.Context())
	if err != nil {
		return err
	}
	orgs, err := h.Admin.ListOrgs(r.Context())
	if err != nil {
		return err
	}
	v := usersView{Users: users, Orgs: orgs, Roles: auth.Roles(), Form: f, Errors: errs, Done: done, MinPasswd: auth.MinPasswordLength}
	if p := server.PrincipalFrom(r.Context()); p != nil {
		v.Self = p.UserID
	}
	h.render(w, r, status, "admin_users", "Users", v)
	return nil
}

// addUser adds a user from the form. Problems the administrator can fix
// are shown next to their fields.
func (h *handler) addUser(w http.ResponseWriter, r *http.Request) error {
	f := userForm{
		Email: strings.TrimSpace(r.PostFormValue("email")),
		Name:  strings.TrimSpace(r.PostFormValue("name")),
		Org:   r.PostFormValue("org"),
		Role:  r.PostFormValue("role"),
	}
	password := r.PostFormValue("password")
	errs := map[string]string{}
	email, err := auth.NormalizeEmail(f.Email)
	if err != nil {
		errs["email"] = "Enter an email address, like name@example.org."
	}
	if msg := checkText(f.Name, false); msg != "" {
		errs["name"] = msg
	}
	if f.Org == "" {
		errs["org"] = "Choose an organisation."
	}
	role, err := auth.ParseRole(f.Role)
	if err != nil {
		errs["role"] = "Choose a role."
	}
	if err := auth.ValidatePassword(password); err != nil {
		errs["password"] = fmt.Sprintf("Use at least %d characters.", auth.MinPasswordLength)
	}
	if len(errs) > 0 {
		return h.showUsers(w, r, http.StatusUnprocessableEntity, f, errs, "")
	}
	p := server.PrincipalFrom(r.Context())
	_, err = h.Admin.AddUser(r.Context(), p.Actor(server.RemoteHost(r)), auth.NewUser{
		Org: f.Org, Role: role, Email: email, Name: f.Name, Password: password,
	})
	switch {
	case errors.Is(err, auth.ErrConflict):
		errs["email"] = "A user with this email exists."
	case errors.Is(err, auth.ErrNotFound):
		errs["org"] = "This organisation does not exist (any more)."
	case err != nil:
		return err
	}
	if len(errs) > 0 {
		return h.showUsers(w, r, http.StatusUnprocessableEntity, f, errs, "")
	}
	http.Redirect(w, r, "/admin/users"+encodeQuery("added", email), http.StatusSeeOther)
	return nil
}

// disableUser disables the user with the path's id.
func (h *handler) disableUser(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	users, err := h.Admin.ListUsers(r.Context())
	if err != nil {
		return err
	}
	var target *auth.User
	for i := range users {
		if users[i].ID == id {
			target = &users[i]
		}
	}
	if target == nil {
		return errNotFound
	}
	p := server.PrincipalFrom(r.Context())
	if target.ID == p.UserID {
		return badRequest("You cannot disable your own account: ask another administrator.")
	}
	if !target.Disabled {
		if err := h.Admin.DisableUser(r.Context(), p.Actor(server.RemoteHost(r)), target.Email); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/admin/users"+encodeQuery("disabled", target.Email), http.StatusSeeOther)
	return nil
}

// checkText checks a name typed into a form; it returns what is wrong, or
// "".
func checkText(s string, required bool) string {
	switch {
	case s == "" && required:
		return "Enter a name."
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "Use letters, digits and punctuation only."
	case utf8.RuneCountInString(s) > 200:
		return "Use at most 200 characters."
	}
	return ""
}
