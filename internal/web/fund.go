package web

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"threshold/internal/auth"
	"threshold/internal/fund"
	"threshold/internal/server"
)

// The fund pages follow the API's fund policies: admins, analysts and
// desk officers read the fund; admins and analysts (fundMovers, in
// case_mobilise.go) record contributions and allocate. What concerns a
// case the reader may not know of (its allocations, its entries, its
// row of the report by case) is left out by package fund.
var fundReaders = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer)

// fundJournalLimit is how many of the newest entries the ledger shows.
const fundJournalLimit = 200

// fundRoutes registers the fund pages.
func (h *handler) fundRoutes(rs *server.Routes) {
	rs.HandleFunc("GET", "/fund", fundReaders, h.handle(h.fundPage))
	rs.HandleFunc("GET", "/fund/statement", fundReaders, h.handle(h.fundStatement))
	rs.HandleFunc("POST", "/fund/contributions", fundMovers, h.handle(h.contribute))
	if h.Cases != nil {
		rs.HandleFunc("POST", "/fund/allocations", fundMovers, h.handle(h.allocateFromFund))
	}
}

type fundView struct {
	Reporting string
	Done      string // what the last form did
	Balances  []balanceRow
	Sources   []fund.SourceRow
	Targets   []targetRow
	Timing    timingView
	Entries   []entryRow
	Allocs    []fundAllocRow
	Capped    bool // more entries than shown
	Donors    []string
	CanWrite  bool
	// Each write form carries its own idempotency key, made for this
	// rendering: a form submitted twice moves money once.
	ContributionKey, AllocationKey string
	Cases                          []option // the cases the viewer's organisation owns, for the allocation form
}

// balanceRow is the fund's position in one currency.
type balanceRow struct {
	Currency                                      string
	Cash, Allocated, Disbursed, Received, Pledged string
}

type targetRow struct {
	fund.TargetRow
	Link, Label string
}

type fundAllocRow struct {
	allocRow
	Target, Link string
}

type timingView struct {
	Count, Undisbursed int
	Median, P90        string
	Rows               []timingRow
}

type timingRow struct {
	Allocation int64
	Target     string
	Link       string
	Requested  string
	Disbursed  string
	Hours      string
}

type entryRow struct {
	ID                           int64
	Date                         string
	Kind                         string
	Currency, Amount             string
	Rate, ReportingAmount        string
	Donor, Memo, Actor, Postings string
	Allocation                   int64
}

// fundDone are the notices of the fund page after a form, by ?done=.
var fundDone = map[string]string{
	"contribution": "The contribution was recorded.",
	"pledge":       "The pledge was recorded.",
	"allocated":    "The allocation was posted: the money is committed to the case.",
	"pending":      "The allocation is above the approval threshold: it waits for an admin's approval and has moved no money yet.",
}

