package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/fund"
)

// Fund is the rapid-response fund as the API serves it. *fund.Service
// implements it. Writes take an idempotency key ("" none) and report
// whether they replayed a stored answer.
type Fund interface {
	Reporting() string
	Contribute(ctx context.Context, v casework.Viewer, key string, r fund.ContributionRequest) (fund.Entry, bool, error)
	Allocate(ctx context.Context, v casework.Viewer, key string, r fund.AllocationRequest) (fund.Alloc, bool, error)
	Decide(ctx context.Context, v casework.Viewer, key string, id int64, approve bool) (fund.Alloc, bool, error)
	Disburse(ctx context.Context, v casework.Viewer, key string, r fund.PayoutRequest) (fund.Entry, bool, error)
	ReturnUnspent(ctx context.Context, v casework.Viewer, key string, r fund.PayoutRequest) (fund.Entry, bool, error)
	AuthoriseOverdraft(ctx context.Context, v casework.Viewer, key string, r fund.OverdraftRequest) (fund.Overdraft, bool, error)
	Balance(ctx context.Context, v casework.Viewer) (fund.Balances, error)
	Journal(ctx context.Context, v casework.Viewer, q fund.JournalQuery) ([]fund.Entry, error)
	Allocations(ctx context.Context, v casework.Viewer, q fund.AllocQuery) ([]fund.Alloc, error)
	BySource(ctx context.Context, v casework.Viewer) ([]fund.SourceRow, error)
	ByCase(ctx context.Context, v casework.Viewer) ([]fund.TargetRow, error)
	RequestToDisbursement(ctx context.Context, v casework.Viewer) (fund.TimingReport, error)
	Statement(ctx context.Context, v casework.Viewer, donor, format string, w io.Writer) error
}

// Admins and analysts move money, desk officers read the fund; partner
// viewers and mediation experts have no access. Admins approve
// allocations and authorise overdrafts.
var (
	fundReaders   = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer)
	fundWriters   = auth.AllowWrite(auth.Admin, auth.Analyst)
	fundApprovers = auth.AllowWrite(auth.Admin)
)

const idempotencyDoc = " Send an Idempotency-Key header (any unique string up to 200 characters, per caller): a retry " +
	"with the same key and body answers as the first request did and moves no money (Idempotent-Replayed: true); " +
	"the same key with another body is a 422. Refused requests store no key."

