package web

import (
	"threshold/internal/auth"
	"threshold/internal/server"
)

// routes registers every page with the roles that may use it.
func (h *handler) routes(rs *server.Routes) {
	everyone := auth.Everyone()
	signedIn := auth.AllowWrite(auth.Roles()...)
	admin := auth.Allow(auth.Admin)
	adminWrite := auth.AllowWrite(auth.Admin)

	rs.HandlePublic("GET", "/static/", staticFiles())
	rs.HandlePublic("GET", "/login", h.handle(h.loginPage))
	rs.HandlePublic("POST", "/login", h.handle(h.login))
	rs.HandleFunc("POST", "/logout", signedIn, h.handle(h.logout))

	rs.HandleFunc("GET", "/{$}", everyone, h.handle(h.worldMapPage))
	rs.HandleFunc("GET", "/countries/{iso3}", everyone, h.handle(h.countryPage))

	rs.HandleFunc("GET", "/admin/users", admin, h.handle(h.usersPage))
	rs.HandleFunc("POST", "/admin/users", adminWrite, h.handle(h.addUser))
	rs.HandleFunc("POST", "/admin/users/{id}/disable", adminWrite, h.handle(h.disableUser))
	rs.HandleFunc("GET", "/admin/orgs", admin, h.handle(h.orgsPage))
	rs.HandleFunc("POST", "/admin/orgs", adminWrite, h.handle(h.addOrg))

	rs.HandleErrorPages(h.errorPage)
}