// fundPage shows the fund: balances by currency, by source and by case,
// the time from request to disbursement, the ledger, the donor statement
// download and, for those who move money, the contribution and allocation
// forms.
func (h *handler) fundPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	vw := viewer(r)
	v := fundView{Reporting: h.Fund.Reporting(), Done: fundDone[r.URL.Query().Get("done")], CanWrite: fund.CanWrite(vw)}
	bal, err := h.Fund.Balance(ctx, vw)
	if err != nil {
		return fundError(err)
	}
	v.Balances = balanceRows(bal)
	if v.Sources, err = h.Fund.BySource(ctx, vw); err != nil {
		return fundError(err)
	}
	for _, s := range v.Sources {
		if !slices.Contains(v.Donors, s.Donor) {
			v.Donors = append(v.Donors, s.Donor)
		}
	}
	targets, err := h.Fund.ByCase(ctx, vw)
	if err != nil {
		return fundError(err)
	}
	for _, t := range targets {
		v.Targets = append(v.Targets, targetRow{TargetRow: t, Link: targetLink(t.Target), Label: targetLabel(t.Target)})
	}
	tr, err := h.Fund.RequestToDisbursement(ctx, vw)
	if err != nil {
		return fundError(err)
	}
	v.Timing = timingView{Count: tr.Count, Undisbursed: tr.Undisbursed, Median: hoursText(tr.MedianHours), P90: hoursText(tr.P90Hours)}
	for _, t := range tr.Allocations {
		v.Timing.Rows = append(v.Timing.Rows, timingRow{Allocation: t.AllocationID, Target: targetLabel(t.Target), Link: targetLink(t.Target),
			Requested: formatTime(t.RequestedAt), Disbursed: formatTime(t.DisbursedAt), Hours: hoursText(t.Hours)})
	}
	allocs, err := h.Fund.Allocations(ctx, vw, fund.AllocQuery{Limit: fundJournalLimit})
	if err != nil {
		return fundError(err)
	}
	for _, a := range allocs {
		v.Allocs = append(v.Allocs, fundAllocRow{allocRow: allocRow{ID: a.ID, Anchor: "allocation-" + strconv.FormatInt(a.ID, 10),
			Amount: a.Amount + " " + a.Currency, Purpose: a.Purpose, Status: string(a.Status), RequestedBy: a.RequestedBy,
			RequestedAt: formatTime(a.RequestedAt)}, Target: targetLabel(a.Target), Link: targetLink(a.Target)})
	}
	es, err := h.Fund.Journal(ctx, vw, fund.JournalQuery{Limit: fundJournalLimit + 1})
	if err != nil {
		return fundError(err)
	}
	if len(es) > fundJournalLimit {
		es, v.Capped = es[:fundJournalLimit], true
	}
	for _, e := range es {
		v.Entries = append(v.Entries, newEntryRow(e))
	}
	if v.CanWrite {
		v.ContributionKey, v.AllocationKey = rand.Text(), rand.Text()
		if h.Cases != nil {
			if p := server.PrincipalFrom(ctx); p != nil {
				if v.Cases, err = visibleCases(ctx, h.Cases, vw, p.OrgID); err != nil {
					return err
				}
			}
		}
	}
	h.render(w, r, http.StatusOK, "fund", "Fund", v)
	return nil
}

// balanceRows lays the balances out one currency a row.
func balanceRows(b fund.Balances) []balanceRow {
	byCur := map[string]*balanceRow{}
	var order []string
	put := func(as []fund.Amount, set func(*balanceRow, string)) {
		for _, a := range as {
			row := byCur[a.Currency]
			if row == nil {
				row = &balanceRow{Currency: a.Currency}
				byCur[a.Currency] = row
				order = append(order, a.Currency)
			}
			set(row, a.Amount)
		}
	}
	put(b.Cash, func(r *balanceRow, s string) { r.Cash = s })
	put(b.Allocated, func(r *balanceRow, s string) { r.Allocated = s })
	put(b.Disbursed, func(r *balanceRow, s string) { r.Disbursed = s })
	put(b.Received, func(r *balanceRow, s string) { r.Received = s })
	put(b.Pledged, func(r *balanceRow, s string) { r.Pledged = s })
	slices.Sort(order)
	out := make([]balanceRow, 0, len(order))
	for _, c := range order {
		row := *byCur[c]
		zero := fund.FormatAmount(0, c)
		for _, f := range []*string{&row.Cash, &row.Allocated, &row.Disbursed, &row.Received, &row.Pledged} {
			if *f == "" {
				*f = zero
			}
		}
		out = append(out, row)
	}
	return out
}

func targetLink(t fund.Target) string {
	if t.Kind == "case" {
		return "/cases/" + strconv.FormatInt(t.ID, 10)
	}
	return ""
}

func targetLabel(t fund.Target) string { return t.Kind + " #" + strconv.FormatInt(t.ID, 10) }

// hoursText writes a duration in hours as people read it: "36.5 h".
func hoursText(h float64) string { return strconv.FormatFloat(h, 'f', 1, 64) + " h" }

func newEntryRow(e fund.Entry) entryRow {
	ps := make([]string, 0, len(e.Postings))
	for _, p := range e.Postings {
		amt := p.Amount
		if !strings.HasPrefix(amt, "-") {
			amt = "+" + amt
		}
		ps = append(ps, p.Account+" "+amt)
	}
	return entryRow{ID: e.ID, Date: formatTime(e.At), Kind: string(e.Kind), Currency: e.Currency, Amount: e.Amount, Rate: e.Rate,
		ReportingAmount: e.ReportingAmount + " " + e.ReportingCurrency, Donor: e.Donor, Memo: e.Memo, Actor: e.Actor,
		Postings: strings.Join(ps, "; "), Allocation: e.AllocationID}
}

