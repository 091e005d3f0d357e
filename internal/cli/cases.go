package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/alert"
	"threshold/internal/api"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/store"
)

const casesHelp = `
usage: threshold cases list [--q WORDS] [--status S] [--country C] [--json | --csv]
       threshold cases show ID [--json]
       threshold cases add --title T --countries C[,C] [--places ISO/AREA[,...]] --confidentiality L
                           [--status S] [--lead-office O] [--staff EMAIL[,...]] [--share ORG[,...]] [--org ORG]
       threshold cases update ID [--title T] [--status S --note WHY] [--lead-office O] [--staff EMAIL[,...]]
                           [--confidentiality L] [--countries C[,C]] [--places ISO/AREA[,...]]
       threshold cases share ID ORG [ORG...]
       threshold cases unshare ID ORG [ORG...]
       threshold cases action ID --type T --date YYYY-MM-DD [--actors A[,...]] [--partners ORG[,...]]
                           [--alerts ID[,...]] [--outcome TEXT]
       threshold cases report [--unanswered-days N] [--json | --csv]
Every subcommand also takes --db DB, and --as EMAIL.

Cases are the situations under watch, actions what was done about them.
A case has a title, countries (ISO alpha-3) or admin-1 areas (ISO/Area),
a status (monitoring, active-preventive-engagement, crisis,
follow-through, closed), a lead office, responsible staff (emails), a
confidentiality level (public, internal, confidential,
strictly-confidential), an owner organisation and the organisations it is
shared with.

Action logs an action on a case: its type (statement, good-offices,
envoy-dispatch, fact-finding-mission, security-council-briefing,
regional-mediation-support, dialogue-facilitation,
electoral-assistance-coordination, other), its date, and the alerts it
answers, which become actioned.

Report prints the warning-to-action time: from each alert's firing to the
first action linked to it, with count, median and 90th percentile per
case, lead office, region and quarter, and the unanswered warnings older
than --unanswered-days (default 14).

Who you are: with --as EMAIL the command acts as that user, and the
need-to-know rules apply exactly as in the API (go doc
threshold/internal/casework): cases the user may not see do not exist.
Without --as you act as the database's operator, who holds the database
file or URL and so sees every case; add then needs --org, the owner.
Every change, and every read of a confidential case, is recorded in the
audit log as the user, or as "cli:" and your operating system user.
`

func runCases(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"cases needs a subcommand: list, show, add, update, share, unshare, action or report"}
	}
	verb, args := args[0], args[1:]
	fs := newFlags("cases "+verb, casesHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email): their need-to-know rules apply")
	asJSON := fs.Bool("json", false, "print JSON")
	var run func(ctx context.Context, svc *casework.Service, v casework.Viewer) error
	switch verb {
	case "list":
		run = casesList(fs, env, asJSON)
	case "show":
		run = casesShow(fs, env, asJSON)
	case "add":
		run = casesAdd(fs, env, asJSON)
	case "update":
		run = casesUpdate(fs, env, asJSON)
	case "share", "unshare":
		run = casesShare(fs, env, asJSON, verb)
	case "action":
		run = casesAction(fs, env, asJSON)
	case "report":
		run = casesReport(fs, env, asJSON)
	default:
		return usageError{fmt.Sprintf("cases: unknown subcommand %q", verb)}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	return runAsViewer(ctx, *db, *as, env, caseService, run)
}