func (a *API) registerFund() {
	body := limits{maxBody: 16 << 10}
	post := func(id, path, summary, desc string, status int) huma.Operation {
		return huma.Operation{OperationID: id, Method: http.MethodPost, Path: Prefix + "/fund" + path, Summary: summary,
			Description: desc + idempotencyDoc, Tags: []string{"fund"}, DefaultStatus: status,
			Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}}
	}
	handle(a, post("create-fund-contribution", "/contributions", "Record a contribution or pledge",
		"Records money received from a donor (cash ← donor) or, with pledge, a promise (no cash moves). "+
			"amount is a decimal string; rate is required unless currency is the reporting currency.", http.StatusCreated),
		fundWriters, body, a.createContribution)
	handle(a, post("create-fund-allocation", "/allocations", "Allocate money to a case or deployment",
		"Commits fund cash to a case (case_id) or a deployment (deployment_id). Answers 201 with the allocation: "+
			"posted (the money moved), or pending-approval when it is worth more than the approval threshold, until an "+
			"admin approves it. 409 when the cash does not cover it. A case the caller may not see is a 404.", http.StatusCreated),
		fundWriters, body, a.createAllocation)
	handle(a, post("approve-fund-allocation", "/allocations/{id}/approve", "Approve a pending allocation",
		"Moves the money of an allocation pending approval, if the cash covers it now (409 if not). Admins only, "+
			"and not on their own requests.", http.StatusOK), fundApprovers, body, a.approveAllocation)
	handle(a, post("reject-fund-allocation", "/allocations/{id}/reject", "Reject a pending allocation",
		"Refuses an allocation pending approval; no money moves. Admins only.", http.StatusOK), fundApprovers, body, a.rejectAllocation)
	handle(a, post("create-fund-disbursement", "/disbursements", "Pay out of an allocation",
		"Pays payee from an allocation (case:ID → spent:case:ID). 409 when what is left of the allocation does not "+
			"cover it.", http.StatusCreated), fundWriters, body, a.createDisbursement)
	handle(a, post("create-fund-return", "/returns", "Return unspent money to the fund",
		"Gives unspent money of an allocation back to the fund's cash. 409 when more than is left.", http.StatusCreated),
		fundWriters, body, a.createReturn)
	handle(a, post("create-fund-overdraft", "/overdrafts", "Authorise an overdraft",
		"Lets cash, case:ID or deployment:ID go below zero down to -limit (\"0\" withdraws it); audited. Admins only.", http.StatusCreated),
		fundApprovers, body, a.createOverdraft)

	handle(a, huma.Operation{OperationID: "get-fund-balance", Method: http.MethodGet, Path: Prefix + "/fund/balance",
		Summary: "The fund's balances",
		Description: "Per currency, as decimal strings: cash (not yet allocated), allocated (not yet disbursed), " +
			"disbursed, received from donors and pledged.",
		Tags: []string{"fund"}}, fundReaders, limits{}, a.fundBalance)
	handle(a, huma.Operation{OperationID: "list-fund-journal", Method: http.MethodGet, Path: Prefix + "/fund/journal",
		Summary:     "The fund's journal",
		Description: "Journal entries with their postings (debits positive), newest first.",
		Tags:        []string{"fund"}}, fundReaders, limits{}, a.fundJournal)
	handle(a, huma.Operation{OperationID: "list-fund-allocations", Method: http.MethodGet, Path: Prefix + "/fund/allocations",
		Summary:     "List allocations",
		Description: "Allocations, newest first, of the cases the caller may see and of deployments.",
		Tags:        []string{"fund"}}, fundReaders, limits{}, a.fundAllocations)
	handle(a, huma.Operation{OperationID: "get-fund-report-by-source", Method: http.MethodGet, Path: Prefix + "/fund/reports/by-source",
		Summary:     "Balance by source",
		Description: "What each donor contributed and pledged, per currency. The fund is pooled: allocations are not traced to donors.",
		Tags:        []string{"fund"}}, fundReaders, limits{}, a.fundBySource)
	handle(a, huma.Operation{OperationID: "get-fund-report-by-case", Method: http.MethodGet, Path: Prefix + "/fund/reports/by-case",
		Summary:     "Balance by case",
		Description: "Per case (that the caller may see) and deployment: allocated, disbursed, returned, open balance and pending.",
		Tags:        []string{"fund"}}, fundReaders, limits{}, a.fundByCase)
	handle(a, huma.Operation{OperationID: "get-fund-report-request-to-disbursement", Method: http.MethodGet,
		Path: Prefix + "/fund/reports/request-to-disbursement", Summary: "Time from request to disbursement",
		Description: "Per allocation, from its request to its first disbursement, with the median and 90th percentile (nearest rank).",
		Tags:        []string{"fund"}}, fundReaders, limits{}, a.fundTiming)
	handle(a, huma.Operation{OperationID: "get-fund-donor-statement", Method: http.MethodGet,
		Path: Prefix + "/fund/statements/{donor}", Summary: "A donor's statement (CSV or PDF)",
		Description: "Every contribution and pledge of the donor, oldest first, valued in the reporting currency, " +
			"with totals, as CSV (format=csv, the default) or as a PDF document (format=pdf).",
		Tags: []string{"fund"}}, fundReaders, limits{}, a.fundStatement)
	if op := a.huma.OpenAPI().Paths[Prefix+"/fund/statements/{donor}"].Get; op != nil && op.Responses["200"] != nil {
		op.Responses["200"].Content = map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string"}},
			"application/pdf": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}
		delete(op.Responses["200"].Headers, "Content-Type")
	}
}

// fundProblem turns fund's errors into responses: bad input a 422 naming
// the field, too little money a 409.
func fundProblem(err error) error {
	var (
		se huma.StatusError
		fe *fund.FieldError
	)
	switch {
	case errors.As(err, &se):
		return err
	case errors.As(err, &fe):
		loc := "body." + fe.Field
		if fe.Field == "Idempotency-Key" {
			loc = "header.Idempotency-Key"
		}
		return invalid(loc, fe.Msg, fe.Value)
	case errors.Is(err, fund.ErrKeyReused):
		return invalid("header.Idempotency-Key", "already used with a different request; use a new key for a new request", nil)
	case errors.Is(err, fund.ErrInsufficient):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, fund.ErrConflict):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, fund.ErrNotFound):
		return huma.Error404NotFound("not found")
	case errors.Is(err, fund.ErrForbidden):
		return huma.Error403Forbidden(err.Error())
	case errors.Is(err, fund.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return err
}

