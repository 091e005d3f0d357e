package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/audit"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/store"
)

const rosterHelp = `
usage: threshold roster list [--q WORDS] [--kind K] [--area A] [--json]
       threshold roster show ID [--json]
       threshold roster add --name N [--email E] [--kind K] [--expertise AREA:LEVEL[,...]]
                            [--languages CODE:LEVEL[,...]] [--countries ISO[,...]] [--regions R[,...]]
                            [--clearance L] [--contract C] [--notes TEXT] [--org ORG]
       threshold roster update ID [the same flags as add but --org] [--version N]
       threshold roster availability ID [--from DATE] [--to DATE] [--json]
       threshold roster unavailable ID --from DATE --to DATE [--note WHY]
       threshold roster available ID PERIOD-ID
       threshold roster match --case ID --skills AREA[,...] [--languages CODE[,...]] --start DATE --days N
                            [--kinds K[,...]] [--limit N] [--json]
       threshold roster deploy --person ID --case ID --start DATE --days N [--role ROLE] [--note WHY] [--json]
       threshold roster deployments [--person ID] [--case ID] [--status S[,...]] [--json]
       threshold roster approve|reject|start|complete|cancel DEPLOYMENT-ID [--note WHY] [--json]
Every subcommand also takes --db DB, and --as EMAIL.

The roster holds envoys, standby mediation experts and support staff:
kind (envoy, mediation-expert, support-staff), expertise areas with a
level 1 to 3 (process-design, power-sharing, constitution-making,
security-arrangements, natural-resources, gender-inclusion, elections,
transitional-justice), languages with a CEFR level (A1 to C2, native),
countries (ISO alpha-3) and UN M49 regions known, clearance (public,
internal, confidential, strictly-confidential), contract (staff, standby,
consultant, secondment, pro-bono).

Availability prints a person's calendar (available, on-deployment,
unavailable) from --from (default today) to --to (default 90 days on).

Match ranks the people free for the whole window for the case's places
and confidentiality, with the reasons for each rank: expertise,
languages, regional experience, availability, standby contract and
recent fatigue (days deployed in the 12 months before the start). Go doc
threshold/internal/roster gives the weights.

Deploy requests a person for a case; a request holds the person for its
window, and no two holding deployments of one person ever overlap (the
second is refused as double-booked). Approve, reject, start (active),
complete and cancel move it on: requested -> approved -> active ->
completed, or rejected, or cancelled.

Who you are: as for cases, --as EMAIL applies that user's rules (people's
records are seen by their keeper organisation's admins, analysts and desk
officers, and by the person themselves); without it you act as the
database's operator, and add needs --org, the keeper. Every change and
every read of a record is audited.
`

func runRoster(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"roster needs a subcommand: list, show, add, update, availability, unavailable, available, match, deploy, deployments, approve, reject, start, complete or cancel"}
	}
	verb, args := args[0], args[1:]
	fs := newFlags("roster "+verb, rosterHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email): their need-to-know rules apply")
	asJSON := fs.Bool("json", false, "print JSON")
	var run func(ctx context.Context, svc *roster.Service, v casework.Viewer) error
	switch verb {
	case "list":
		run = rosterList(fs, env, asJSON)
	case "show":
		run = rosterShow(fs, env, asJSON)
	case "add", "update":
		run = rosterWrite(fs, env, asJSON, verb)
	case "availability":
		run = rosterAvailability(fs, env, asJSON)
	case "unavailable", "available":
		run = rosterPeriod(fs, env, verb)
	case "match":
		run = rosterMatch(fs, env, asJSON)
	case "deploy":
		run = rosterDeploy(fs, env, asJSON)
	case "deployments":
		run = rosterDeployments(fs, env, asJSON)
	case "approve", "reject", "start", "complete", "cancel":
		run = rosterMove(fs, env, asJSON, verb)
	default:
		return usageError{fmt.Sprintf("roster: unknown subcommand %q", verb)}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	return runAsViewer(ctx, *db, *as, env, rosterService, run)
}