// runAsViewer is the common tail of the commands under need-to-know
// (cases, roster, fund, field reports, agreements): it opens the database,
// resolves the viewer the CLI acts as (--as), builds the command's service
// over the database and runs fn with both.
func runAsViewer[S any](ctx context.Context, db, as string, env *Env, build func(*store.DB) (S, error), fn func(context.Context, S, casework.Viewer) error) error {
	st, err := openDB(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := cliViewer(ctx, st, env, as)
	if err != nil {
		return err
	}
	svc, err := build(st)
	if err != nil {
		return err
	}
	return fn(ctx, svc, v)
}

// cliViewer is the viewer the CLI acts as: the user named by as, or the
// unrestricted operator.
func cliViewer(ctx context.Context, st *store.DB, env *Env, as string) (casework.Viewer, error) {
	if as == "" {
		return casework.Everyone(cliActor(env).Name), nil
	}
	email, err := auth.NormalizeEmail(as)
	if err != nil {
		return casework.Viewer{}, usageError{"--as: " + err.Error()}
	}
	u, err := st.User(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return casework.Viewer{}, fmt.Errorf("--as: no user %s", email)
	} else if err != nil {
		return casework.Viewer{}, err
	}
	if u.Disabled {
		return casework.Viewer{}, fmt.Errorf("--as: user %s is disabled", email)
	}
	return casework.Viewer{UserID: u.ID, Email: u.Email, OrgID: u.OrgID, OrgName: u.OrgName, Role: u.Role}, nil
}

// caseService assembles casework over st as the CLI uses it: alerts are
// actioned and everything audited, as the server does; nobody is
// notified.
func caseService(st *store.DB) (*casework.Service, error) {
	log := audit.New(st, nil)
	m, err := alert.NewManager(alert.Options{Store: st, Audit: log})
	if err != nil {
		return nil, err
	}
	return casework.New(casework.Options{Store: st, Alerts: m, Audit: log})
}

// commaList splits a comma-separated flag value; "" is nil.
func commaList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// caseArg reads the one positional case ID.
func caseArg(fs *flag.FlagSet, verb string, min int) (int64, error) {
	if fs.NArg() < min || (min == 1 && fs.NArg() != 1) {
		return 0, usageError{fmt.Sprintf("cases %s takes a case ID", verb)}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id < 1 {
		return 0, usageError{fmt.Sprintf("cases %s: %q is not a case ID", verb, fs.Arg(0))}
	}
	return id, nil
}

func caseNotFound(err error, id int64) error {
	if errors.Is(err, casework.ErrNotFound) {
		return fmt.Errorf("no case %d", id)
	}
	return err
}

func casesList(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *casework.Service, casework.Viewer) error {
	q := fs.String("q", "", "words the title or lead office must all contain")
	status := fs.String("status", "", "only these statuses, comma-separated")
	country := fs.String("country", "", "only cases in this country (ISO alpha-3)")
	asCSV := fs.Bool("csv", false, "print CSV")
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		query := casework.Query{Q: *q, Country: strings.ToUpper(strings.TrimSpace(*country))}
		for _, s := range commaList(*status) {
			st, err := casework.ParseStatus(s)
			if err != nil {
				return usageError{"--status: " + err.Error()}
			}
			query.Status = append(query.Status, st)
		}
		cs, _, err := svc.List(ctx, v, query)
		if err != nil {
			return err
		}
		switch {
		case *asJSON:
			return json.NewEncoder(env.Stdout).Encode(cs)
		case *asCSV:
			w := csv.NewWriter(env.Stdout)
			w.Write([]string{"id", "title", "status", "confidentiality", "countries", "lead_office", "owner_org", "shared_with"})
			for _, c := range cs {
				w.Write([]string{strconv.FormatInt(c.ID, 10), c.Title, string(c.Status), string(c.Confidentiality),
					strings.Join(c.Countries, ";"), c.LeadOffice, c.OwnerOrg, strings.Join(c.SharedWith, ";")})
			}
			w.Flush()
			return w.Error()
		case len(cs) == 0:
			_, err := fmt.Fprintln(env.Stdout, "no cases")
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tCONFIDENTIALITY\tCOUNTRIES\tLEAD OFFICE\tOWNER\tSHARED WITH\tTITLE")
		for _, c := range cs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Status, c.Confidentiality, strings.Join(c.Countries, ","),
				dash(c.LeadOffice), c.OwnerOrg, dash(strings.Join(c.SharedWith, ", ")), c.Title)
		}
		return tw.Flush()
	}
}

func casesShow(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *casework.Service, casework.Viewer) error {
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		id, err := caseArg(fs, "show", 1)
		if err != nil {
			return err
		}
		c, err := svc.Get(ctx, v, id)
		if err != nil {
			return caseNotFound(err, id)
		}
		acts, err := svc.Actions(ctx, v, casework.ActionQuery{CaseID: id})
		if err != nil {
			return caseNotFound(err, id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(struct {
				Case    casework.Case     `json:"case"`
				Actions []casework.Action `json:"actions"`
			}{c, acts})
		}
		return printCase(env, c, acts)
	}
}

func printCase(env *Env, c casework.Case, acts []casework.Action) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	ps := make([]string, 0, len(c.Places))
	for _, p := range c.Places {
		ps = append(ps, strings.TrimSuffix(p.Country+"/"+p.Admin1, "/"))
	}
	for _, kv := range [][2]string{
		{"case", strconv.FormatInt(c.ID, 10)}, {"title", c.Title}, {"places", strings.Join(ps, ", ")},
		{"status", string(c.Status)}, {"lead office", dash(c.LeadOffice)}, {"staff", dash(strings.Join(c.Staff, ", "))},
		{"confidentiality", string(c.Confidentiality)}, {"owner", c.OwnerOrg}, {"shared with", dash(strings.Join(c.SharedWith, ", "))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	fmt.Fprintln(tw, "\nAT\tSTATUS\tFROM\tBY\tNOTE")
	for _, h := range c.History {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.At.Format("2006-01-02 15:04"), h.To, dash(string(h.From)), h.Actor, h.Note)
	}
	fmt.Fprintln(tw, "\nACTION\tDATE\tTYPE\tALERTS\tACTORS\tPARTNERS\tOUTCOME")
	for _, a := range acts {
		ids := make([]string, 0, len(a.Alerts))
		for _, id := range a.Alerts {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.At.Format(time.DateOnly), a.Type, dash(strings.Join(ids, ",")),
			dash(strings.Join(a.Actors, ", ")), dash(strings.Join(a.Partners, ", ")), a.Outcome)
	}
	return tw.Flush()
}