// Every write's input has Key, its Idempotency-Key header (huma reads
// parameters only from exported fields, so each input declares it):
//
//	Key string `header:"Idempotency-Key" maxLength:"200"`

// replayed is the Idempotent-Replayed header each write's output
// declares: "true" when the answer is the one stored for an earlier
// request with the same key.
func replayed(r bool) string {
	if r {
		return "true"
	}
	return ""
}

type contributionInput struct {
	remoteInput
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"Makes retries safe: see the operation's description."`
	Body fund.ContributionRequest
}

type entryOutput struct {
	Replayed string `header:"Idempotent-Replayed" doc:"true when this is the stored answer to an earlier request with the same key."`
	Body     fund.Entry
}

func (a *API) createContribution(ctx context.Context, in *contributionInput) (*entryOutput, error) {
	e, r, err := a.deps.Fund.Contribute(ctx, in.viewer(ctx), in.Key, in.Body)
	if err != nil {
		return nil, fundProblem(err)
	}
	return &entryOutput{replayed(r), e}, nil
}

type allocationInput struct {
	remoteInput
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"Makes retries safe: see the operation's description."`
	Body fund.AllocationRequest
}

type allocOutput struct {
	Replayed string `header:"Idempotent-Replayed" doc:"true when this is the stored answer to an earlier request with the same key."`
	Body     fund.Alloc
}

func (a *API) createAllocation(ctx context.Context, in *allocationInput) (*allocOutput, error) {
	al, r, err := a.deps.Fund.Allocate(ctx, in.viewer(ctx), in.Key, in.Body)
	if err != nil {
		return nil, fundProblem(err)
	}
	return &allocOutput{replayed(r), al}, nil
}

type decideInput struct {
	remoteInput
	Key string `header:"Idempotency-Key" maxLength:"200" doc:"Makes retries safe: see the operation's description."`
	ID  int64  `path:"id" minimum:"1" doc:"The allocation's ID."`
}

func (a *API) decide(ctx context.Context, in *decideInput, approve bool) (*allocOutput, error) {
	al, r, err := a.deps.Fund.Decide(ctx, in.viewer(ctx), in.Key, in.ID, approve)
	if err != nil {
		return nil, fundProblem(err)
	}
	return &allocOutput{replayed(r), al}, nil
}

func (a *API) approveAllocation(ctx context.Context, in *decideInput) (*allocOutput, error) {
	return a.decide(ctx, in, true)
}

func (a *API) rejectAllocation(ctx context.Context, in *decideInput) (*allocOutput, error) {
	return a.decide(ctx, in, false)
}

type payoutInput struct {
	remoteInput
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"Makes retries safe: see the operation's description."`
	Body fund.PayoutRequest
}

func (a *API) createDisbursement(ctx context.Context, in *payoutInput) (*entryOutput, error) {
	e, r, err := a.deps.Fund.Disburse(ctx, in.viewer(ctx), in.Key, in.Body)
	if err != nil {
		return nil, fundProblem(err)
	}
	return &entryOutput{replayed(r), e}, nil
}

func (a *API) createReturn(ctx context.Context, in *payoutInput) (*entryOutput, error) {
	e, r, err := a.deps.Fund.ReturnUnspent(ctx, in.viewer(ctx), in.Key, in.Body)
	if err != nil {
		return nil, fundProblem(err)
	}
	return &entryOutput{replayed(r), e}, nil
}

type overdraftInput struct {
	remoteInput
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"Makes retries safe: see the operation's description."`
	Body fund.OverdraftRequest
}

type overdraftOutput struct {
	Replayed string `header:"Idempotent-Replayed" doc:"true when this is the stored answer to an earlier request with the same key."`
	Body     fund.Overdraft
}

func (a *API) createOverdraft(ctx context.Context, in *overdraftInput) (*overdraftOutput, error) {
	o, r, err := a.deps.Fund.AuthoriseOverdraft(ctx, in.viewer(ctx), in.Key, in.Body)
	if err != nil {
		return nil, fundProblem(err)
	}
	return &overdraftOutput{replayed(r), o}, nil
}

type balanceOutput struct {
	Body fund.Balances
}