// rosterService assembles the roster over st as the CLI uses it, with
// casework for the cases and everything audited.
func rosterService(st *store.DB) (*roster.Service, error) {
	cases, err := caseService(st)
	if err != nil {
		return nil, err
	}
	return roster.New(roster.Options{Store: st, Cases: cases, Audit: audit.New(st, nil)})
}

// rosterID reads positional argument i as an id of what.
func rosterID(fs *flag.FlagSet, i int, what string) (int64, error) {
	id, err := strconv.ParseInt(fs.Arg(i), 10, 64)
	if err != nil || id < 1 {
		return 0, usageError{fmt.Sprintf("roster: %q is not a %s ID", fs.Arg(i), what)}
	}
	return id, nil
}

// rosterDate parses a YYYY-MM-DD flag value; "" is def.
func rosterDate(name, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--%s: %q is not a date (YYYY-MM-DD)", name, s)}
	}
	return d, nil
}

func rosterNotFound(err error, what string, id int64) error {
	if errors.Is(err, roster.ErrNotFound) {
		return fmt.Errorf("no %s %d", what, id)
	}
	return err
}

func rosterList(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *roster.Service, casework.Viewer) error {
	q := fs.String("q", "", "words the name or notes must all contain")
	kind := fs.String("kind", "", "only this kind: envoy, mediation-expert or support-staff")
	area := fs.String("area", "", "only people with this expertise area")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		query := roster.Query{Q: *q, Kind: roster.Kind(*kind)}
		if *area != "" {
			a, err := roster.ParseArea(*area)
			if err != nil {
				return usageError{"--area: " + err.Error()}
			}
			query.Area = a
		}
		ps, err := svc.List(ctx, v, query)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(ps)
		}
		if len(ps) == 0 {
			_, err := fmt.Fprintln(env.Stdout, "no people")
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tCONTRACT\tCLEARANCE\tEXPERTISE\tLANGUAGES\tCOUNTRIES\tNAME")
		for _, p := range ps {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Kind, p.Contract, p.Clearance, dash(expertiseList(p.Expertise)),
				dash(languageList(p.Languages)), dash(strings.Join(p.Countries, ",")), p.Name)
		}
		return tw.Flush()
	}
}

func expertiseList(es []roster.Expertise) string {
	var b []string
	for _, e := range es {
		b = append(b, fmt.Sprintf("%s:%d", e.Area, e.Level))
	}
	return strings.Join(b, ",")
}

func languageList(ls []roster.Language) string {
	var b []string
	for _, l := range ls {
		b = append(b, l.Code+":"+string(l.Level))
	}
	return strings.Join(b, ",")
}

func rosterShow(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *roster.Service, casework.Viewer) error {
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		if fs.NArg() != 1 {
			return usageError{"roster show takes a person ID"}
		}
		id, err := rosterID(fs, 0, "person")
		if err != nil {
			return err
		}
		p, err := svc.Get(ctx, v, id)
		if err != nil {
			return rosterNotFound(err, "person", id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(p)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		for _, kv := range [][2]string{
			{"person", strconv.FormatInt(p.ID, 10)}, {"name", p.Name}, {"email", dash(p.Email)}, {"kind", string(p.Kind)},
			{"organisation", p.Org}, {"contract", string(p.Contract)}, {"clearance", string(p.Clearance)},
			{"expertise", dash(expertiseList(p.Expertise))}, {"languages", dash(languageList(p.Languages))},
			{"countries", dash(strings.Join(p.Countries, ", "))}, {"regions", dash(strings.Join(p.Regions, ", "))},
			{"notes", dash(p.Notes)}, {"version", strconv.FormatInt(p.Version, 10)},
		} {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
		}
		fmt.Fprintln(tw, "\nUNAVAILABLE\tFROM\tTO\tNOTE")
		for _, u := range p.Unavailable {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", u.ID, u.Start.Format(time.DateOnly), u.End.Format(time.DateOnly), dash(u.Note))
		}
		fmt.Fprintln(tw, "\nDEPLOYMENT\tCASE\tSTATUS\tFROM\tTO\tROLE")
		for _, d := range p.Deployments {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", d.ID, d.CaseID, d.Status, d.Start.Format(time.DateOnly),
				d.End().Format(time.DateOnly), dash(d.Role))
		}
		return tw.Flush()
	}
}

