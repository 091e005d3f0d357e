package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"threshold/internal/audit"
	"threshold/internal/casework"
	"threshold/internal/fund"
	"threshold/internal/store"
)

const fundHelp = `
usage: threshold fund contribute --donor NAME --amount DEC --currency CUR [--rate DEC] [--pledge] [--memo TEXT]
       threshold fund allocate (--case ID | --deployment ID) --amount DEC --currency CUR [--rate DEC] --purpose TEXT
       threshold fund approve ID
       threshold fund reject ID
       threshold fund disburse --allocation ID --amount DEC --payee NAME [--rate DEC] [--memo TEXT]
       threshold fund return --allocation ID --amount DEC [--rate DEC] [--memo TEXT]
       threshold fund overdraft --account ACCOUNT --currency CUR --limit DEC --reason TEXT
       threshold fund balance [--json]
       threshold fund journal [--account ACCOUNT] [--donor NAME] [--allocation ID] [--limit N] [--json]
       threshold fund allocations [--status S] [--json]
       threshold fund report by-source|by-case|request-to-disbursement [--json]
       threshold fund statement [--format csv|pdf] DONOR
Every subcommand also takes --db DB and --as EMAIL; writes take --key KEY.

The rapid-response fund is a double-entry ledger (go doc
threshold/internal/fund). Amounts are decimal strings with no more
decimals than the currency has ("1250.50" USD, "5000" JPY). A currency
other than the reporting currency (USD) needs --rate: units of USD per
unit of the currency, recorded on the entry.

contribute records money received from a donor (or, with --pledge, a
promise: no cash moves). allocate commits cash to a case or a deployment;
above the approval threshold (USD 50,000.00) it waits for approve by an
admin other than the requester. disburse pays out of an allocation,
return gives its unspent money back. No account holding money goes below
zero unless an admin authorised an overdraft on it (overdraft; audited).

--key makes a write safe to retry: the same key with the same request
prints the first answer again and moves no money; with another request
it is refused. statement writes a donor's statement to standard output
as CSV or, with --format pdf, as a PDF document.

Who you are: with --as EMAIL the command acts as that user (admins and
analysts write, desk officers read; cases follow the need-to-know rule).
Without --as you act as the database's operator. Every write is audited.
`