func (a *API) fundBalance(ctx context.Context, in *remoteInput) (*balanceOutput, error) {
	b, err := a.deps.Fund.Balance(ctx, in.viewer(ctx))
	if err != nil {
		return nil, fundProblem(err)
	}
	return &balanceOutput{b}, nil
}

type journalInput struct {
	remoteInput
	Account      string `query:"account" maxLength:"300" doc:"Only entries with a posting on this account, e.g. cash or case:12."`
	Donor        string `query:"donor" maxLength:"200" doc:"Only this donor's contributions and pledges."`
	AllocationID int64  `query:"allocation_id" minimum:"0" doc:"Only entries of this allocation."`
	Limit        int    `query:"limit" minimum:"1" maximum:"10000" default:"500"`
}

type journalOutput struct {
	Body struct {
		Items []fund.Entry `json:"items"`
	}
}

func (a *API) fundJournal(ctx context.Context, in *journalInput) (*journalOutput, error) {
	es, err := a.deps.Fund.Journal(ctx, in.viewer(ctx), fund.JournalQuery{Account: in.Account, Donor: in.Donor,
		AllocationID: in.AllocationID, Limit: in.Limit})
	if err != nil {
		return nil, fundProblem(err)
	}
	out := &journalOutput{}
	out.Body.Items = append([]fund.Entry{}, es...)
	return out, nil
}

type allocationsInput struct {
	remoteInput
	Status string `query:"status" enum:"pending-approval,posted,rejected" doc:"Only allocations in this state."`
	Limit  int    `query:"limit" minimum:"1" maximum:"10000" default:"500"`
}

type allocationsOutput struct {
	Body struct {
		Items []fund.Alloc `json:"items"`
	}
}

func (a *API) fundAllocations(ctx context.Context, in *allocationsInput) (*allocationsOutput, error) {
	as, err := a.deps.Fund.Allocations(ctx, in.viewer(ctx), fund.AllocQuery{Status: fund.Status(in.Status), Limit: in.Limit})
	if err != nil {
		return nil, fundProblem(err)
	}
	out := &allocationsOutput{}
	out.Body.Items = append([]fund.Alloc{}, as...)
	return out, nil
}

type bySourceOutput struct {
	Body struct {
		Items []fund.SourceRow `json:"items"`
	}
}

func (a *API) fundBySource(ctx context.Context, in *remoteInput) (*bySourceOutput, error) {
	rows, err := a.deps.Fund.BySource(ctx, in.viewer(ctx))
	if err != nil {
		return nil, fundProblem(err)
	}
	out := &bySourceOutput{}
	out.Body.Items = append([]fund.SourceRow{}, rows...)
	return out, nil
}

type byCaseOutput struct {
	Body struct {
		Items []fund.TargetRow `json:"items"`
	}
}

func (a *API) fundByCase(ctx context.Context, in *remoteInput) (*byCaseOutput, error) {
	rows, err := a.deps.Fund.ByCase(ctx, in.viewer(ctx))
	if err != nil {
		return nil, fundProblem(err)
	}
	out := &byCaseOutput{}
	out.Body.Items = append([]fund.TargetRow{}, rows...)
	return out, nil
}

type timingOutput struct {
	Body fund.TimingReport
}

func (a *API) fundTiming(ctx context.Context, in *remoteInput) (*timingOutput, error) {
	r, err := a.deps.Fund.RequestToDisbursement(ctx, in.viewer(ctx))
	if err != nil {
		return nil, fundProblem(err)
	}
	return &timingOutput{r}, nil
}

type statementInput struct {
	remoteInput
	Donor  string `path:"donor" maxLength:"200" doc:"The donor's name (URL-encoded)."`
	Format string `query:"format" enum:"csv,pdf" default:"csv" doc:"csv or pdf."`
}

func (a *API) fundStatement(ctx context.Context, in *statementInput) (*exportOutput, error) {
	var buf bytes.Buffer
	format := cmp.Or(in.Format, fund.CSV)
	if err := a.deps.Fund.Statement(ctx, in.viewer(ctx), in.Donor, format, &buf); err != nil {
		return nil, fundProblem(err)
	}
	ctype := "text/csv; charset=utf-8"
	if format == fund.PDF {
		ctype = "application/pdf"
	}
	return &exportOutput{ContentType: ctype,
		ContentDisposition: `attachment; filename="statement-` + url.PathEscape(in.Donor) + `.` + format + `"`, Body: buf.Bytes()}, nil
}