func rosterWrite(fs *flag.FlagSet, env *Env, asJSON *bool, verb string) func(context.Context, *roster.Service, casework.Viewer) error {
	name := fs.String("name", "", "full name")
	email := fs.String("email", "", "email of the person's user account, if any")
	kind := fs.String("kind", "", "envoy, mediation-expert (default) or support-staff")
	expertise := fs.String("expertise", "", "expertise areas with levels 1-3, e.g. power-sharing:3,elections:2")
	languages := fs.String("languages", "", "languages with CEFR levels, e.g. fr:C2,ar:B2,en:native")
	countries := fs.String("countries", "", "countries known (ISO alpha-3), comma-separated")
	regions := fs.String("regions", "", "UN M49 regions known besides their countries', comma-separated")
	clearance := fs.String("clearance", "", "public, internal (default), confidential or strictly-confidential")
	contract := fs.String("contract", "", "staff, standby, consultant (default), secondment or pro-bono")
	notes := fs.String("notes", "", "notes")
	org := fs.String("org", "", "the organisation that keeps the record (operator only)")
	version := fs.Int64("version", 0, "update: refuse if the record is no longer at this version")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		var (
			es  []roster.Expertise
			ls  []roster.Language
			err error
		)
		for _, s := range commaList(*expertise) {
			e, err := roster.ParseExpertise(s)
			if err != nil {
				return usageError{"--expertise: " + err.Error()}
			}
			es = append(es, e)
		}
		for _, s := range commaList(*languages) {
			l, err := roster.ParseLanguage(s)
			if err != nil {
				return usageError{"--languages: " + err.Error()}
			}
			ls = append(ls, l)
		}
		var p roster.Person
		if verb == "add" {
			if fs.NArg() != 0 {
				return usageError{"roster add takes no arguments"}
			}
			p, err = svc.Add(ctx, v, roster.Person{Name: *name, Email: *email, Kind: roster.Kind(*kind), Org: *org,
				Expertise: es, Languages: ls, Countries: commaList(*countries), Regions: commaList(*regions),
				Clearance: casework.Confidentiality(*clearance), Contract: roster.Contract(*contract), Notes: *notes})
			if err != nil {
				return err
			}
		} else {
			if fs.NArg() != 1 {
				return usageError{"roster update takes a person ID"}
			}
			id, err := rosterID(fs, 0, "person")
			if err != nil {
				return err
			}
			pt := roster.Patch{Version: *version}
			if set["name"] {
				pt.Name = name
			}
			if set["email"] {
				pt.Email = email
			}
			if set["kind"] {
				k := roster.Kind(*kind)
				pt.Kind = &k
			}
			if set["expertise"] {
				pt.Expertise = &es
			}
			if set["languages"] {
				pt.Languages = &ls
			}
			if set["countries"] {
				cs := commaList(*countries)
				pt.Countries = &cs
			}
			if set["regions"] {
				rs := commaList(*regions)
				pt.Regions = &rs
			}
			if set["clearance"] {
				c := casework.Confidentiality(*clearance)
				pt.Clearance = &c
			}
			if set["contract"] {
				c := roster.Contract(*contract)
				pt.Contract = &c
			}
			if set["notes"] {
				pt.Notes = notes
			}
			if p, err = svc.Update(ctx, v, id, pt); err != nil {
				return rosterNotFound(err, "person", id)
			}
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(p)
		}
		_, err = fmt.Fprintf(env.Stdout, "person %d: %s (%s, version %d)\n", p.ID, p.Name, p.Kind, p.Version)
		return err
	}
}

