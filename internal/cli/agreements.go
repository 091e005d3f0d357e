package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/store"
)

const agreementsHelp = `
usage: threshold agreements import FILE
       threshold agreements list [--country C] [--q WORDS] [--case ID] [--json]
       threshold agreements show ID [--json]
       threshold agreements add --name N --signed YYYY-MM-DD --countries C[,C] [--kind K] [--parties P[,P]]
       threshold agreements provision AGREEMENT --text T [--category C] [--responsible P] [--deadline YYYY-MM-DD]
       threshold agreements status PROVISION --status S [--on YYYY-MM-DD] [--source SRC] [--note TEXT]
       threshold agreements link AGREEMENT CASE
       threshold agreements suggest [--agreement ID] [--case ID] [--json]
       threshold agreements check [--as-of YYYY-MM-DD] [--stall-days N] [--json]
Every subcommand also takes --db DB, and --as EMAIL.

Agreements are the peace agreements, political accords and water-sharing
arrangements whose implementation is followed: each provision has a
responsible party, a deadline and a status over time (not-started,
minimal, intermediate, full, as the Peace Accords Matrix codes them).

Import reads the UCDP Peace Agreement Dataset (CSV, or .gz; the format is
detected from the header): one agreement per row, with one provision per
provision flag set. UCDP gives neither deadlines nor implementation, so
imported provisions start not-started with no deadline. Importing the same
file again changes nothing. Bad fields are reported by file, line and column
and nothing is imported.

Link links an agreement to a case; suggest lists the open cases with a
place in an agreement's country that are not linked yet.

Check raises follow-through alerts as of a day (default today) through the
alert pipeline: provision-overdue when a deadline has passed below full,
provision-stalled when a provision below full has made no progress for
--stall-days (default 180). Only agreements linked to a case or entered by
hand are checked, and not those that ended. Changes made with add,
provision, status and link run the check for the agreement's countries.

Who you are: as for threshold cases, --as EMAIL applies that user's access
(an agreement linked to a case the user may not see does not exist);
without it you act as the database's operator.
`

func runAgreements(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"agreements needs a subcommand: import, list, show, add, provision, status, link, suggest or check"}
	}
	verb, args := args[0], args[1:]
	fs := newFlags("agreements "+verb, agreementsHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email): their access rules apply")
	asJSON := fs.Bool("json", false, "print JSON")
	stallDays := 0
	var run func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error
	switch verb {
	case "import":
		run = agreementsImport(fs, env, asJSON)
	case "list":
		run = agreementsList(fs, env, asJSON)
	case "show":
		run = agreementsShow(fs, env, asJSON)
	case "add":
		run = agreementsAdd(fs, env, asJSON)
	case "provision":
		run = agreementsProvision(fs, env, asJSON)
	case "status":
		run = agreementsStatus(fs, env, asJSON)
	case "link":
		run = agreementsLink(fs, env, asJSON)
	case "suggest":
		run = agreementsSuggest(fs, env, asJSON)
	case "check":
		fs.IntVar(&stallDays, "stall-days", 180, "days without progress that stall a provision")
		run = agreementsCheck(fs, env, asJSON)
	default:
		return usageError{fmt.Sprintf("agreements: unknown subcommand %q", verb)}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if stallDays < 0 {
		return usageError{"--stall-days: want a positive number of days"}
	}
	build := func(st *store.DB) (*agreement.Service, error) {
		return agreementService(st, env, time.Duration(stallDays)*24*time.Hour)
	}
	return runAsViewer(ctx, *db, *as, env, build, run)
}

// agreementService assembles follow-through over st as the CLI uses it:
// alerts are processed and everything audited, as the server does; the
// alerts wait for a running server to deliver them.
func agreementService(st *store.DB, env *Env, stallAfter time.Duration) (*agreement.Service, error) {
	log := audit.New(st, nil)
	m, err := alert.NewManager(alert.Options{Store: st, Audit: log, Log: env.Log})
	if err != nil {
		return nil, err
	}
	return agreement.New(agreement.Options{Store: st, Alerts: m, Audit: log, StallAfter: stallAfter, Log: env.Log})
}

// idArg reads the n-th positional ID, named what.
func idArg(fs *flag.FlagSet, verb, what string, n, want int) (int64, error) {
	if fs.NArg() != want {
		return 0, usageError{fmt.Sprintf("agreements %s takes %d argument(s)", verb, want)}
	}
	id, err := strconv.ParseInt(fs.Arg(n), 10, 64)
	if err != nil || id < 1 {
		return 0, usageError{fmt.Sprintf("agreements %s: %q is not a %s ID", verb, fs.Arg(n), what)}
	}
	return id, nil
}

func dayFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, usageError{fmt.Sprintf("--%s: want YYYY-MM-DD, not %q", name, s)}
	}
	return t, nil
}

func agreementNotFound(err error, what string, id int64) error {
	if errors.Is(err, agreement.ErrNotFound) {
		return fmt.Errorf("no %s %d (or one you may not see)", what, id)
	}
	return err
}

// readAgreementFile reads an agreements file, plain or gzip, and parses
// it in the format its header names.
func readAgreementFile(path string) ([]agreement.Agreement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	name := filepath.Base(path)
	if err != nil || !agreement.IsUCDP(header) {
		return nil, fmt.Errorf("%s:1: unknown agreements format: want the UCDP Peace Agreement Dataset's CSV header (paid, gwno, conflict_id, actor_name, pa_name, pa_date, ...)", name)
	}
	g, err := geo.Load()
	if err != nil {
		return nil, err
	}
	return agreement.ParseUCDP(name, bytes.NewReader(data), g)
}

func agreementsImport(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		if fs.NArg() != 1 {
			return usageError{"agreements import takes one FILE"}
		}
		as, err := readAgreementFile(fs.Arg(0))
		if err != nil {
			return err
		}
		sum, err := svc.Import(ctx, v, as)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(sum)
		}
		_, err = fmt.Fprintf(env.Stdout, "%d agreements read: %d inserted, %d updated, %d unchanged; %d provisions added\n",
			sum.Read, sum.Inserted, sum.Updated, sum.Unchanged, sum.Provisions)
		return err
	}
}

func agreementsList(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	country := fs.String("country", "", "only agreements concerning this country (ISO alpha-3)")
	q := fs.String("q", "", "words the name, conflict or parties must all contain")
	caseID := fs.Int64("case", 0, "only agreements linked to this case")
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		if fs.NArg() != 0 {
			return usageError{"agreements list takes no arguments"}
		}
		as, err := svc.List(ctx, v, agreement.Query{Country: *country, Q: *q, CaseID: *caseID})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(as)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSIGNED\tCOUNTRIES\tPROVISIONS\tCASES\tNAME")
		for _, a := range as {
			name := a.Name
			if a.Ended {
				name += " (ended)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\n", a.ID, a.Signed.Format(time.DateOnly), strings.Join(a.Countries, ","),
				a.ProvisionCount, len(a.Cases), clipText(name, 80))
		}
		return tw.Flush()
	}
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func agreementsShow(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		id, err := idArg(fs, "show", "agreement", 0, 1)
		if err != nil {
			return err
		}
		a, err := svc.Get(ctx, v, id)
		if err != nil {
			return agreementNotFound(err, "agreement", id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(a)
		}
		return printAgreement(env.Stdout, a)
	}
}

func printAgreement(w io.Writer, a agreement.Agreement) error {
	fmt.Fprintf(w, "%d  %s\n", a.ID, a.Name)
	fmt.Fprintf(w, "kind %s, signed %s, countries %s", a.Kind, a.Signed.Format(time.DateOnly), strings.Join(a.Countries, ", "))
	if a.Source == agreement.SourceUCDP {
		fmt.Fprintf(w, ", UCDP paid %s", a.SourceID)
	}
	if len(a.ConflictIDs) > 0 {
		fmt.Fprintf(w, ", conflict %v %s", a.ConflictIDs, a.Conflict)
	}
	fmt.Fprintln(w)
	if a.Ended {
		fmt.Fprintf(w, "ended %s\n", a.EndedOn.Format(time.DateOnly))
	}
	fmt.Fprintf(w, "parties: %s\n", strings.Join(a.Parties, "; "))
	if len(a.Cases) > 0 {
		fmt.Fprintf(w, "cases: %v\n", a.Cases)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPROVISION\tCATEGORY\tSTATUS\tSINCE\tDEADLINE\tRESPONSIBLE\tTEXT")
	for _, p := range a.Provisions {
		deadline := ""
		if !p.Deadline.IsZero() {
			deadline = p.Deadline.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Category, p.Status, p.StatusOn.Format(time.DateOnly), deadline,
			p.Responsible, clipText(p.Text, 60))
		for i, h := range p.History {
			if i == 0 {
				continue // the line the provision was recorded with
			}
			fmt.Fprintf(tw, "\t\t  %s → %s\t%s\t\t%s\t%s\n", h.From, h.To, h.On.Format(time.DateOnly), h.Actor,
				strings.TrimSpace(h.Source+" "+h.Note))
		}
	}
	return tw.Flush()
}

func agreementsAdd(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	name := fs.String("name", "", "the agreement's name")
	kind := fs.String("kind", string(agreement.PeaceAgreement), "peace-agreement, political-accord, water-sharing or other")
	signed := fs.String("signed", "", "the day it was signed, YYYY-MM-DD")
	countries := fs.String("countries", "", "ISO alpha-3 codes, comma-separated")
	parties := fs.String("parties", "", "the signatories, comma-separated")
	notes := fs.String("notes", "", "notes")
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		day, err := dayFlag("signed", *signed)
		if err != nil {
			return err
		}
		a, err := svc.Create(ctx, v, agreement.Agreement{Name: *name, Kind: agreement.Kind(*kind), Signed: day,
			Countries: commaList(*countries), Parties: commaList(*parties), Notes: *notes})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(a)
		}
		_, err = fmt.Fprintf(env.Stdout, "agreement %d: %s\n", a.ID, a.Name)
		return err
	}
}