// caseFlags are the flags that set a case's fields.
type caseFlags struct {
	fs                                             *flag.FlagSet
	title, countries, places, status, note         *string
	leadOffice, staff, confidentiality, share, org *string
}

func addCaseFlags(fs *flag.FlagSet, create bool) caseFlags {
	f := caseFlags{fs: fs,
		title:           fs.String("title", "", "what the situation is"),
		countries:       fs.String("countries", "", "ISO alpha-3 codes, comma-separated"),
		places:          fs.String("places", "", "admin-1 areas as ISO/Area, comma-separated"),
		status:          fs.String("status", "", "monitoring, active-preventive-engagement, crisis, follow-through or closed"),
		leadOffice:      fs.String("lead-office", "", "the office leading"),
		staff:           fs.String("staff", "", "responsible staff, emails, comma-separated"),
		confidentiality: fs.String("confidentiality", "", "public, internal, confidential or strictly-confidential"),
	}
	if create {
		f.share = fs.String("share", "", "organisations to share it with, comma-separated")
		f.org = fs.String("org", "", "the owner organisation (without --as)")
	} else {
		f.note = fs.String("note", "", "why the status changed")
	}
	return f
}

// set reports whether the flag was given.
func (f caseFlags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

func (f caseFlags) placeList() []casework.Place {
	return append(casework.PlacesOf(commaList(*f.countries)), casework.PlacesOf(commaList(*f.places))...)
}

func casesAdd(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *casework.Service, casework.Viewer) error {
	f := addCaseFlags(fs, true)
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		if fs.NArg() > 0 {
			return usageError{"unexpected arguments"}
		}
		if *f.confidentiality == "" {
			return usageError{"cases add needs --confidentiality"}
		}
		if !v.All && *f.org != "" {
			return usageError{"--org is for the operator; with --as the case belongs to the user's organisation"}
		}
		c, err := svc.Create(ctx, v, casework.Case{Title: *f.title, Places: f.placeList(), Status: casework.Status(*f.status),
			LeadOffice: *f.leadOffice, Staff: commaList(*f.staff), Confidentiality: casework.Confidentiality(*f.confidentiality),
			SharedWith: commaList(*f.share), OwnerOrg: *f.org})
		if err != nil {
			return err
		}
		return printChanged(env, c, *asJSON, "opened")
	}
}

func printChanged(env *Env, c casework.Case, asJSON bool, what string) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(c)
	}
	_, err := fmt.Fprintf(env.Stdout, "case %d %s (%s, %s, shared with %s)\n", c.ID, what, c.Status, c.Confidentiality,
		dash(strings.Join(c.SharedWith, ", ")))
	return err
}

func casesUpdate(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *casework.Service, casework.Viewer) error {
	f := addCaseFlags(fs, false)
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		id, err := caseArg(fs, "update", 1)
		if err != nil {
			return err
		}
		var p casework.Patch
		if f.set("title") {
			p.Title = f.title
		}
		if f.set("countries") || f.set("places") {
			ps := f.placeList()
			p.Places = &ps
		}
		if f.set("status") {
			st, err := casework.ParseStatus(*f.status)
			if err != nil {
				return usageError{"--status: " + err.Error()}
			}
			p.Status, p.StatusNote = &st, *f.note
		}
		if f.set("lead-office") {
			p.LeadOffice = f.leadOffice
		}
		if f.set("staff") {
			s := commaList(*f.staff)
			p.Staff = &s
		}
		if f.set("confidentiality") {
			l, err := casework.ParseConfidentiality(*f.confidentiality)
			if err != nil {
				return usageError{"--confidentiality: " + err.Error()}
			}
			p.Confidentiality = &l
		}
		c, err := svc.Update(ctx, v, id, p)
		if err != nil {
			return caseNotFound(err, id)
		}
		return printChanged(env, c, *asJSON, "updated")
	}
}