func runFund(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"fund needs a subcommand: contribute, allocate, approve, reject, disburse, return, overdraft, " +
			"balance, journal, allocations, report or statement"}
	}
	verb, args := args[0], args[1:]
	fs := newFlags("fund "+verb, fundHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email)")
	asJSON := fs.Bool("json", false, "print JSON")
	var key *string
	if !slices.Contains([]string{"balance", "journal", "allocations", "report", "statement"}, verb) {
		key = fs.String("key", "", "idempotency key: a retry with the same key and request moves no money")
	}
	var run func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error)
	switch verb {
	case "contribute":
		var r fund.ContributionRequest
		fs.StringVar(&r.Donor, "donor", "", "the donor's name")
		fs.StringVar(&r.Amount, "amount", "", "amount, a decimal string")
		fs.StringVar(&r.Currency, "currency", "USD", "ISO 4217 currency code")
		fs.StringVar(&r.Rate, "rate", "", "units of the reporting currency per unit of currency")
		fs.BoolVar(&r.Pledge, "pledge", false, "a pledge: promised, not received")
		fs.StringVar(&r.Memo, "memo", "", "a note")
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			e, replayed, err := svc.Contribute(ctx, v, *key, r)
			return replayedNote{e, replayed}, err
		}
	case "allocate":
		var r fund.AllocationRequest
		fs.Int64Var(&r.CaseID, "case", 0, "the case paid for")
		fs.Int64Var(&r.DeploymentID, "deployment", 0, "the deployment paid for")
		fs.StringVar(&r.Amount, "amount", "", "amount, a decimal string")
		fs.StringVar(&r.Currency, "currency", "USD", "ISO 4217 currency code")
		fs.StringVar(&r.Rate, "rate", "", "units of the reporting currency per unit of currency")
		fs.StringVar(&r.Purpose, "purpose", "", "what the money is for")
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			a, replayed, err := svc.Allocate(ctx, v, *key, r)
			return replayedNote{a, replayed}, err
		}
	case "approve", "reject":
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			if fs.NArg() != 1 {
				return nil, usageError{"fund " + verb + " takes an allocation ID"}
			}
			id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
			if err != nil || id < 1 {
				return nil, usageError{fmt.Sprintf("fund %s: %q is not an allocation ID", verb, fs.Arg(0))}
			}
			a, replayed, err := svc.Decide(ctx, v, *key, id, verb == "approve")
			return replayedNote{a, replayed}, err
		}
	case "disburse", "return":
		var r fund.PayoutRequest
		fs.Int64Var(&r.AllocationID, "allocation", 0, "the allocation drawn on")
		fs.StringVar(&r.Amount, "amount", "", "amount, a decimal string, in the allocation's currency")
		fs.StringVar(&r.Rate, "rate", "", "today's rate to the reporting currency (default the allocation's)")
		fs.StringVar(&r.Memo, "memo", "", "a note")
		if verb == "disburse" {
			fs.StringVar(&r.Payee, "payee", "", "who is paid")
		}
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			pay := svc.Disburse
			if verb == "return" {
				pay = svc.ReturnUnspent
			}
			e, replayed, err := pay(ctx, v, *key, r)
			return replayedNote{e, replayed}, err
		}
	case "overdraft":
		var r fund.OverdraftRequest
		fs.StringVar(&r.Account, "account", "cash", "cash, case:ID or deployment:ID")
		fs.StringVar(&r.Currency, "currency", "USD", "ISO 4217 currency code")
		fs.StringVar(&r.Limit, "limit", "", `how far below zero it may go; "0" withdraws the authorisation`)
		fs.StringVar(&r.Reason, "reason", "", "why (audited)")
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			o, replayed, err := svc.AuthoriseOverdraft(ctx, v, *key, r)
			return replayedNote{o, replayed}, err
		}
	case "balance":
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			return svc.Balance(ctx, v)
		}
	case "journal":
		var q fund.JournalQuery
		fs.StringVar(&q.Account, "account", "", "only entries with a posting on this account (cash, case:ID, donor:NAME, ...)")
		fs.StringVar(&q.Donor, "donor", "", "only this donor's contributions and pledges")
		fs.Int64Var(&q.AllocationID, "allocation", 0, "only entries of this allocation")
		fs.IntVar(&q.Limit, "limit", 100, "at most this many entries, newest first")
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			return svc.Journal(ctx, v, q)
		}
	case "allocations":
		status := fs.String("status", "", "pending-approval, posted or rejected")
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			return svc.Allocations(ctx, v, fund.AllocQuery{Status: fund.Status(*status)})
		}
	case "report":
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			switch fs.Arg(0) {
			case "by-source":
				return svc.BySource(ctx, v)
			case "by-case":
				return svc.ByCase(ctx, v)
			case "request-to-disbursement":
				return svc.RequestToDisbursement(ctx, v)
			}
			return nil, usageError{"fund report takes by-source, by-case or request-to-disbursement"}
		}
	case "statement":
		format := fs.String("format", fund.CSV, "csv or pdf")
		run = func(ctx context.Context, svc *fund.Service, v casework.Viewer) (any, error) {
			if fs.NArg() != 1 {
				return nil, usageError{"fund statement takes the donor's name"}
			}
			return nil, svc.Statement(ctx, v, fs.Arg(0), *format, env.Stdout)
		}
	default:
		return usageError{fmt.Sprintf("fund: unknown subcommand %q", verb)}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	return runAsViewer(ctx, *db, *as, env, fundService, func(ctx context.Context, svc *fund.Service, v casework.Viewer) error {
		out, err := run(ctx, svc, v)
		if err != nil {
			return fundError(err)
		}
		if out == nil {
			return nil
		}
		if *asJSON {
			if n, ok := out.(replayedNote); ok {
				out = n.v
			}
			return json.NewEncoder(env.Stdout).Encode(out)
		}
		return printFund(env, out)
	})
}

// replayedNote is a write's answer and whether it was a stored one.
type replayedNote struct {
	v        any
	replayed bool
}

// fundService assembles the fund over st as the CLI uses it: cases are
// checked through casework and deployments through the roster,
// everything is audited.
func fundService(st *store.DB) (*fund.Service, error) {
	cases, err := caseService(st)
	if err != nil {
		return nil, err
	}
	deps, err := rosterService(st)
	if err != nil {
		return nil, err
	}
	return fund.New(fund.Options{Store: st, Cases: cases, Deployments: deps, Audit: audit.New(st, nil)})
}

// fundError says what went wrong in words for the terminal.
func fundError(err error) error {
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return err
	case errors.Is(err, fund.ErrKeyReused):
		return errors.New("--key: already used with a different request; use a new key for a new request")
	case errors.Is(err, fund.ErrNotFound):
		return fmt.Errorf("not found: %w", err)
	}
	return err
}

func printFund(env *Env, out any) error {
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	note := ""
	if n, ok := out.(replayedNote); ok {
		out = n.v
		if n.replayed {
			note = " (a retry: the first answer, no money moved)"
		}
	}
	switch v := out.(type) {
	case fund.Entry:
		fmt.Fprintf(w, "entry %d: %s %s %s (%s %s at %s)%s\n", v.ID, v.Kind, v.Amount, v.Currency, v.ReportingAmount,
			v.ReportingCurrency, v.Rate, note)
		for _, p := range v.Postings {
			fmt.Fprintf(w, "  %s\t%s\t%s\n", p.Account, p.Amount, p.Currency)
		}
	case fund.Alloc:
		fmt.Fprintf(w, "allocation %d: %s %s to %s, %s%s\n", v.ID, v.Amount, v.Currency, v.Target.Account(), v.Status, note)
	case fund.Overdraft:
		fmt.Fprintf(w, "overdraft on %s %s authorised to %s%s\n", v.Account, v.Currency, v.Limit, note)
	case fund.Balances:
		fmt.Fprintln(w, "\tcurrency\tamount")
		for _, row := range []struct {
			name string
			as   []fund.Amount
		}{{"cash", v.Cash}, {"allocated", v.Allocated}, {"disbursed", v.Disbursed}, {"received", v.Received}, {"pledged", v.Pledged}} {
			for _, a := range row.as {
				fmt.Fprintf(w, "%s\t%s\t%s\n", row.name, a.Currency, a.Amount)
			}
		}
	case []fund.Entry:
		fmt.Fprintln(w, "entry\tat\tkind\tamount\tcurrency\trate\tpostings\tmemo")
		for _, e := range v {
			ps := make([]string, len(e.Postings))
			for i, p := range e.Postings {
				ps[i] = p.Account + " " + p.Amount
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.Format("2006-01-02 15:04"), e.Kind, e.Amount, e.Currency,
				e.Rate, strings.Join(ps, "; "), e.Memo)
		}
	case []fund.Alloc:
		fmt.Fprintln(w, "allocation\ttarget\tamount\tcurrency\tstatus\trequested by\tpurpose")
		for _, a := range v {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Target.Account(), a.Amount, a.Currency, a.Status, a.RequestedBy, a.Purpose)
		}
	case []fund.SourceRow:
		fmt.Fprintln(w, "donor\tcurrency\treceived\tpledged")
		for _, r := range v {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Donor, r.Currency, r.Received, r.Pledged)
		}
	case []fund.TargetRow:
		fmt.Fprintln(w, "target\tcurrency\tallocated\tdisbursed\treturned\tbalance\tpending")
		for _, r := range v {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Target.Account(), r.Currency, r.Allocated, r.Disbursed, r.Returned,
				r.Balance, r.Pending)
		}
	case fund.TimingReport:
		fmt.Fprintf(w, "%d allocations disbursed: median %.1f h, 90th percentile %.1f h; %d posted, not yet disbursed\n",
			v.Count, v.MedianHours, v.P90Hours, v.Undisbursed)
		for _, t := range v.Allocations {
			fmt.Fprintf(w, "  allocation %d\t%s\t%.1f h\n", t.AllocationID, t.Target.Account(), t.Hours)
		}
	default:
		return fmt.Errorf("fund: cannot print %T", out)
	}
	return w.Flush()
}
