package fund

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	// ErrInvalid is bad input; a *FieldError names the field.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound is an allocation, or a case the caller may not see,
	// that does not exist for the caller.
	ErrNotFound = errors.New("not found")
	// ErrForbidden is a role that may not do what was asked.
	ErrForbidden = errors.New("forbidden")
	// ErrInsufficient is a write that would take an account below zero
	// (below its authorised overdraft).
	ErrInsufficient = errors.New("insufficient funds")
	// ErrConflict is a change the record's state does not allow, such as
	// approving an allocation twice.
	ErrConflict = errors.New("conflict")
	// ErrKeyReused is an idempotency key already used with another
	// request.
	ErrKeyReused = errors.New("idempotency key reused with a different request")
)

// Kind is what an entry records.
type Kind string

// Entry kinds.
const (
	Contribution Kind = "contribution" // a donor's money received: cash ← donor
	Pledge       Kind = "pledge"       // a donor's promise: pledge:<donor> ← pledged:<donor>, no cash
	Allocation   Kind = "allocation"   // cash committed to a case or deployment
	Disbursement Kind = "disbursement" // money paid out of an allocation
	Return       Kind = "return"       // unspent money back from an allocation to cash
)

// Account names. An account is a name and a currency; its balance is the
// sum of its postings, debits positive.
const (
	// Cash is the fund's money not yet allocated, per currency.
	Cash = "cash"
)

// DonorAccount is the account crediting a donor's contributions.
func DonorAccount(donor string) string { return "donor:" + donor }

// Target is what an allocation pays for: a case or a deployment.
type Target struct {
	Kind string `json:"kind" enum:"case,deployment"`
	ID   int64  `json:"id"`
}

// Account is the account holding the target's allocated, undisbursed
// money.
func (t Target) Account() string { return t.Kind + ":" + strconv.FormatInt(t.ID, 10) }

// SpentAccount is the account of what was disbursed for the target.
func (t Target) SpentAccount() string { return "spent:" + t.Account() }

// guarded reports whether an account's balance may not go below zero
// without an overdraft authorisation: the fund's cash and allocations
// not yet disbursed, which hold real money.
func guarded(account string) bool {
	return account == Cash || strings.HasPrefix(account, "case:") || strings.HasPrefix(account, "deployment:")
}

// Posting is one line of an entry: an amount in minor units on one
// account, debit positive, credit negative.
type Posting struct {
	Account  string `json:"account"`
	Currency string `json:"currency"`
	Minor    int64  `json:"-"`
	// Amount is Minor as a decimal string, for reading.
	Amount string `json:"amount"`
}

// Entry is one journal entry: postings that sum to zero, in one
// currency, with the rate to the reporting currency at the time.
type Entry struct {
	ID       int64  `json:"id"`
	Kind     Kind   `json:"kind"`
	Currency string `json:"currency"`
	// Amount is the money moved (the sum of the debits), in Currency.
	Amount string `json:"amount"`
	Minor  int64  `json:"-"`
	// Rate is units of ReportingCurrency per unit of Currency.
	Rate              string    `json:"rate"`
	ReportingCurrency string    `json:"reporting_currency"`
	ReportingAmount   string    `json:"reporting_amount"`
	ReportingMinor    int64     `json:"-"`
	Donor             string    `json:"donor,omitempty"`
	AllocationID      int64     `json:"allocation_id,omitempty"`
	Memo              string    `json:"memo,omitempty"`
	Actor             string    `json:"actor"`
	At                time.Time `json:"at"`
	Postings          []Posting `json:"postings"`
}

// Status is an allocation's state.
type Status string

// Allocation states.
const (
	Pending  Status = "pending-approval" // above the threshold, waiting for an admin
	Posted   Status = "posted"           // the money is allocated
	Rejected Status = "rejected"         // an admin refused it
)

