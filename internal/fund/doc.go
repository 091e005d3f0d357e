// Package fund is the rapid-response fund: a double-entry ledger that
// pays for preventive diplomacy (envoys, mediation support, missions)
// from flexible money without delay and without error.
//
// # The ledger
//
// Money is recorded as journal entries. Each Entry is in one currency
// and holds postings on accounts, debits positive and credits negative,
// that sum to zero; each also records the exchange rate to the
// reporting currency (USD by default) at the time and its value in it.
// Amounts are exact: integers in the currency's minor units (cents; the
// ISO 4217 exponent: none for JPY or XOF, three for KWD), parsed from
// decimal strings by ParseAmount and written back by FormatAmount; rates
// are decimal strings, converted with exact rationals and rounded half
// to even. Floats never hold money.
//
// The accounts:
//
//	cash                 the fund's money not yet allocated, per currency
//	donor:NAME           contributions received from a donor (credit)
//	pledge:NAME          a donor's pledges (debit) against
//	pledged:NAME         the same pledges (credit): memorandum, no cash
//	case:ID              allocated to a case, not yet disbursed
//	deployment:ID        allocated to a deployment (roster), not yet disbursed
//	spent:case:ID        disbursed for a case
//	spent:deployment:ID  disbursed for a deployment
//
// The entries: a contribution debits cash and credits the donor; an
// allocation moves cash to a case or deployment; a disbursement moves an
// allocation to spent (paid to a payee); a return moves unspent
// allocated money back to cash. Entries and postings are append-only
// (database triggers refuse changes); corrections are new entries.
//
// # Never below zero, never twice
//
// Cash and allocation accounts hold real money, so a write that would
// take one below zero is refused (ErrInsufficient; a 409 in the API)
// unless an admin has authorised an overdraft on that account, which is
// audited. The check runs inside the write's transaction, which excludes
// every other fund write (the Store's WriteFund: SQLite's single writer,
// a PostgreSQL advisory lock), so balances cannot change between the
// check and the posting.
//
// Every write takes an optional idempotency key, scoped to the caller. A
// retry with the same key and the same request returns the first answer
// and moves no money; the same key with another request is ErrKeyReused
// (a 422). The key, a SHA-256 of the request and the answer are stored in
// the same transaction as the postings: money moves exactly when the key
// is recorded. A refused request (insufficient funds, bad input) stores
// nothing, so a retry after the cause is fixed may succeed.
//
// # Approval
//
// An allocation worth more than Options.ApprovalAbove in the reporting
// currency (default USD 50,000.00) is recorded as pending approval and
// moves no money until an admin other than its requester approves it;
// the cash must cover it both when requested and when approved.
//
// # Who may do what
//
// Admins and analysts move money; desk officers read the fund; other
// roles (partner viewers, mediation experts) see nothing. Admins approve
// allocations and authorise overdrafts. Allocations to a case follow the
// case's need-to-know rule (package casework): a case the caller may not
// see cannot be allocated to, and its allocations, journal entries
// (with their purposes and payees) and report rows are absent from what
// the caller reads; deployments are checked through the roster likewise.
// The fund is one per installation: its totals (balance, by source) are
// read by the readers of every organisation. Every write is audited
// ("fund.*"), with the entry or allocation by id and never a purpose.
//
// # Reports
//
// Balance (per currency: cash, allocated, disbursed, received, pledged),
// BySource (per donor), ByCase (per case and deployment: allocated,
// disbursed, returned, open balance, pending), RequestToDisbursement
// (time from an allocation's request to its first disbursement: median
// and 90th percentile) and DonorStatement, a donor's contributions and
// pledges with totals per currency and in the reporting currency, which
// Statement writes as CSV or as a PDF document (go-pdf/fpdf, core fonts,
// dated by the statement so that the same statement makes the same bytes).
package fund
