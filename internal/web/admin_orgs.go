package web

import (
	"errors"
	"net/http"
	"strings"

	"threshold/internal/auth"
	"threshold/internal/server"
)

type orgsView struct {
	Orgs  []orgRow
	Name  string // the add form's value
	Error string // what is wrong with it
	Done  string
}

type orgRow struct {
	auth.Org
	Users int
}

// orgsPage lists organisations and offers the add form.
func (h *handler) orgsPage(w http.ResponseWriter, r *http.Request) error {
	var done string
	if n := r.FormValue("added"); n != "" {
		done = "Added " + n + "."
	}
	return h.showOrgs(w, r, http.StatusOK, "", "", done)
}

func (h *handler) showOrgs(w http.ResponseWriter, r *http.Request, status int, name, problem, done string) error {
	orgs, err := h.Admin.ListOrgs(r.Context())
	if err != nil {
		return err
	}
	users, err := h.Admin.ListUsers(r.Context())
	if err != nil {
		return err
	}
	count := map[int64]int{}
	for _, u := range users {
		count[u.OrgID]++
	}
	v := orgsView{Name: name, Error: problem, Done: done}
	for _, o := range orgs {
		v.Orgs = append(v.Orgs, orgRow{Org: o, Users: count[o.ID]})
	}
	h.render(w, r, status, "admin_orgs", "Organisations", v)
	return nil
}

// addOrg adds an organisation from the form.
func (h *handler) addOrg(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if msg := checkText(name, true); msg != "" {
		return h.showOrgs(w, r, http.StatusUnprocessableEntity, name, msg, "")
	}
	p := server.PrincipalFrom(r.Context())
	o, err := h.Admin.AddOrg(r.Context(), p.Actor(server.RemoteHost(r)), name)
	if errors.Is(err, auth.ErrConflict) {
		return h.showOrgs(w, r, http.StatusUnprocessableEntity, name, "An organisation with this name exists.", "")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/orgs"+encodeQuery("added", o.Name), http.StatusSeeOther)
	return nil
}