func casesShare(fs *flag.FlagSet, env *Env, asJSON *bool, verb string) func(context.Context, *casework.Service, casework.Viewer) error {
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		if fs.NArg() < 2 {
			return usageError{fmt.Sprintf("cases %s takes a case ID and organisations", verb)}
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || id < 1 {
			return usageError{fmt.Sprintf("cases %s: %q is not a case ID", verb, fs.Arg(0))}
		}
		orgs := fs.Args()[1:]
		var c casework.Case
		if verb == "share" {
			c, err = svc.Share(ctx, v, id, orgs)
		} else {
			c, err = svc.Unshare(ctx, v, id, orgs)
		}
		if err != nil {
			return caseNotFound(err, id)
		}
		return printChanged(env, c, *asJSON, verb+"d")
	}
}

func casesAction(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *casework.Service, casework.Viewer) error {
	typ := fs.String("type", "", "the action type")
	date := fs.String("date", "", "when it was taken: YYYY-MM-DD or an RFC 3339 time")
	actors := fs.String("actors", "", "who acted, comma-separated")
	partners := fs.String("partners", "", "partner organisations involved, comma-separated")
	alerts := fs.String("alerts", "", "IDs of the alerts it answers, comma-separated")
	outcome := fs.String("outcome", "", "what came of it")
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		id, err := caseArg(fs, "action", 1)
		if err != nil {
			return err
		}
		if *typ == "" || *date == "" {
			return usageError{"cases action needs --type and --date"}
		}
		at, err := time.Parse(time.DateOnly, *date)
		if err != nil {
			if at, err = time.Parse(time.RFC3339, *date); err != nil {
				return usageError{fmt.Sprintf("--date: %q is not YYYY-MM-DD or an RFC 3339 time", *date)}
			}
		}
		a := casework.Action{Type: casework.ActionType(*typ), At: at, Actors: commaList(*actors), Partners: commaList(*partners), Outcome: *outcome}
		for _, s := range commaList(*alerts) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return usageError{fmt.Sprintf("--alerts: %q is not an alert ID", s)}
			}
			a.Alerts = append(a.Alerts, n)
		}
		out, err := svc.AddAction(ctx, v, id, a)
		if err != nil {
			return caseNotFound(err, id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(out)
		}
		_, err = fmt.Fprintf(env.Stdout, "action %d (%s, %s) logged on case %d; %d alerts linked\n", out.ID, out.Type,
			out.At.Format(time.DateOnly), id, len(out.Alerts))
		return err
	}
}

func casesReport(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *casework.Service, casework.Viewer) error {
	days := fs.Int("unanswered-days", 14, "list unanswered warnings fired more than this many days ago")
	asCSV := fs.Bool("csv", false, "print CSV")
	return func(ctx context.Context, svc *casework.Service, v casework.Viewer) error {
		if fs.NArg() > 0 {
			return usageError{"unexpected arguments"}
		}
		if *days < 0 {
			return usageError{"--unanswered-days must not be negative"}
		}
		rep, err := svc.Report(ctx, v, time.Duration(*days)*24*time.Hour)
		if err != nil {
			return err
		}
		switch {
		case *asJSON:
			return json.NewEncoder(env.Stdout).Encode(rep)
		case *asCSV:
			w := csv.NewWriter(env.Stdout)
			if err := w.WriteAll(api.ReportRows(rep)); err != nil {
				return err
			}
			return w.Error()
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "GROUP\tKEY\tEPISODES\tMEDIAN DAYS\tP90 DAYS\t")
		row := func(group string, ss ...casework.Summary) {
			for _, s := range ss {
				key := s.Key
				if s.Title != "" {
					key += " " + s.Title
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t\n", group, dash(key), s.Count, s.MedianDays, s.P90Days)
			}
		}
		row("overall", rep.Overall)
		row("case", rep.ByCase...)
		row("office", rep.ByOffice...)
		row("region", rep.ByRegion...)
		row("quarter", rep.ByQuarter...)
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "\n%d unanswered warnings older than %d days\n", len(rep.Unanswered), *days)
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		if len(rep.Unanswered) > 0 {
			fmt.Fprintln(tw, "ALERT\tFIRED\tAGE DAYS\tSTATE\tRULE\tPLACE\tTITLE")
		}
		for _, w := range rep.Unanswered {
			fmt.Fprintf(tw, "%d\t%s\t%.0f\t%s\t%s\t%s\t%s\n", w.AlertID, w.FiredAt.Format("2006-01-02 15:04"), w.AgeDays, w.State,
				w.Rule, strings.TrimSuffix(w.Country+" / "+w.Admin1, " / "), w.Title)
		}
		return tw.Flush()
	}
}