func rosterAvailability(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *roster.Service, casework.Viewer) error {
	from := fs.String("from", "", "first day (default today)")
	to := fs.String("to", "", "last day (default 90 days after --from)")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		if fs.NArg() != 1 {
			return usageError{"roster availability takes a person ID"}
		}
		id, err := rosterID(fs, 0, "person")
		if err != nil {
			return err
		}
		f, err := rosterDate("from", *from, roster.Day(time.Now()))
		if err != nil {
			return err
		}
		t, err := rosterDate("to", *to, f.AddDate(0, 0, 90))
		if err != nil {
			return err
		}
		spans, err := svc.Availability(ctx, v, id, f, t)
		if err != nil {
			return rosterNotFound(err, "person", id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(spans)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FROM\tTO\tSTATUS\tDEPLOYMENT")
		for _, s := range spans {
			dep := "-"
			if s.DeploymentID != 0 {
				dep = strconv.FormatInt(s.DeploymentID, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Start.Format(time.DateOnly), s.End.Format(time.DateOnly), s.Status, dep)
		}
		return tw.Flush()
	}
}

func rosterPeriod(fs *flag.FlagSet, env *Env, verb string) func(context.Context, *roster.Service, casework.Viewer) error {
	from := fs.String("from", "", "first unavailable day (YYYY-MM-DD)")
	to := fs.String("to", "", "last unavailable day (YYYY-MM-DD)")
	note := fs.String("note", "", "why (leave, another commitment)")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		if verb == "available" {
			if fs.NArg() != 2 {
				return usageError{"roster available takes a person ID and an unavailable period's ID"}
			}
			id, err := rosterID(fs, 0, "person")
			if err != nil {
				return err
			}
			pid, err := rosterID(fs, 1, "period")
			if err != nil {
				return err
			}
			if err := svc.ClearUnavailable(ctx, v, id, pid); err != nil {
				return rosterNotFound(err, "person or period", id)
			}
			_, err = fmt.Fprintf(env.Stdout, "person %d: unavailable period %d removed\n", id, pid)
			return err
		}
		if fs.NArg() != 1 || *from == "" || *to == "" {
			return usageError{"roster unavailable takes a person ID, --from and --to"}
		}
		id, err := rosterID(fs, 0, "person")
		if err != nil {
			return err
		}
		f, err := rosterDate("from", *from, time.Time{})
		if err != nil {
			return err
		}
		t, err := rosterDate("to", *to, time.Time{})
		if err != nil {
			return err
		}
		u, err := svc.MarkUnavailable(ctx, v, id, f, t, *note)
		if err != nil {
			return rosterNotFound(err, "person", id)
		}
		_, err = fmt.Fprintf(env.Stdout, "person %d: unavailable %s to %s (period %d)\n", id, u.Start.Format(time.DateOnly),
			u.End.Format(time.DateOnly), u.ID)
		return err
	}
}

func rosterMatch(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *roster.Service, casework.Viewer) error {
	caseID := fs.Int64("case", 0, "the case (ID) the people are for: its places and confidentiality count")
	skills := fs.String("skills", "", "expertise areas needed, comma-separated")
	languages := fs.String("languages", "", "languages needed (ISO 639 codes), comma-separated")
	start := fs.String("start", "", "first day of the deployment (YYYY-MM-DD)")
	days := fs.Int("days", 0, "its length in days")
	kinds := fs.String("kinds", "", "only these kinds, comma-separated")
	limit := fs.Int("limit", roster.DefaultLimit, "how many to rank")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		if *caseID < 1 || *skills == "" || *start == "" || *days < 1 {
			return usageError{"roster match needs --case, --skills, --start and --days"}
		}
		r := roster.Request{CaseID: *caseID, Days: *days, Limit: *limit, Languages: commaList(*languages)}
		var err error
		if r.Start, err = rosterDate("start", *start, time.Time{}); err != nil {
			return err
		}
		for _, s := range commaList(*skills) {
			a, err := roster.ParseArea(s)
			if err != nil {
				return usageError{"--skills: " + err.Error()}
			}
			r.Skills = append(r.Skills, a)
		}
		for _, k := range commaList(*kinds) {
			r.Kinds = append(r.Kinds, roster.Kind(k))
		}
		res, err := svc.Match(ctx, v, r)
		if err != nil {
			if errors.Is(err, casework.ErrNotFound) {
				return fmt.Errorf("no case %d", *caseID)
			}
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(res)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "case %d, %s to %s: %d candidates of %d considered; excluded %s\n\n", r.CaseID,
			r.Start.Format(time.DateOnly), r.End().Format(time.DateOnly), len(res.Candidates), res.Considered, excludedList(res.Excluded))
		fmt.Fprintln(tw, "RANK\tSCORE\tID\tNAME\tKIND\tREASONS")
		for _, c := range res.Candidates {
			var rs []string
			for _, x := range c.Reasons {
				rs = append(rs, fmt.Sprintf("%s %+.1f (%s)", x.Factor, x.Points, x.Detail))
			}
			fmt.Fprintf(tw, "%d\t%.2f\t%d\t%s\t%s\t%s\n", c.Rank, c.Score, c.PersonID, c.Name, c.Kind, strings.Join(rs, "; "))
		}
		return tw.Flush()
	}
}