// Alloc is an allocation: a request to commit fund money to a case or a
// deployment, with its approval and the entry that moved the money.
type Alloc struct {
	ID          int64     `json:"id"`
	Target      Target    `json:"target"`
	Currency    string    `json:"currency"`
	Amount      string    `json:"amount"`
	Minor       int64     `json:"-"`
	Rate        string    `json:"rate"`
	Purpose     string    `json:"purpose"`
	Status      Status    `json:"status"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	EntryID     int64     `json:"entry_id,omitempty"`
}

// Overdraft is an authorisation for a guarded account to go below zero,
// down to -Limit.
type Overdraft struct {
	Account      string    `json:"account"`
	Currency     string    `json:"currency"`
	Limit        string    `json:"limit"`
	LimitMinor   int64     `json:"-"`
	Reason       string    `json:"reason"`
	AuthorisedBy string    `json:"authorised_by"`
	At           time.Time `json:"at"`
}

// Balance is one account's balance in one currency, debits positive.
type Balance struct {
	Account  string `json:"account"`
	Currency string `json:"currency"`
	Minor    int64  `json:"-"`
	Amount   string `json:"amount"`
}

// Idempotency identifies a write for retries: the caller's key, scoped
// to the caller (Actor), and a hash of the request. Key "" is a write
// that is not deduplicated.
type Idempotency struct {
	Actor string
	Key   string
	Hash  string
}

// Tx is a fund write in progress: one database transaction that excludes
// every other fund write until it ends.
type Tx interface {
	// Balance returns an account's balance (0 if it has none).
	Balance(ctx context.Context, account, currency string) (int64, error)
	// OverdraftLimit returns the authorised overdraft of an account (0
	// if none).
	OverdraftLimit(ctx context.Context, account, currency string) (int64, error)
	SetOverdraft(ctx context.Context, o Overdraft) error
	// Post stores an entry with its postings and updates the balances;
	// it returns the entry with its ID.
	Post(ctx context.Context, e Entry) (Entry, error)
	AddAllocation(ctx context.Context, a Alloc) (Alloc, error)
	// Allocation returns one allocation, or ErrNotFound.
	Allocation(ctx context.Context, id int64) (Alloc, error)
	// AllocationUsed returns what was disbursed and returned from an
	// allocation.
	AllocationUsed(ctx context.Context, id int64) (int64, error)
	// DecideAllocation stores a's Status, DecidedBy, DecidedAt and
	// EntryID.
	DecideAllocation(ctx context.Context, a Alloc) error
}

// Store keeps the ledger; *store.DB implements it.
type Store interface {
	// WriteFund runs fn in a Tx. With a key, a key already stored for
	// the actor returns the response stored with it (replayed true) if
	// the hash is the same and ErrKeyReused if not, without running fn;
	// otherwise fn's response is stored with the key in the same
	// transaction, so that money moves exactly when the key is recorded.
	// An error from fn rolls everything back and stores no key.
	WriteFund(ctx context.Context, idem Idempotency, fn func(Tx) ([]byte, error)) (resp []byte, replayed bool, err error)
	// FundBalances returns every balance, by account and currency.
	FundBalances(ctx context.Context) ([]Balance, error)
	// FundPostingSums returns, per account and currency, the sum of all
	// its postings (for checks: it must equal FundBalances).
	FundPostingSums(ctx context.Context) ([]Balance, error)
	// FundJournal returns entries q selects with their postings, newest
	// first.
	FundJournal(ctx context.Context, q JournalQuery) ([]Entry, error)
	// FundAllocations returns allocations, newest first.
	FundAllocations(ctx context.Context, q AllocQuery) ([]Alloc, error)
}

// JournalQuery selects entries.
type JournalQuery struct {
	Account      string // entries with a posting on it; "" all
	Donor        string // entries of this donor; "" all
	AllocationID int64  // entries of this allocation; 0 all
	Limit        int    // 0: no limit
}

// AllocQuery selects allocations.
type AllocQuery struct {
	ID     int64  // this one; 0 all
	Status Status // "" all
	Target *Target
	Limit  int
}

// minorOf reads back an amount the ledger wrote with FormatAmount (a
// stored answer): 0 if it is not one.
func minorOf(amount, currency string) int64 {
	digits, neg := strings.CutPrefix(amount, "-")
	n, err := ParseAmount("amount", digits, currency)
	if err != nil {
		return 0
	}
	if neg {
		return -n
	}
	return n
}

// restore sets the minor units a stored answer (JSON) leaves out.
func (e *Entry) restore() {
	e.Minor = minorOf(e.Amount, e.Currency)
	e.ReportingMinor = minorOf(e.ReportingAmount, e.ReportingCurrency)
	for i := range e.Postings {
		e.Postings[i].Minor = minorOf(e.Postings[i].Amount, e.Postings[i].Currency)
	}
}

func (a *Alloc) restore() { a.Minor = minorOf(a.Amount, a.Currency) }

func (o *Overdraft) restore() { o.LimitMinor = minorOf(o.Limit, o.Currency) }