// formKey is a write form's idempotency key, which the page made.
func formKey(r *http.Request) (string, error) {
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" || len(key) > 200 {
		return "", badRequest("The form has no valid idempotency key: open the fund page again and resubmit.")
	}
	return key, nil
}

// fundRefusal shows what the user must resolve (too little cash, a form
// resent with other values) as a page, and passes other errors on.
func (h *handler) fundRefusal(w http.ResponseWriter, r *http.Request, err error, what string) error {
	switch {
	case errors.Is(err, fund.ErrInsufficient):
		h.errorPage(w, r, http.StatusConflict, "The fund's cash does not cover "+what+": nothing was moved.")
		return nil
	case errors.Is(err, fund.ErrKeyReused):
		h.errorPage(w, r, http.StatusUnprocessableEntity, "This form was already submitted with other values. Open the fund page again for a new form.")
		return nil
	}
	return fundError(err)
}

// contribute records a contribution or pledge. The form's hidden
// idempotency key makes a repeated submission record it once.
func (h *handler) contribute(w http.ResponseWriter, r *http.Request) error {
	key, err := formKey(r)
	if err != nil {
		return err
	}
	req := fund.ContributionRequest{Donor: strings.TrimSpace(r.PostFormValue("donor")), Amount: strings.TrimSpace(r.PostFormValue("amount")),
		Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))), Rate: strings.TrimSpace(r.PostFormValue("rate")),
		Pledge: r.PostFormValue("pledge") != "", Memo: strings.TrimSpace(r.PostFormValue("memo"))}
	e, _, err := h.Fund.Contribute(r.Context(), viewer(r), key, req)
	if err != nil {
		return h.fundRefusal(w, r, err, "it")
	}
	done := "contribution"
	if req.Pledge {
		done = "pledge"
	}
	http.Redirect(w, r, "/fund?done="+done+"#entry-"+strconv.FormatInt(e.ID, 10), http.StatusSeeOther)
	return nil
}

// allocateFromFund allocates fund money to a case from the fund page,
// under the case page's rules: only the case's owner organisation
// allocates to it, a case one may not know of is a 404, and the form's
// idempotency key makes a repeated submission allocate once.
func (h *handler) allocateFromFund(w http.ResponseWriter, r *http.Request) error {
	key, err := formKey(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("case")), 10, 64)
	if err != nil || id <= 0 {
		return badRequest("Case: %q is not a case number.", r.PostFormValue("case"))
	}
	if _, err := h.ownedCase(r, id); err != nil {
		return err
	}
	req := fund.AllocationRequest{CaseID: id, Amount: strings.TrimSpace(r.PostFormValue("amount")),
		Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))), Rate: strings.TrimSpace(r.PostFormValue("rate")),
		Purpose: strings.TrimSpace(r.PostFormValue("purpose"))}
	a, _, err := h.Fund.Allocate(r.Context(), viewer(r), key, req)
	if err != nil {
		return h.fundRefusal(w, r, err, fmt.Sprintf("%s %s", req.Amount, req.Currency))
	}
	done := "allocated"
	if a.Status == fund.Pending {
		done = "pending"
	}
	http.Redirect(w, r, "/fund?done="+done+"#allocation-"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
	return nil
}

// fundStatement downloads a donor's statement as CSV or PDF.
func (h *handler) fundStatement(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	donor := strings.TrimSpace(q.Get("donor"))
	if donor == "" {
		return badRequest("Donor: choose a donor.")
	}
	format := q.Get("format")
	if format == "" {
		format = fund.CSV
	}
	var buf bytes.Buffer
	if err := h.Fund.Statement(r.Context(), viewer(r), donor, format, &buf); err != nil {
		return fundError(err)
	}
	ctype := "text/csv; charset=utf-8"
	if format == fund.PDF {
		ctype = "application/pdf"
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "statement-" + donor + "." + format}))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := w.Write(buf.Bytes())
	return err
}