func excludedList(m map[string]int) string {
	var b []string
	for _, k := range []string{"busy", "unavailable", "clearance", "no-expertise", "kind"} {
		if m[k] > 0 {
			b = append(b, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	if len(b) == 0 {
		return "none"
	}
	return strings.Join(b, ", ")
}

func rosterDeploy(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *roster.Service, casework.Viewer) error {
	person := fs.Int64("person", 0, "the person (ID)")
	caseID := fs.Int64("case", 0, "the case (ID)")
	start := fs.String("start", "", "first day (YYYY-MM-DD)")
	days := fs.Int("days", 0, "length in days")
	role := fs.String("role", "", "their role, e.g. senior adviser on power-sharing")
	note := fs.String("note", "", "why, for the history")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		if *person < 1 || *caseID < 1 || *start == "" || *days < 1 {
			return usageError{"roster deploy needs --person, --case, --start and --days"}
		}
		s, err := rosterDate("start", *start, time.Time{})
		if err != nil {
			return err
		}
		d, err := svc.RequestDeployment(ctx, v, roster.Deployment{PersonID: *person, CaseID: *caseID, Start: s, Days: *days, Role: *role}, *note)
		if err != nil {
			return err
		}
		return printDeployment(env, d, *asJSON)
	}
}

func printDeployment(env *Env, d roster.Deployment, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(d)
	}
	_, err := fmt.Fprintf(env.Stdout, "deployment %d: person %d (%s) to case %d, %s to %s: %s\n", d.ID, d.PersonID, d.Person,
		d.CaseID, d.Start.Format(time.DateOnly), d.End().Format(time.DateOnly), d.Status)
	return err
}

func rosterDeployments(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *roster.Service, casework.Viewer) error {
	person := fs.Int64("person", 0, "only this person's")
	caseID := fs.Int64("case", 0, "only this case's")
	status := fs.String("status", "", "only these statuses, comma-separated")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		q := roster.DeploymentQuery{PersonID: *person, CaseID: *caseID}
		for _, s := range commaList(*status) {
			st, err := roster.ParseStatus(s)
			if err != nil {
				return usageError{"--status: " + err.Error()}
			}
			q.Status = append(q.Status, st)
		}
		ds, err := svc.Deployments(ctx, v, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(ds)
		}
		if len(ds) == 0 {
			_, err := fmt.Fprintln(env.Stdout, "no deployments")
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPERSON\tCASE\tSTATUS\tFROM\tTO\tROLE\tNAME")
		for _, d := range ds {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.PersonID, d.CaseID, d.Status, d.Start.Format(time.DateOnly),
				d.End().Format(time.DateOnly), dash(d.Role), d.Person)
		}
		return tw.Flush()
	}
}

// moveTo is the status each transition verb leads to.
var moveTo = map[string]roster.Status{"approve": roster.Approved, "reject": roster.Rejected, "start": roster.Active,
	"complete": roster.Completed, "cancel": roster.Cancelled}

func rosterMove(fs *flag.FlagSet, env *Env, asJSON *bool, verb string) func(context.Context, *roster.Service, casework.Viewer) error {
	note := fs.String("note", "", "why, for the history")
	return func(ctx context.Context, svc *roster.Service, v casework.Viewer) error {
		if fs.NArg() != 1 {
			return usageError{fmt.Sprintf("roster %s takes a deployment ID", verb)}
		}
		id, err := rosterID(fs, 0, "deployment")
		if err != nil {
			return err
		}
		d, err := svc.Move(ctx, v, id, moveTo[verb], *note)
		if err != nil {
			return rosterNotFound(err, "deployment", id)
		}
		return printDeployment(env, d, *asJSON)
	}
}