func agreementsProvision(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	text := fs.String("text", "", "what the parties committed to")
	category := fs.String("category", "", "a UCDP provision code (cease, ddr, pp, ...) or other")
	responsible := fs.String("responsible", "", "the party responsible for implementing it")
	deadline := fs.String("deadline", "", "YYYY-MM-DD")
	status := fs.String("status", "", "not-started (default), minimal, intermediate or full")
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		id, err := idArg(fs, "provision", "agreement", 0, 1)
		if err != nil {
			return err
		}
		d, err := dayFlag("deadline", *deadline)
		if err != nil {
			return err
		}
		p := agreement.Provision{Text: *text, Category: *category, Responsible: *responsible, Deadline: d}
		if *status != "" {
			if p.Status, err = agreement.ParseStatus(*status); err != nil {
				return usageError{"--status: " + err.Error()}
			}
		}
		p, err = svc.AddProvision(ctx, v, id, p)
		if err != nil {
			return agreementNotFound(err, "agreement", id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(p)
		}
		_, err = fmt.Fprintf(env.Stdout, "provision %d of agreement %d: %s (%s)\n", p.ID, id, p.Text, p.Status)
		return err
	}
}

func agreementsStatus(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	status := fs.String("status", "", "not-started, minimal, intermediate or full")
	on := fs.String("on", "", "the day the status describes, YYYY-MM-DD (default today)")
	source := fs.String("source", "", "where it was observed")
	note := fs.String("note", "", "a note for the history")
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		id, err := idArg(fs, "status", "provision", 0, 1)
		if err != nil {
			return err
		}
		st, err := agreement.ParseStatus(*status)
		if err != nil {
			return usageError{"--status: " + err.Error()}
		}
		d, err := dayFlag("on", *on)
		if err != nil {
			return err
		}
		p, err := svc.SetStatus(ctx, v, id, agreement.StatusChange{To: st, On: d, Source: *source, Note: *note})
		if err != nil {
			return agreementNotFound(err, "provision", id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(p)
		}
		last := p.History[len(p.History)-1]
		_, err = fmt.Fprintf(env.Stdout, "provision %d: %s → %s on %s (now %s)\n", p.ID, last.From, last.To,
			last.On.Format(time.DateOnly), p.Status)
		return err
	}
}

func agreementsLink(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		id, err := idArg(fs, "link", "agreement", 0, 2)
		if err != nil {
			return err
		}
		caseID, err := idArg(fs, "link", "case", 1, 2)
		if err != nil {
			return err
		}
		a, err := svc.Link(ctx, v, id, caseID)
		if err != nil {
			return agreementNotFound(err, "agreement or case", id)
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(a)
		}
		_, err = fmt.Fprintf(env.Stdout, "agreement %d linked to case %d (cases %v)\n", a.ID, caseID, a.Cases)
		return err
	}
}

func agreementsSuggest(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	agreementID := fs.Int64("agreement", 0, "only this agreement")
	caseID := fs.Int64("case", 0, "only this case")
	limit := fs.Int("limit", 50, "at most this many")
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		if fs.NArg() != 0 {
			return usageError{"agreements suggest takes no arguments"}
		}
		ss, err := svc.Suggest(ctx, v, *agreementID, *caseID, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(ss)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AGREEMENT\tSIGNED\tCASE\tCOUNTRIES\tAGREEMENT NAME\tCASE TITLE")
		for _, s := range ss {
			name := s.AgreementName
			if s.Ended {
				name += " (ended)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", s.AgreementID, s.Signed.Format(time.DateOnly), s.CaseID,
				strings.Join(s.Countries, ","), clipText(name, 60), clipText(s.CaseTitle, 40))
		}
		return tw.Flush()
	}
}

func agreementsCheck(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *agreement.Service, casework.Viewer) error {
	asOf := fs.String("as-of", "", "the day to check as of, YYYY-MM-DD (default today)")
	return func(ctx context.Context, svc *agreement.Service, v casework.Viewer) error {
		if fs.NArg() != 0 {
			return usageError{"agreements check takes no arguments"}
		}
		if !v.All {
			return usageError{"agreements check runs as the operator, without --as: it evaluates every agreement"}
		}
		day, err := dayFlag("as-of", *asOf)
		if err != nil {
			return err
		}
		if day.IsZero() {
			day = time.Now().UTC()
		}
		res, err := svc.Check(ctx, day, nil)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(res)
		}
		fmt.Fprintf(env.Stdout, "follow-through as of %s: %d alerts opened, %d updated, %d cleared, %d resolved\n",
			day.Format(time.DateOnly), len(res.Opened), len(res.Updated), len(res.Cleared), len(res.Resolved))
		for _, a := range append(res.Opened, res.Updated...) {
			fmt.Fprintf(env.Stdout, "  alert %d  %s  %s\n", a.ID, a.Severity, a.Title)
		}
		return nil
	}
}
