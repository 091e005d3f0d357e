package web

import (
	"threshold/internal/auth"
	"threshold/internal/server"
)

// Alerts are confidential, as in the API: partners and mediation experts
// do not see the inbox. Desks read and decide; silences, which mute
// warnings for everyone, are for admins and analysts; the rules, for
// admins to change.
var (
	alertReaders  = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer)
	alertDeciders = auth.AllowWrite(auth.Admin, auth.Analyst, auth.DeskOfficer)
	silencers     = auth.AllowWrite(auth.Admin, auth.Analyst)
	rulesEditors  = auth.AllowWrite(auth.Admin)
)

// Field reports, as in the API: every signed-in role may submit; the
// verification page is for analysts and admins, who move reports.
var (
	reportSubmitters = auth.AllowWrite(auth.Roles()...)
	reportReaders    = auth.Allow(auth.Admin, auth.Analyst)
	reportVerifiers  = auth.AllowWrite(auth.Admin, auth.Analyst)
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

	if h.Alerts != nil {
		rs.HandleFunc("GET", "/alerts", alertReaders, h.handle(h.alertsPage))
		rs.HandleFunc("GET", "/alerts/{id}", alertReaders, h.handle(h.alertPage))
		for _, act := range alertActions {
			rs.HandleFunc("POST", "/alerts/{id}/"+string(act), alertDeciders, h.handle(h.changeAlert(act)))
		}
		rs.HandleFunc("GET", "/silences", alertReaders, h.handle(h.silencesPage))
		rs.HandleFunc("POST", "/silences", silencers, h.handle(h.addSilence))
		rs.HandleFunc("POST", "/silences/{id}/expire", silencers, h.handle(h.expireSilence))
	}
	if h.Cases != nil {
		rs.HandleFunc("GET", "/cases", caseReaders, h.handle(h.casesPage))
		rs.HandleFunc("POST", "/cases", caseWriters, h.handle(h.createCase))
		rs.HandleFunc("GET", "/cases/{id}", caseReaders, h.handle(h.casePage))
		rs.HandleFunc("POST", "/cases/{id}/actions", caseWriters, h.handle(h.addCaseAction))
		rs.HandleFunc("POST", "/cases/{id}/status", caseWriters, h.handle(h.changeCaseStatus))
		rs.HandleFunc("POST", "/cases/{id}/sharing", caseWriters, h.handle(h.shareCase))
		h.mobiliseRoutes(rs)
	}
	if h.Roster != nil {
		h.rosterRoutes(rs)
	}
	if h.Fund != nil {
		h.fundRoutes(rs)
	}
	if h.Rules != nil {
		rs.HandleFunc("GET", "/rules", alertReaders, h.handle(h.rulesPage))
		rs.HandleFunc("POST", "/rules", rulesEditors, h.handle(h.editRules))
	}

	if h.FieldReports != nil {
		rs.HandleFunc("GET", "/report", reportSubmitters, h.handle(h.reportForm))
		rs.HandleFunc("POST", "/report", reportSubmitters, h.handle(h.submitReport))
		rs.HandleFunc("GET", "/field-reports", reportReaders, h.handle(h.fieldReportsPage))
		rs.HandleFunc("POST", "/field-reports/{id}/move", reportVerifiers, h.handle(h.moveFieldReport))
	}

	if h.Reports != nil {
		rs.HandleFunc("GET", "/reports/monthly", trackerReaders, h.handle(h.monthlyReportPage))
		rs.HandleFunc("POST", "/reports/monthly/override", trackerReviewers, h.handle(h.overrideCall))
	}

	rs.HandleErrorPages(h.errorPage)
}
