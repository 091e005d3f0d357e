package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"threshold/internal/fund"
)

var _ fund.Store = (*DB)(nil)

// fundLockID is the PostgreSQL advisory lock that serialises fund
// writes across connections and servers.
const fundLockID = 0x7468722d66756e64 // "thr-fund"

// fundErr makes ErrNotFound also match fund's sentinel.
func fundErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return bothErr{err, fund.ErrNotFound}
	}
	return err
}

// WriteFund runs fn in one write transaction that excludes every other
// fund write: on SQLite, the one write connection and BEGIN IMMEDIATE;
// on PostgreSQL, an advisory transaction lock taken first. Balances read
// inside fn therefore cannot change before fn's postings commit, and an
// idempotency key is checked and stored under the same lock, so two
// requests with one key, even at the same moment, move money once.
func (db *DB) WriteFund(ctx context.Context, idem fund.Idempotency, fn func(fund.Tx) ([]byte, error)) ([]byte, bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	if db.d.xactLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.rebind(db.d.xactLock), int64(fundLockID)); err != nil {
			return nil, false, fmt.Errorf("lock fund: %w", err)
		}
	}
	if idem.Key != "" {
		var hash, resp string
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT request_hash, response FROM fund_idempotency
			WHERE actor = ? AND key = ?`), idem.Actor, idem.Key).Scan(&hash, &resp)
		switch {
		case err == nil && hash == idem.Hash:
			return []byte(resp), true, nil
		case err == nil:
			return nil, false, fund.ErrKeyReused
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, fmt.Errorf("read idempotency key: %w", err)
		}
	}
	resp, err := fn(&fundTx{db: db, tx: tx})
	if err != nil {
		return nil, false, err
	}
	if idem.Key != "" {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO fund_idempotency (actor, key, request_hash, response, created_at)
			VALUES (?, ?, ?, ?, ?)`), idem.Actor, idem.Key, idem.Hash, string(resp), db.instantArg(time.Now())); err != nil {
			return nil, false, fmt.Errorf("store idempotency key: %w", db.mapErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	return resp, false, nil
}

// fundTx is a fund write in progress.
type fundTx struct {
	db *DB
	tx *sql.Tx
}

func (t *fundTx) scalar(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, t.db.d.rebind(query), args...).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

func (t *fundTx) Balance(ctx context.Context, account, currency string) (int64, error) {
	return t.scalar(ctx, `SELECT balance_minor FROM fund_balances WHERE account = ? AND currency = ?`, account, currency)
}

func (t *fundTx) OverdraftLimit(ctx context.Context, account, currency string) (int64, error) {
	return t.scalar(ctx, `SELECT limit_minor FROM fund_overdrafts WHERE account = ? AND currency = ?`, account, currency)
}

func (t *fundTx) SetOverdraft(ctx context.Context, o fund.Overdraft) error {
	_, err := t.tx.ExecContext(ctx, t.db.d.rebind(`INSERT INTO fund_overdrafts
		(account, currency, limit_minor, reason, authorised_by, authorised_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, currency) DO UPDATE SET limit_minor = excluded.limit_minor, reason = excluded.reason,
		authorised_by = excluded.authorised_by, authorised_at = excluded.authorised_at`),
		o.Account, o.Currency, o.LimitMinor, o.Reason, o.AuthorisedBy, t.db.instantArg(o.At))
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (t *fundTx) Post(ctx context.Context, e fund.Entry) (fund.Entry, error) {
	err := t.tx.QueryRowContext(ctx, t.db.d.rebind(`INSERT INTO fund_entries (kind, currency, amount_minor, rate,
		reporting_currency, reporting_minor, donor, allocation_id, memo, actor, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		string(e.Kind), e.Currency, e.Minor, e.Rate, e.ReportingCurrency, e.ReportingMinor, e.Donor, nullID(e.AllocationID),
		e.Memo, e.Actor, t.db.instantArg(e.At)).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("post entry: %w", t.db.mapErr(err))
	}
	for i, p := range e.Postings {
		if _, err := t.tx.ExecContext(ctx, t.db.d.rebind(`INSERT INTO fund_postings (entry_id, line, account, currency, amount_minor)
			VALUES (?, ?, ?, ?, ?)`), e.ID, i+1, p.Account, p.Currency, p.Minor); err != nil {
			return e, fmt.Errorf("post entry %d: %w", e.ID, t.db.mapErr(err))
		}
		if _, err := t.tx.ExecContext(ctx, t.db.d.rebind(`INSERT INTO fund_balances (account, currency, balance_minor)
			VALUES (?, ?, ?) ON CONFLICT (account, currency)
			DO UPDATE SET balance_minor = fund_balances.balance_minor + excluded.balance_minor`),
			p.Account, p.Currency, p.Minor); err != nil {
			return e, fmt.Errorf("post entry %d: balance: %w", e.ID, t.db.mapErr(err))
		}
	}
	return e, nil
}

func (t *fundTx) AddAllocation(ctx context.Context, a fund.Alloc) (fund.Alloc, error) {
	err := t.tx.QueryRowContext(ctx, t.db.d.rebind(`INSERT INTO fund_allocations (target_kind, target_id, currency,
		amount_minor, rate, purpose, status, requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.Target.Kind, a.Target.ID, a.Currency, a.Minor, a.Rate, a.Purpose, string(a.Status), a.RequestedBy,
		t.db.instantArg(a.RequestedAt)).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("add allocation: %w", t.db.mapErr(err))
	}
	return a, nil
}

func (t *fundTx) Allocation(ctx context.Context, id int64) (fund.Alloc, error) {
	a, err := scanAlloc(t.tx.QueryRowContext(ctx, t.db.d.rebind(`SELECT `+allocColumns+` FROM fund_allocations WHERE id = ?`), id))
	if err != nil {
		return a, fundErr(t.db.mapErr(err))
	}
	return a, nil
}

func (t *fundTx) AllocationUsed(ctx context.Context, id int64) (int64, error) {
	return t.scalar(ctx, `SELECT COALESCE(SUM(amount_minor), 0) FROM fund_entries
		WHERE allocation_id = ? AND kind IN ('disbursement', 'return')`, id)
}

func (t *fundTx) DecideAllocation(ctx context.Context, a fund.Alloc) error {
	res, err := t.tx.ExecContext(ctx, t.db.d.rebind(`UPDATE fund_allocations SET status = ?, decided_by = ?, decided_at = ?,
		entry_id = ? WHERE id = ?`), string(a.Status), a.DecidedBy, t.db.nullInstantArg(a.DecidedAt), nullID(a.EntryID), a.ID)
	if err != nil {
		return fmt.Errorf("decide allocation %d: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return fundErr(ErrNotFound)
	}
	return nil
}

const allocColumns = `id, target_kind, target_id, currency, amount_minor, rate, purpose, status, requested_by, requested_at,
	decided_by, decided_at, entry_id`

func scanAlloc(sc scanner) (fund.Alloc, error) {
	var (
		a        fund.Alloc
		st       string
		req, dec any
		entry    sql.NullInt64
	)
	if err := sc.Scan(&a.ID, &a.Target.Kind, &a.Target.ID, &a.Currency, &a.Minor, &a.Rate, &a.Purpose, &st,
		&a.RequestedBy, &req, &a.DecidedBy, &dec, &entry); err != nil {
		return a, err
	}
	a.Status, a.EntryID = fund.Status(st), entry.Int64
	a.Amount = fund.FormatAmount(a.Minor, a.Currency)
	var err error
	if a.RequestedAt, err = scanTime(req); err != nil {
		return a, fmt.Errorf("allocation %d: %w", a.ID, err)
	}
	if a.DecidedAt, err = scanTime(dec); err != nil {
		return a, fmt.Errorf("allocation %d: %w", a.ID, err)
	}
	return a, nil
}

func (db *DB) fundSums(ctx context.Context, query string) ([]fund.Balance, error) {
	var out []fund.Balance
	err := db.each(ctx, db.read, query, nil, func(rows *sql.Rows) error {
		var b fund.Balance
		if err := rows.Scan(&b.Account, &b.Currency, &b.Minor); err != nil {
			return err
		}
		b.Amount = fund.FormatAmount(b.Minor, b.Currency)
		out = append(out, b)
		return nil
	})
	return out, err
}

// FundBalances returns every account's balance per currency.
func (db *DB) FundBalances(ctx context.Context) ([]fund.Balance, error) {
	return db.fundSums(ctx, `SELECT account, currency, balance_minor FROM fund_balances ORDER BY account, currency`)
}

// FundPostingSums returns the sum of every account's postings per
// currency, computed from the postings themselves.
func (db *DB) FundPostingSums(ctx context.Context) ([]fund.Balance, error) {
	return db.fundSums(ctx, `SELECT account, currency, SUM(amount_minor) FROM fund_postings
		GROUP BY account, currency ORDER BY account, currency`)
}

// FundJournal returns the entries q selects with their postings, newest
// first.
func (db *DB) FundJournal(ctx context.Context, q fund.JournalQuery) ([]fund.Entry, error) {
	var (
		where []string
		args  []any
	)
	if q.Account != "" {
		where = append(where, `EXISTS (SELECT 1 FROM fund_postings p WHERE p.entry_id = e.id AND p.account = ?)`)
		args = append(args, q.Account)
	}
	if q.Donor != "" {
		where = append(where, `e.donor = ?`)
		args = append(args, q.Donor)
	}
	if q.AllocationID != 0 {
		where = append(where, `e.allocation_id = ?`)
		args = append(args, q.AllocationID)
	}
	query := `SELECT e.id, e.kind, e.currency, e.amount_minor, e.rate, e.reporting_currency, e.reporting_minor, e.donor,
		e.allocation_id, e.memo, e.actor, e.at FROM fund_entries e`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY e.id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	var out []fund.Entry
	idx := map[int64]int{}
	err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		var (
			e     fund.Entry
			kind  string
			alloc sql.NullInt64
			at    any
		)
		if err := rows.Scan(&e.ID, &kind, &e.Currency, &e.Minor, &e.Rate, &e.ReportingCurrency, &e.ReportingMinor,
			&e.Donor, &alloc, &e.Memo, &e.Actor, &at); err != nil {
			return err
		}
		e.Kind, e.AllocationID = fund.Kind(kind), alloc.Int64
		e.Amount = fund.FormatAmount(e.Minor, e.Currency)
		e.ReportingAmount = fund.FormatAmount(e.ReportingMinor, e.ReportingCurrency)
		var err error
		if e.At, err = scanTime(at); err != nil {
			return fmt.Errorf("fund entry %d: %w", e.ID, err)
		}
		e.Postings = []fund.Posting{}
		idx[e.ID] = len(out)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fund journal: %w", err)
	}
	for start := 0; start < len(out); start += 500 {
		chunk := out[start:min(start+500, len(out))]
		ids := make([]any, len(chunk))
		for i, e := range chunk {
			ids[i] = e.ID
		}
		in := `IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `)`
		err := db.each(ctx, db.read, `SELECT entry_id, account, currency, amount_minor FROM fund_postings
			WHERE entry_id `+in+` ORDER BY entry_id, line`, ids, func(rows *sql.Rows) error {
			var (
				id int64
				p  fund.Posting
			)
			if err := rows.Scan(&id, &p.Account, &p.Currency, &p.Minor); err != nil {
				return err
			}
			p.Amount = fund.FormatAmount(p.Minor, p.Currency)
			e := &out[idx[id]]
			e.Postings = append(e.Postings, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fund postings: %w", err)
		}
	}
	return out, nil
}

// FundAllocations returns the allocations q selects, newest first.
func (db *DB) FundAllocations(ctx context.Context, q fund.AllocQuery) ([]fund.Alloc, error) {
	var (
		where []string
		args  []any
	)
	if q.ID != 0 {
		where = append(where, `id = ?`)
		args = append(args, q.ID)
	}
	if q.Status != "" {
		where = append(where, `status = ?`)
		args = append(args, string(q.Status))
	}
	if q.Target != nil {
		where = append(where, `target_kind = ? AND target_id = ?`)
		args = append(args, q.Target.Kind, q.Target.ID)
	}
	query := `SELECT ` + allocColumns + ` FROM fund_allocations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	var out []fund.Alloc
	err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		a, err := scanAlloc(rows)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fund allocations: %w", err)
	}
	return out, nil
}
