package fund

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
)

// Cases finds the case an allocation is for, as the caller may see it.
// *casework.Service implements it.
type Cases interface {
	Get(ctx context.Context, v casework.Viewer, id int64) (casework.Case, error)
}

// Deployments finds the roster deployment an allocation is for, as the
// caller may see it. *roster.Service implements it.
type Deployments interface {
	GetDeployment(ctx context.Context, v casework.Viewer, id int64) (roster.Deployment, error)
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Options configure a Service. Store is required.
type Options struct {
	Store Store
	// Cases checks that a case allocated to exists and that the caller
	// may see it; nil checks nothing (tests only).
	Cases Cases
	// Deployments checks that a deployment allocated to exists and that
	// the caller may see it; nil checks nothing.
	Deployments Deployments
	Audit       Recorder // nil records nothing (tests only)
	// Reporting is the currency every entry is also valued in (default
	// USD).
	Reporting string
	// ApprovalAbove is the allocation value, in minor units of the
	// reporting currency, above which an admin must approve before money
	// moves (default 5,000,000: USD 50,000.00). Negative: every
	// allocation needs approval.
	ApprovalAbove int64
	Now           func() time.Time
	Log           *slog.Logger
}

// DefaultApprovalAbove is USD 50,000.00 in cents.
const DefaultApprovalAbove = 5_000_000

// Service is the fund: it checks requests and the caller's role, moves
// money through the ledger, audits, and reports. It is safe for
// concurrent use; the store serialises writes.
type Service struct {
	st        Store
	cases     Cases
	deps      Deployments
	audit     Recorder
	reporting string
	above     int64
	now       func() time.Time
	log       *slog.Logger
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("fund: no store")
	}
	s := &Service{st: o.Store, cases: o.Cases, deps: o.Deployments, audit: o.Audit, reporting: o.Reporting, above: o.ApprovalAbove,
		now: o.Now, log: o.Log}
	if s.reporting == "" {
		s.reporting = "USD"
	}
	if err := CheckCurrency("reporting currency", s.reporting); err != nil {
		return nil, fmt.Errorf("fund: %w", err)
	}
	if s.above == 0 {
		s.above = DefaultApprovalAbove
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Reporting returns the reporting currency.
func (s *Service) Reporting() string { return s.reporting }

// CanRead reports whether v may read the fund: admins, analysts and
// desk officers.
func CanRead(v casework.Viewer) bool {
	return v.All || slices.Contains([]auth.Role{auth.Admin, auth.Analyst, auth.DeskOfficer}, v.Role)
}

// CanWrite reports whether v may move money: admins and analysts.
func CanWrite(v casework.Viewer) bool {
	return v.All || v.Role == auth.Admin || v.Role == auth.Analyst
}

// canApprove reports whether v may approve allocations and authorise
// overdrafts: admins.
func canApprove(v casework.Viewer) bool { return v.All || v.Role == auth.Admin }

func (s *Service) record(ctx context.Context, v casework.Viewer, action, object string, details any) {
	if s.audit == nil {
		return
	}
	err := s.audit.Record(context.WithoutCancel(ctx), audit.Entry{ActorID: v.UserID, Actor: v.Name(), Action: action,
		Object: object, Remote: v.Remote, Details: details})
	if err != nil {
		// The money has moved and committed; the audit failure is logged
		// loudly rather than reported as a failed payment, which a
		// client would retry.
		s.log.ErrorContext(ctx, "fund: audit failed", "action", action, "object", object, "err", err)
	}
}

// rate parses the rate of an entry in currency: 1 for the reporting
// currency (a rate given must then be 1), required otherwise.
func (s *Service) rate(given, currency string) (string, *big.Rat, error) {
	if currency == s.reporting {
		if given != "" {
			if c, r, err := ParseRate("rate", given); err != nil {
				return "", nil, err
			} else if r.Cmp(big.NewRat(1, 1)) != 0 {
				return "", nil, &FieldError{"rate", given, "must be 1 (or absent) for the reporting currency " + s.reporting + ", not " + c}
			}
		}
		return "1", big.NewRat(1, 1), nil
	}
	if given == "" {
		return "", nil, &FieldError{"rate", "", fmt.Sprintf("required for %s: units of %s per 1 %s", currency, s.reporting, currency)}
	}
	return ParseRate("rate", given)
}

// write runs fn as one idempotent fund write. op and req (the request as
// parsed) make the request's hash.
func write[T any](ctx context.Context, s *Service, v casework.Viewer, key, op string, req any, fn func(Tx) (T, error)) (T, bool, error) {
	var zero T
	if len(key) > 200 {
		return zero, false, &FieldError{"Idempotency-Key", key[:20] + "…", "at most 200 characters"}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return zero, false, err
	}
	sum := sha256.Sum256(append([]byte(op+"\n"), body...))
	idem := Idempotency{Actor: v.Name(), Key: key, Hash: hex.EncodeToString(sum[:])}
	resp, replayed, err := s.st.WriteFund(ctx, idem, func(tx Tx) ([]byte, error) {
		out, err := fn(tx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	})
	if err != nil {
		return zero, false, err
	}
	var out T
	if err := json.Unmarshal(resp, &out); err != nil {
		return zero, false, fmt.Errorf("fund: stored response: %w", err)
	}
	if r, ok := any(&out).(interface{ restore() }); ok {
		r.restore()
	}
	return out, replayed, nil
}

// post checks that the entry leaves no guarded account below zero (below
// its overdraft) and posts it. Called inside a Tx, after the lock, so the
// balances read cannot change before the entry commits.
func (s *Service) post(ctx context.Context, tx Tx, e Entry, rate *big.Rat) (Entry, error) {
	var sum, debits int64
	for i, p := range e.Postings {
		sum += p.Minor
		if p.Minor > 0 {
			debits += p.Minor
		}
		e.Postings[i].Currency = e.Currency
		e.Postings[i].Amount = FormatAmount(p.Minor, e.Currency)
		if p.Minor >= 0 || !guarded(p.Account) {
			continue
		}
		bal, err := tx.Balance(ctx, p.Account, e.Currency)
		if err != nil {
			return Entry{}, err
		}
		limit, err := tx.OverdraftLimit(ctx, p.Account, e.Currency)
		if err != nil {
			return Entry{}, err
		}
		if bal+p.Minor < -limit {
			msg := fmt.Sprintf("%s %s holds %s, which does not cover %s", p.Account, e.Currency,
				FormatAmount(bal, e.Currency), FormatAmount(-p.Minor, e.Currency))
			if limit > 0 {
				msg += fmt.Sprintf(" (overdraft authorised to %s)", FormatAmount(limit, e.Currency))
			}
			return Entry{}, fmt.Errorf("%w: %s", ErrInsufficient, msg)
		}
	}
	if sum != 0 {
		return Entry{}, fmt.Errorf("fund: unbalanced entry (%d)", sum) // a bug, never input
	}
	e.Minor, e.Amount = debits, FormatAmount(debits, e.Currency)
	e.ReportingCurrency = s.reporting
	e.ReportingMinor = Convert(debits, e.Currency, rate, s.reporting)
	e.ReportingAmount = FormatAmount(e.ReportingMinor, s.reporting)
	return tx.Post(ctx, e)
}

// ContributionRequest is money received from, or pledged by, a donor.
type ContributionRequest struct {
	Donor    string `json:"donor" maxLength:"200" doc:"The donor's name, as on its statements."`
	Amount   string `json:"amount" maxLength:"40" doc:"A decimal string such as \"1250.50\", with no more decimals than the currency has; never a JSON number."`
	Currency string `json:"currency" maxLength:"3" doc:"ISO 4217 code, e.g. USD, EUR, JPY."`
	Rate     string `json:"rate,omitempty" maxLength:"30" doc:"Units of the reporting currency per 1 unit of currency, a decimal string; required unless currency is the reporting currency."`
	Pledge   bool   `json:"pledge,omitempty" doc:"A pledge (promised, not received): no cash moves."`
	Memo     string `json:"memo,omitempty" maxLength:"1000"`
}

func checkText(field, s string, required bool, max int) error {
	s2 := strings.TrimSpace(s)
	switch {
	case required && s2 == "":
		return &FieldError{field, s, "required"}
	case len(s) > max:
		return &FieldError{field, s[:40] + "…", fmt.Sprintf("at most %d bytes", max)}
	case strings.ContainsAny(s, "\x00\r\n"):
		return &FieldError{field, s, "may not hold control characters"}
	}
	return nil
}

// Contribute records a donor's contribution (cash ← donor) or, with
// Pledge, a pledge (pledge:<donor> ← pledged:<donor>; no cash moves).
func (s *Service) Contribute(ctx context.Context, v casework.Viewer, key string, r ContributionRequest) (Entry, bool, error) {
	if !CanWrite(v) {
		return Entry{}, false, fmt.Errorf("%w: role %s may not record contributions", ErrForbidden, v.Role)
	}
	r.Donor = strings.TrimSpace(r.Donor)
	if err := checkText("donor", r.Donor, true, 200); err != nil {
		return Entry{}, false, err
	}
	if err := checkText("memo", r.Memo, false, 1000); err != nil {
		return Entry{}, false, err
	}
	if err := CheckCurrency("currency", r.Currency); err != nil {
		return Entry{}, false, err
	}
	minor, err := ParseAmount("amount", r.Amount, r.Currency)
	if err != nil {
		return Entry{}, false, err
	}
	rateS, rate, err := s.rate(r.Rate, r.Currency)
	if err != nil {
		return Entry{}, false, err
	}
	req := struct {
		ContributionRequest
		Minor int64
	}{r, minor}
	req.Amount, req.Rate = "", rateS
	kind, debit, credit := Contribution, Cash, DonorAccount(r.Donor)
	if r.Pledge {
		kind, debit, credit = Pledge, "pledge:"+r.Donor, "pledged:"+r.Donor
	}
	e, replayed, err := write(ctx, s, v, key, "contribution", req, func(tx Tx) (Entry, error) {
		return s.post(ctx, tx, Entry{Kind: kind, Currency: r.Currency, Rate: rateS, Donor: r.Donor, Memo: r.Memo,
			Actor: v.Name(), At: s.clock(),
			Postings: []Posting{{Account: debit, Minor: minor}, {Account: credit, Minor: -minor}}}, rate)
	})
	if err == nil && !replayed {
		s.record(ctx, v, "fund."+string(kind), "fund-entry:"+strconv.FormatInt(e.ID, 10),
			map[string]any{"donor": r.Donor, "amount": e.Amount, "currency": e.Currency})
	}
	return e, replayed, err
}

// AllocationRequest commits money to a case or a deployment (exactly
// one of CaseID and DeploymentID).
type AllocationRequest struct {
	CaseID       int64  `json:"case_id,omitempty" doc:"The case paid for (casework); or deployment_id."`
	DeploymentID int64  `json:"deployment_id,omitempty" doc:"The roster deployment paid for; or case_id."`
	Amount       string `json:"amount" maxLength:"40" doc:"A decimal string such as \"1250.50\"; never a JSON number."`
	Currency     string `json:"currency" maxLength:"3" doc:"ISO 4217 code."`
	Rate         string `json:"rate,omitempty" maxLength:"30" doc:"Units of the reporting currency per 1 unit of currency; required unless currency is the reporting currency."`
	Purpose      string `json:"purpose" maxLength:"1000"`
}

// Allocate requests an allocation. At or below the approval threshold it
// is posted at once (cash → the target's account); above it, it waits
// for an admin's approval and no money moves. Either way the cash must
// cover it now: ErrInsufficient otherwise.
func (s *Service) Allocate(ctx context.Context, v casework.Viewer, key string, r AllocationRequest) (Alloc, bool, error) {
	if !CanWrite(v) {
		return Alloc{}, false, fmt.Errorf("%w: role %s may not allocate", ErrForbidden, v.Role)
	}
	var t Target
	switch {
	case r.CaseID > 0 && r.DeploymentID == 0:
		t = Target{"case", r.CaseID}
	case r.DeploymentID > 0 && r.CaseID == 0:
		t = Target{"deployment", r.DeploymentID}
	default:
		return Alloc{}, false, &FieldError{"case_id", strconv.FormatInt(r.CaseID, 10), "give exactly one of case_id and deployment_id, a positive id"}
	}
	if err := checkText("purpose", r.Purpose, true, 1000); err != nil {
		return Alloc{}, false, err
	}
	if err := CheckCurrency("currency", r.Currency); err != nil {
		return Alloc{}, false, err
	}
	minor, err := ParseAmount("amount", r.Amount, r.Currency)
	if err != nil {
		return Alloc{}, false, err
	}
	rateS, rate, err := s.rate(r.Rate, r.Currency)
	if err != nil {
		return Alloc{}, false, err
	}
	if t.Kind == "case" && s.cases != nil {
		if _, err := s.cases.Get(ctx, v, t.ID); errors.Is(err, casework.ErrNotFound) {
			return Alloc{}, false, fmt.Errorf("%w: case %d", ErrNotFound, t.ID)
		} else if err != nil {
			return Alloc{}, false, err
		}
	}
	if t.Kind == "deployment" && s.deps != nil {
		if _, err := s.deps.GetDeployment(ctx, v, t.ID); errors.Is(err, roster.ErrNotFound) {
			return Alloc{}, false, fmt.Errorf("%w: deployment %d", ErrNotFound, t.ID)
		} else if err != nil {
			return Alloc{}, false, err
		}
	}
	value := Convert(minor, r.Currency, rate, s.reporting)
	needsApproval := s.above < 0 || value > s.above
	req := struct {
		AllocationRequest
		Minor int64
	}{r, minor}
	req.Amount, req.Rate = "", rateS
	a, replayed, err := write(ctx, s, v, key, "allocation", req, func(tx Tx) (Alloc, error) {
		a := Alloc{Target: t, Currency: r.Currency, Minor: minor, Amount: FormatAmount(minor, r.Currency), Rate: rateS,
			Purpose: r.Purpose, Status: Pending, RequestedBy: v.Name(), RequestedAt: s.clock()}
		if needsApproval {
			// Refuse now what the cash cannot cover; the approval checks
			// again, since the cash may have moved meanwhile.
			bal, err := tx.Balance(ctx, Cash, r.Currency)
			if err != nil {
				return Alloc{}, err
			}
			limit, err := tx.OverdraftLimit(ctx, Cash, r.Currency)
			if err != nil {
				return Alloc{}, err
			}
			if bal-minor < -limit {
				return Alloc{}, fmt.Errorf("%w: cash %s holds %s, which does not cover %s", ErrInsufficient, r.Currency,
					FormatAmount(bal, r.Currency), a.Amount)
			}
			return tx.AddAllocation(ctx, a)
		}
		a, err := tx.AddAllocation(ctx, a)
		if err != nil {
			return Alloc{}, err
		}
		return s.postAllocation(ctx, tx, a, rate, v.Name())
	})
	if err == nil && !replayed {
		s.record(ctx, v, "fund.allocation", "fund-allocation:"+strconv.FormatInt(a.ID, 10),
			map[string]any{"target": t.Account(), "amount": a.Amount, "currency": a.Currency, "status": a.Status})
	}
	return a, replayed, err
}

// postAllocation moves an allocation's money and marks it posted.
func (s *Service) postAllocation(ctx context.Context, tx Tx, a Alloc, rate *big.Rat, by string) (Alloc, error) {
	e, err := s.post(ctx, tx, Entry{Kind: Allocation, Currency: a.Currency, Rate: a.Rate, AllocationID: a.ID,
		Memo: a.Purpose, Actor: by, At: s.clock(),
		Postings: []Posting{{Account: a.Target.Account(), Minor: a.Minor}, {Account: Cash, Minor: -a.Minor}}}, rate)
	if err != nil {
		return Alloc{}, err
	}
	a.Status, a.EntryID, a.DecidedBy, a.DecidedAt = Posted, e.ID, by, e.At
	return a, tx.DecideAllocation(ctx, a)
}

// Decide approves (posting it, if the cash covers it) or rejects a
// pending allocation. Only admins decide, and not on their own requests.
func (s *Service) Decide(ctx context.Context, v casework.Viewer, key string, id int64, approve bool) (Alloc, bool, error) {
	if !canApprove(v) {
		return Alloc{}, false, fmt.Errorf("%w: only admins approve allocations", ErrForbidden)
	}
	if err := s.checkAllocation(ctx, v, id); err != nil {
		return Alloc{}, false, err
	}
	req := struct {
		ID      int64
		Approve bool
	}{id, approve}
	a, replayed, err := write(ctx, s, v, key, "decide", req, func(tx Tx) (Alloc, error) {
		a, err := tx.Allocation(ctx, id)
		if err != nil {
			return Alloc{}, err
		}
		if a.Status != Pending {
			return Alloc{}, fmt.Errorf("%w: allocation %d is %s, not pending approval", ErrConflict, id, a.Status)
		}
		if !v.All && strings.EqualFold(a.RequestedBy, v.Name()) {
			return Alloc{}, fmt.Errorf("%w: an allocation is approved by someone other than who requested it", ErrForbidden)
		}
		if !approve {
			a.Status, a.DecidedBy, a.DecidedAt = Rejected, v.Name(), s.clock()
			return a, tx.DecideAllocation(ctx, a)
		}
		_, rate, err := ParseRate("rate", a.Rate)
		if err != nil {
			return Alloc{}, err
		}
		return s.postAllocation(ctx, tx, a, rate, v.Name())
	})
	if err == nil && !replayed {
		s.record(ctx, v, "fund.allocation."+map[bool]string{true: "approve", false: "reject"}[approve],
			"fund-allocation:"+strconv.FormatInt(a.ID, 10), map[string]any{"amount": a.Amount, "currency": a.Currency})
	}
	return a, replayed, err
}

// checkAllocation returns ErrNotFound unless allocation id exists and is
// for a case or deployment the viewer may see. It runs before the write
// transaction: reading a case may append to the audit log, which needs
// the database's writer.
func (s *Service) checkAllocation(ctx context.Context, v casework.Viewer, id int64) error {
	as, err := s.st.FundAllocations(ctx, AllocQuery{ID: id})
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return fmt.Errorf("%w: allocation %d", ErrNotFound, id)
	}
	if v.All {
		return nil
	}
	t := as[0].Target
	switch {
	case t.Kind == "case" && s.cases != nil:
		ok, err := s.seesCase(ctx, v, t.ID, map[int64]bool{})
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: allocation %d", ErrNotFound, id)
		}
	case t.Kind == "deployment" && s.deps != nil:
		if _, err := s.deps.GetDeployment(ctx, v, t.ID); errors.Is(err, roster.ErrNotFound) {
			return fmt.Errorf("%w: allocation %d", ErrNotFound, id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// PayoutRequest draws on a posted allocation: a disbursement pays Payee,
// a return gives unspent money back to the fund's cash.
type PayoutRequest struct {
	AllocationID int64  `json:"allocation_id" doc:"The allocation drawn on; its currency is the payment's."`
	Amount       string `json:"amount" maxLength:"40" doc:"A decimal string such as \"1250.50\"; never a JSON number."`
	Rate         string `json:"rate,omitempty" maxLength:"30" doc:"Today's rate to the reporting currency; default the allocation's."`
	Payee        string `json:"payee,omitempty" maxLength:"300" doc:"Who is paid (required for a disbursement)."`
	Memo         string `json:"memo,omitempty" maxLength:"1000"`
}

// Disburse pays out of an allocation (target → spent:target); what is
// left of the allocation (not yet disbursed or returned), and the
// target's allocated balance, must cover it.
func (s *Service) Disburse(ctx context.Context, v casework.Viewer, key string, r PayoutRequest) (Entry, bool, error) {
	if err := checkText("payee", r.Payee, true, 300); err != nil {
		return Entry{}, false, err
	}
	return s.payout(ctx, v, key, Disbursement, r)
}

// ReturnUnspent gives unspent allocated money back to the fund's cash
// (target → cash).
func (s *Service) ReturnUnspent(ctx context.Context, v casework.Viewer, key string, r PayoutRequest) (Entry, bool, error) {
	return s.payout(ctx, v, key, Return, r)
}

func (s *Service) payout(ctx context.Context, v casework.Viewer, key string, kind Kind, r PayoutRequest) (Entry, bool, error) {
	if !CanWrite(v) {
		return Entry{}, false, fmt.Errorf("%w: role %s may not move money", ErrForbidden, v.Role)
	}
	if r.AllocationID <= 0 {
		return Entry{}, false, &FieldError{"allocation_id", strconv.FormatInt(r.AllocationID, 10), "required, a positive id"}
	}
	if err := checkText("memo", r.Memo, false, 1000); err != nil {
		return Entry{}, false, err
	}
	if err := s.checkAllocation(ctx, v, r.AllocationID); errors.Is(err, ErrNotFound) {
		return Entry{}, false, &FieldError{"allocation_id", strconv.FormatInt(r.AllocationID, 10), "no such allocation"}
	} else if err != nil {
		return Entry{}, false, err
	}
	e, replayed, err := write(ctx, s, v, key, string(kind), r, func(tx Tx) (Entry, error) {
		a, err := tx.Allocation(ctx, r.AllocationID)
		if errors.Is(err, ErrNotFound) {
			return Entry{}, &FieldError{"allocation_id", strconv.FormatInt(r.AllocationID, 10), "no such allocation"}
		} else if err != nil {
			return Entry{}, err
		}
		if a.Status != Posted {
			return Entry{}, fmt.Errorf("%w: allocation %d is %s: no money was allocated", ErrConflict, a.ID, a.Status)
		}
		minor, err := ParseAmount("amount", r.Amount, a.Currency)
		if err != nil {
			return Entry{}, err
		}
		used, err := tx.AllocationUsed(ctx, a.ID)
		if err != nil {
			return Entry{}, err
		}
		if left := a.Minor - used; minor > left {
			return Entry{}, fmt.Errorf("%w: allocation %d has %s %s left, which does not cover %s", ErrInsufficient, a.ID,
				FormatAmount(left, a.Currency), a.Currency, FormatAmount(minor, a.Currency))
		}
		given := r.Rate
		if given == "" {
			given = a.Rate
		}
		rateS, rate, err := s.rate(given, a.Currency)
		if err != nil {
			return Entry{}, err
		}
		credit, debit := a.Target.Account(), a.Target.SpentAccount()
		memo := r.Memo
		if kind == Return {
			debit = Cash
		} else if memo == "" {
			memo = "to " + r.Payee
		} else {
			memo = "to " + r.Payee + ": " + memo
		}
		return s.post(ctx, tx, Entry{Kind: kind, Currency: a.Currency, Rate: rateS, AllocationID: a.ID, Memo: memo,
			Actor: v.Name(), At: s.clock(),
			Postings: []Posting{{Account: debit, Minor: minor}, {Account: credit, Minor: -minor}}}, rate)
	})
	if err == nil && !replayed {
		s.record(ctx, v, "fund."+string(kind), "fund-entry:"+strconv.FormatInt(e.ID, 10),
			map[string]any{"allocation": r.AllocationID, "amount": e.Amount, "currency": e.Currency})
	}
	return e, replayed, err
}

// OverdraftRequest authorises a guarded account (cash, case:ID,
// deployment:ID) to go below zero down to -Limit; Limit "0" withdraws
// the authorisation.
type OverdraftRequest struct {
	Account  string `json:"account" maxLength:"100" doc:"cash, case:ID or deployment:ID."`
	Currency string `json:"currency" maxLength:"3"`
	Limit    string `json:"limit" maxLength:"40" doc:"How far below zero the account may go, a decimal string; \"0\" withdraws the authorisation."`
	Reason   string `json:"reason" maxLength:"1000"`
}

// AuthoriseOverdraft sets an overdraft; admins only, always audited.
func (s *Service) AuthoriseOverdraft(ctx context.Context, v casework.Viewer, key string, r OverdraftRequest) (Overdraft, bool, error) {
	if !canApprove(v) {
		return Overdraft{}, false, fmt.Errorf("%w: only admins authorise overdrafts", ErrForbidden)
	}
	if !guarded(r.Account) {
		return Overdraft{}, false, &FieldError{"account", r.Account, "an overdraft is for cash, case:ID or deployment:ID"}
	}
	if err := checkText("reason", r.Reason, true, 1000); err != nil {
		return Overdraft{}, false, err
	}
	if err := CheckCurrency("currency", r.Currency); err != nil {
		return Overdraft{}, false, err
	}
	var minor int64
	if r.Limit != "0" {
		var err error
		if minor, err = ParseAmount("limit", r.Limit, r.Currency); err != nil {
			return Overdraft{}, false, err
		}
	}
	o, replayed, err := write(ctx, s, v, key, "overdraft", r, func(tx Tx) (Overdraft, error) {
		o := Overdraft{Account: r.Account, Currency: r.Currency, LimitMinor: minor, Limit: FormatAmount(minor, r.Currency),
			Reason: r.Reason, AuthorisedBy: v.Name(), At: s.clock()}
		return o, tx.SetOverdraft(ctx, o)
	})
	if err == nil && !replayed {
		s.record(ctx, v, "fund.overdraft", "fund-account:"+r.Account+"/"+r.Currency,
			map[string]any{"limit": o.Limit, "reason": r.Reason})
	}
	return o, replayed, err
}

// clock is now in UTC to the microsecond, the precision both databases
// keep, so that an answer and a later read of it agree.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }
