package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/casework"
)

var _ agreement.Store = (*DB)(nil)

// agreementRestricted is true for an agreement a linked to a case that is
// not public.
const agreementRestricted = `EXISTS (SELECT 1 FROM agreement_cases acr JOIN cases cr ON cr.id = acr.case_id
	WHERE acr.agreement_id = a.id AND cr.confidentiality <> 'public')`

// agreementAccess is the access rule of package agreement as one SQL
// condition over agreements a: not restricted, or linked to a case the
// viewer sees (caseAccess).
func agreementAccess(v casework.Viewer) (string, []any) {
	if v.All {
		return "1 = 1", nil
	}
	cond, args := caseAccess(v)
	return `(NOT ` + agreementRestricted + ` OR EXISTS (SELECT 1 FROM agreement_cases ac JOIN cases c ON c.id = ac.case_id
		WHERE ac.agreement_id = a.id AND ` + cond + `))`, args
}

// agreementErr makes ErrNotFound also match agreement.ErrNotFound.
func agreementErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return bothErr{err, agreement.ErrNotFound}
	}
	return err
}

const agreementColumns = `a.id, a.source, a.source_id, a.name, a.kind, a.parties, a.third_parties, a.signed, a.conflict_name,
	a.ended, a.ended_on, a.url, a.notes, a.created_by, a.created_at, a.updated_at, ` + agreementRestricted + `,
	(SELECT COUNT(*) FROM agreement_provisions pc WHERE pc.agreement_id = a.id)`

func scanAgreement(sc scanner) (agreement.Agreement, error) {
	var (
		a                              agreement.Agreement
		kind, parties                  string
		signed, endedOn, cr, up, ended any
		restricted                     any
	)
	if err := sc.Scan(&a.ID, &a.Source, &a.SourceID, &a.Name, &kind, &parties, &a.ThirdParties, &signed, &a.Conflict,
		&ended, &endedOn, &a.URL, &a.Notes, &a.CreatedBy, &cr, &up, &restricted, &a.ProvisionCount); err != nil {
		return a, err
	}
	a.Kind, a.Ended, a.Restricted = agreement.Kind(kind), scanBool(ended), scanBool(restricted)
	var err error
	if err = json.Unmarshal([]byte(parties), &a.Parties); err != nil {
		return a, fmt.Errorf("agreement %d parties: %w", a.ID, err)
	}
	if a.Signed, err = scanDate(signed); err != nil {
		return a, fmt.Errorf("agreement %d: %w", a.ID, err)
	}
	if a.EndedOn, err = scanNullDate(endedOn); err != nil {
		return a, fmt.Errorf("agreement %d: %w", a.ID, err)
	}
	if a.CreatedAt, err = scanTime(cr); err != nil {
		return a, fmt.Errorf("agreement %d: %w", a.ID, err)
	}
	if a.UpdatedAt, err = scanTime(up); err != nil {
		return a, fmt.Errorf("agreement %d: %w", a.ID, err)
	}
	return a, nil
}

// scanNullDate is scanDate with NULL as the zero time.
func scanNullDate(v any) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	return scanDate(v)
}

func nullDateArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dateArg(t)
}

// inList is "IN (?, ?, ...)" for n values.
func inList(n int) string {
	return `IN (` + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `)`
}

// fillAgreements reads the agreements' countries, conflicts, the linked
// cases v sees and, with provisions, their provisions and histories.
func (db *DB) fillAgreements(ctx context.Context, q querier, v casework.Viewer, as []agreement.Agreement, provisions bool) error {
	idx := make(map[int64]*agreement.Agreement, len(as))
	for i := range as {
		a := &as[i]
		a.Countries, a.Cases = []string{}, []int64{}
		if provisions {
			a.Provisions = []agreement.Provision{}
		}
		idx[a.ID] = a
	}
	for start := 0; start < len(as); start += 500 {
		chunk := as[start:min(start+500, len(as))]
		in := inList(len(chunk))
		ids := make([]any, 0, len(chunk))
		for _, a := range chunk {
			ids = append(ids, a.ID)
		}
		if err := db.each(ctx, q, `SELECT agreement_id, country FROM agreement_countries WHERE agreement_id `+in+
			` ORDER BY agreement_id, country`, ids, func(rows *sql.Rows) error {
			var (
				id int64
				c  string
			)
			err := rows.Scan(&id, &c)
			idx[id].Countries = append(idx[id].Countries, c)
			return err
		}); err != nil {
			return fmt.Errorf("agreement countries: %w", err)
		}
		if err := db.each(ctx, q, `SELECT agreement_id, conflict_id FROM agreement_conflicts WHERE agreement_id `+in+
			` ORDER BY agreement_id, conflict_id`, ids, func(rows *sql.Rows) error {
			var id, c int64
			err := rows.Scan(&id, &c)
			idx[id].ConflictIDs = append(idx[id].ConflictIDs, c)
			return err
		}); err != nil {
			return fmt.Errorf("agreement conflicts: %w", err)
		}
		access, args := caseAccess(v)
		if err := db.each(ctx, q, `SELECT ac.agreement_id, ac.case_id FROM agreement_cases ac JOIN cases c ON c.id = ac.case_id
			WHERE ac.agreement_id `+in+` AND `+access+` ORDER BY ac.agreement_id, ac.case_id`, append(slices.Clone(ids), args...),
			func(rows *sql.Rows) error {
				var id, c int64
				err := rows.Scan(&id, &c)
				idx[id].Cases = append(idx[id].Cases, c)
				return err
			}); err != nil {
			return fmt.Errorf("agreement cases: %w", err)
		}
		if !provisions {
			continue
		}
		pidx := map[int64]*agreement.Provision{}
		var order []int64
		if err := db.each(ctx, q, `SELECT id, agreement_id, category, text, responsible, deadline, status, status_on, created_at
			FROM agreement_provisions WHERE agreement_id `+in+` ORDER BY agreement_id, id`, ids, func(rows *sql.Rows) error {
			p, err := scanProvision(rows)
			if err != nil {
				return err
			}
			p.History = []agreement.StatusChange{}
			a := idx[p.AgreementID]
			a.Provisions = append(a.Provisions, p)
			order = append(order, p.ID)
			return nil
		}); err != nil {
			return fmt.Errorf("agreement provisions: %w", err)
		}
		for _, a := range chunk {
			a := idx[a.ID]
			for i := range a.Provisions {
				pidx[a.Provisions[i].ID] = &a.Provisions[i]
			}
		}
		if err := db.provisionHistories(ctx, q, order, pidx); err != nil {
			return err
		}
	}
	return nil
}

func scanProvision(sc scanner) (agreement.Provision, error) {
	var (
		p                     agreement.Provision
		st                    string
		deadline, on, created any
	)
	if err := sc.Scan(&p.ID, &p.AgreementID, &p.Category, &p.Text, &p.Responsible, &deadline, &st, &on, &created); err != nil {
		return p, err
	}
	p.Status = agreement.Status(st)
	var err error
	if p.Deadline, err = scanNullDate(deadline); err != nil {
		return p, fmt.Errorf("provision %d: %w", p.ID, err)
	}
	if p.StatusOn, err = scanDate(on); err != nil {
		return p, fmt.Errorf("provision %d: %w", p.ID, err)
	}
	if p.CreatedAt, err = scanTime(created); err != nil {
		return p, fmt.Errorf("provision %d: %w", p.ID, err)
	}
	return p, nil
}

// provisionHistories fills the histories of the provisions ids.
func (db *DB) provisionHistories(ctx context.Context, q querier, ids []int64, pidx map[int64]*agreement.Provision) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, 0, len(chunk))
		for _, id := range chunk {
			args = append(args, id)
		}
		if err := db.each(ctx, q, `SELECT provision_id, from_status, to_status, on_day, actor, source, note, recorded_at
			FROM agreement_provision_history WHERE provision_id `+inList(len(chunk))+` ORDER BY provision_id, id`, args,
			func(rows *sql.Rows) error {
				var (
					id       int64
					h        agreement.StatusChange
					from, to string
					on, rec  any
				)
				if err := rows.Scan(&id, &from, &to, &on, &h.Actor, &h.Source, &h.Note, &rec); err != nil {
					return err
				}
				h.From, h.To = agreement.Status(from), agreement.Status(to)
				var err error
				if h.On, err = scanDate(on); err != nil {
					return err
				}
				if h.RecordedAt, err = scanTime(rec); err != nil {
					return err
				}
				pidx[id].History = append(pidx[id].History, h)
				return nil
			}); err != nil {
			return fmt.Errorf("provision history: %w", err)
		}
	}
	return nil
}

// Agreement returns an agreement v sees with its provisions and
// histories; any other is ErrNotFound.
func (db *DB) Agreement(ctx context.Context, v casework.Viewer, id int64) (agreement.Agreement, error) {
	return db.agreementIn(ctx, db.read, v, id)
}

func (db *DB) agreementIn(ctx context.Context, q querier, v casework.Viewer, id int64) (agreement.Agreement, error) {
	access, args := agreementAccess(v)
	a, err := scanAgreement(q.QueryRowContext(ctx, db.d.rebind(`SELECT `+agreementColumns+` FROM agreements a
		WHERE a.id = ? AND `+access), append([]any{id}, args...)...))
	if err != nil {
		return agreement.Agreement{}, agreementErr(fmt.Errorf("agreement %d: %w", id, db.mapErr(err)))
	}
	as := []agreement.Agreement{a}
	if err := db.fillAgreements(ctx, q, v, as, true); err != nil {
		return agreement.Agreement{}, fmt.Errorf("agreement %d: %w", id, err)
	}
	return as[0], nil
}

// Agreements returns the agreements v sees that q selects, newest signed
// first, without provisions.
func (db *DB) Agreements(ctx context.Context, v casework.Viewer, q agreement.Query) ([]agreement.Agreement, error) {
	where, args := agreementAccess(v)
	conds := []string{where}
	for _, w := range strings.Fields(strings.ToLower(q.Q)) {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(w) + "%"
		conds = append(conds, `(LOWER(a.name) LIKE ? ESCAPE '\' OR LOWER(a.conflict_name) LIKE ? ESCAPE '\'
			OR LOWER(a.parties) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if q.Country != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM agreement_countries acn WHERE acn.agreement_id = a.id AND acn.country = ?)`)
		args = append(args, strings.ToUpper(q.Country))
	}
	if q.CaseID > 0 {
		// Only through a case v sees: the link to a case v may not see
		// must not be inferable.
		access, cargs := caseAccess(v)
		conds = append(conds, `EXISTS (SELECT 1 FROM agreement_cases qc JOIN cases c ON c.id = qc.case_id
			WHERE qc.agreement_id = a.id AND qc.case_id = ? AND `+access+`)`)
		args = append(append(args, q.CaseID), cargs...)
	}
	query := `SELECT ` + agreementColumns + ` FROM agreements a WHERE ` + strings.Join(conds, " AND ") +
		` ORDER BY a.signed DESC, a.id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	var out []agreement.Agreement
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		a, err := scanAgreement(rows)
		out = append(out, a)
		return err
	}); err != nil {
		return nil, fmt.Errorf("agreements: %w", err)
	}
	if err := db.fillAgreements(ctx, db.read, v, out, false); err != nil {
		return nil, err
	}
	return out, nil
}

// ImportAgreement inserts or updates an imported agreement by its source
// and source id (see agreement.Store), in one transaction.
func (db *DB) ImportAgreement(ctx context.Context, a agreement.Agreement, by string, at time.Time) (int64, agreement.Outcome, int, error) {
	fp := agreement.Fingerprint(a)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", 0, err
	}
	defer tx.Rollback()
	var (
		id  int64
		old string
	)
	err = tx.QueryRowContext(ctx, db.d.rebind(`SELECT id, fingerprint FROM agreements WHERE source = ? AND source_id = ?`),
		a.Source, a.SourceID).Scan(&id, &old)
	out := agreement.Updated
	switch {
	case errors.Is(err, sql.ErrNoRows):
		out = agreement.Inserted
		if id, err = db.insertAgreement(ctx, tx, a, fp, by, at); err != nil {
			return 0, "", 0, err
		}
	case err != nil:
		return 0, "", 0, fmt.Errorf("agreement %s %s: %w", a.Source, a.SourceID, err)
	case old == fp:
		return id, agreement.Unchanged, 0, nil
	default:
		parties, _ := json.Marshal(a.Parties)
		if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE agreements SET name = ?, kind = ?, parties = ?, third_parties = ?,
			signed = ?, conflict_name = ?, ended = ?, ended_on = ?, url = ?, notes = ?, fingerprint = ?, updated_at = ?
			WHERE id = ?`), a.Name, string(a.Kind), string(parties), a.ThirdParties, dateArg(a.Signed), a.Conflict, a.Ended,
			nullDateArg(a.EndedOn), a.URL, a.Notes, fp, db.instantArg(at), id); err != nil {
			return 0, "", 0, fmt.Errorf("update agreement %d: %w", id, db.mapErr(err))
		}
		for _, q := range []string{`DELETE FROM agreement_countries WHERE agreement_id = ?`,
			`DELETE FROM agreement_conflicts WHERE agreement_id = ?`} {
			if _, err := tx.ExecContext(ctx, db.d.rebind(q), id); err != nil {
				return 0, "", 0, fmt.Errorf("agreement %d: %w", id, err)
			}
		}
		if err := db.writeAgreementLists(ctx, tx, id, a); err != nil {
			return 0, "", 0, err
		}
	}
	have := map[string]bool{}
	if err := db.each(ctx, tx, `SELECT category FROM agreement_provisions WHERE agreement_id = ?`, []any{id},
		func(rows *sql.Rows) error {
			var c string
			err := rows.Scan(&c)
			have[c] = true
			return err
		}); err != nil {
		return 0, "", 0, fmt.Errorf("agreement %d provisions: %w", id, err)
	}
	added := 0
	for _, p := range a.Provisions {
		if have[p.Category] {
			continue
		}
		p.AgreementID = id
		first := agreement.StatusChange{To: p.Status, On: a.Signed, Actor: by, Source: "UCDP Peace Agreement Dataset",
			Note: "imported: UCDP codes that the agreement contains this provision, not its implementation", RecordedAt: at}
		if _, err := db.insertProvision(ctx, tx, p, first, at); err != nil {
			return 0, "", 0, err
		}
		added++
	}
	return id, out, added, tx.Commit()
}

func (db *DB) insertAgreement(ctx context.Context, tx *sql.Tx, a agreement.Agreement, fp, by string, at time.Time) (int64, error) {
	parties, err := json.Marshal(a.Parties)
	if err != nil {
		return 0, err
	}
	if a.Parties == nil {
		parties = []byte("[]")
	}
	var id int64
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO agreements (source, source_id, name, kind, parties, third_parties,
		signed, conflict_name, ended, ended_on, url, notes, fingerprint, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.Source, a.SourceID, a.Name, string(a.Kind), string(parties), a.ThirdParties, dateArg(a.Signed), a.Conflict, a.Ended,
		nullDateArg(a.EndedOn), a.URL, a.Notes, fp, by, db.instantArg(at), db.instantArg(at)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert agreement %q: %w", a.Name, db.mapErr(err))
	}
	return id, db.writeAgreementLists(ctx, tx, id, a)
}

func (db *DB) writeAgreementLists(ctx context.Context, tx *sql.Tx, id int64, a agreement.Agreement) error {
	for _, c := range a.Countries {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO agreement_countries (agreement_id, country) VALUES (?, ?)`),
			id, c); err != nil {
			return fmt.Errorf("agreement %d country %s: %w", id, c, db.mapErr(err))
		}
	}
	for _, c := range a.ConflictIDs {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO agreement_conflicts (agreement_id, conflict_id) VALUES (?, ?)`),
			id, c); err != nil {
			return fmt.Errorf("agreement %d conflict %d: %w", id, c, db.mapErr(err))
		}
	}
	return nil
}

func (db *DB) insertProvision(ctx context.Context, tx *sql.Tx, p agreement.Provision, first agreement.StatusChange, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO agreement_provisions (agreement_id, category, text, responsible,
		deadline, status, status_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		p.AgreementID, p.Category, p.Text, p.Responsible, nullDateArg(p.Deadline), string(first.To), dateArg(first.On),
		db.instantArg(at)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert provision of agreement %d: %w", p.AgreementID, db.mapErr(err))
	}
	return id, db.addProvisionLine(ctx, tx, id, first)
}

func (db *DB) addProvisionLine(ctx context.Context, tx *sql.Tx, id int64, h agreement.StatusChange) error {
	_, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO agreement_provision_history (provision_id, from_status, to_status,
		on_day, actor, source, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), id, string(h.From), string(h.To),
		dateArg(h.On), h.Actor, h.Source, h.Note, db.instantArg(h.RecordedAt))
	if err != nil {
		return fmt.Errorf("provision %d history: %w", id, db.mapErr(err))
	}
	return nil
}

// CreateAgreement stores a new agreement entered by hand, with its
// provisions, each with a first history line as by on the day of at.
func (db *DB) CreateAgreement(ctx context.Context, a agreement.Agreement, by string, at time.Time) (agreement.Agreement, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return agreement.Agreement{}, err
	}
	defer tx.Rollback()
	id, err := db.insertAgreement(ctx, tx, a, "", by, at)
	if err != nil {
		return agreement.Agreement{}, err
	}
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	for _, p := range a.Provisions {
		p.AgreementID = id
		if _, err := db.insertProvision(ctx, tx, p, agreement.StatusChange{To: p.Status, On: day, Actor: by,
			Note: "provision entered", RecordedAt: at}, at); err != nil {
			return agreement.Agreement{}, err
		}
	}
	out, err := db.agreementIn(ctx, tx, casework.Everyone(""), id)
	if err != nil {
		return agreement.Agreement{}, err
	}
	return out, tx.Commit()
}

// AddProvision stores a provision with its first history line.
func (db *DB) AddProvision(ctx context.Context, p agreement.Provision, first agreement.StatusChange) (agreement.Provision, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return agreement.Provision{}, err
	}
	defer tx.Rollback()
	id, err := db.insertProvision(ctx, tx, p, first, first.RecordedAt)
	if err != nil {
		return agreement.Provision{}, agreementErr(err)
	}
	out, err := db.provisionIn(ctx, tx, id)
	if err != nil {
		return agreement.Provision{}, err
	}
	return out, tx.Commit()
}

func (db *DB) provisionIn(ctx context.Context, q querier, id int64) (agreement.Provision, error) {
	p, err := scanProvision(q.QueryRowContext(ctx, db.d.rebind(`SELECT id, agreement_id, category, text, responsible, deadline,
		status, status_on, created_at FROM agreement_provisions WHERE id = ?`), id))
	if err != nil {
		return agreement.Provision{}, agreementErr(fmt.Errorf("provision %d: %w", id, db.mapErr(err)))
	}
	p.History = []agreement.StatusChange{}
	if err := db.provisionHistories(ctx, q, []int64{id}, map[int64]*agreement.Provision{id: &p}); err != nil {
		return agreement.Provision{}, err
	}
	return p, nil
}

// ProvisionAgreement returns the agreement of a provision v sees.
func (db *DB) ProvisionAgreement(ctx context.Context, v casework.Viewer, provisionID int64) (int64, error) {
	access, args := agreementAccess(v)
	var id int64
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT a.id FROM agreement_provisions p JOIN agreements a
		ON a.id = p.agreement_id WHERE p.id = ? AND `+access), append([]any{provisionID}, args...)...).Scan(&id)
	if err != nil {
		return 0, agreementErr(fmt.Errorf("provision %d: %w", provisionID, db.mapErr(err)))
	}
	return id, nil
}

// SetProvisionStatus appends a history line and makes it the provision's
// status, in one transaction. A line dated before the current status's
// day is kept in the history but does not replace the current status.
func (db *DB) SetProvisionStatus(ctx context.Context, provisionID int64, h agreement.StatusChange) (agreement.Provision, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return agreement.Provision{}, err
	}
	defer tx.Rollback()
	cur, err := db.provisionIn(ctx, tx, provisionID)
	if err != nil {
		return agreement.Provision{}, err
	}
	h.From = cur.Status
	if err := db.addProvisionLine(ctx, tx, provisionID, h); err != nil {
		return agreement.Provision{}, err
	}
	if !h.On.Before(cur.StatusOn) {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE agreement_provisions SET status = ?, status_on = ? WHERE id = ?`),
			string(h.To), dateArg(h.On), provisionID); err != nil {
			return agreement.Provision{}, fmt.Errorf("provision %d: %w", provisionID, db.mapErr(err))
		}
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE agreements SET updated_at = ? WHERE id = ?`),
		db.instantArg(h.RecordedAt), cur.AgreementID); err != nil {
		return agreement.Provision{}, err
	}
	out, err := db.provisionIn(ctx, tx, provisionID)
	if err != nil {
		return agreement.Provision{}, err
	}
	return out, tx.Commit()
}

// LinkCase links an agreement to a case; a link that exists is kept.
func (db *DB) LinkCase(ctx context.Context, agreementID, caseID int64, by string, at time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM agreement_cases WHERE agreement_id = ? AND case_id = ?`),
		agreementID, caseID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO agreement_cases (agreement_id, case_id, linked_by, linked_at)
		VALUES (?, ?, ?, ?)`), agreementID, caseID, by, db.instantArg(at)); err != nil {
		return agreementErr(fmt.Errorf("link agreement %d to case %d: %w", agreementID, caseID, db.mapErr(err)))
	}
	return tx.Commit()
}

// FollowedAgreements returns the agreements the follow-through rules
// look at (see agreement.Store), unrestricted, with provisions.
func (db *DB) FollowedAgreements(ctx context.Context, countries []string) ([]agreement.Agreement, error) {
	conds := []string{`a.ended = ?`, `(a.source = ? OR EXISTS (SELECT 1 FROM agreement_cases fl WHERE fl.agreement_id = a.id))`}
	args := []any{false, agreement.SourceManual}
	if len(countries) > 0 {
		conds = append(conds, `EXISTS (SELECT 1 FROM agreement_countries acn WHERE acn.agreement_id = a.id AND acn.country `+
			inList(len(countries))+`)`)
		for _, c := range countries {
			args = append(args, c)
		}
	}
	var out []agreement.Agreement
	if err := db.each(ctx, db.read, `SELECT `+agreementColumns+` FROM agreements a WHERE `+strings.Join(conds, " AND ")+
		` ORDER BY a.id`, args, func(rows *sql.Rows) error {
		a, err := scanAgreement(rows)
		out = append(out, a)
		return err
	}); err != nil {
		return nil, fmt.Errorf("followed agreements: %w", err)
	}
	if err := db.fillAgreements(ctx, db.read, casework.Everyone(""), out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// Suggestions lists, for agreements v sees, the open cases v sees with a
// place in one of their countries that are not linked to them: agreements
// not ended first, then the most recently signed.
func (db *DB) Suggestions(ctx context.Context, v casework.Viewer, agreementID, caseID int64, limit int) ([]agreement.Suggestion, error) {
	aAccess, aArgs := agreementAccess(v)
	cAccess, cArgs := caseAccess(v)
	conds := []string{aAccess, cAccess, `c.status <> 'closed'`,
		`NOT EXISTS (SELECT 1 FROM agreement_cases l WHERE l.agreement_id = a.id AND l.case_id = c.id)`}
	args := append(slices.Clone(aArgs), cArgs...)
	if agreementID > 0 {
		conds = append(conds, `a.id = ?`)
		args = append(args, agreementID)
	}
	if caseID > 0 {
		conds = append(conds, `c.id = ?`)
		args = append(args, caseID)
	}
	query := `SELECT a.id, a.name, a.signed, a.conflict_name, a.ended, c.id, c.title, acn.country
		FROM agreements a JOIN agreement_countries acn ON acn.agreement_id = a.id
		JOIN case_places cp ON cp.country = acn.country JOIN cases c ON c.id = cp.case_id
		WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY a.ended, a.signed DESC, a.id DESC, c.id, acn.country`
	var out []agreement.Suggestion
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		var (
			s             agreement.Suggestion
			signed, ended any
			country       string
		)
		if err := rows.Scan(&s.AgreementID, &s.AgreementName, &signed, &s.Conflict, &ended, &s.CaseID, &s.CaseTitle, &country); err != nil {
			return err
		}
		if n := len(out); n > 0 && out[n-1].AgreementID == s.AgreementID && out[n-1].CaseID == s.CaseID {
			if !slices.Contains(out[n-1].Countries, country) {
				out[n-1].Countries = append(out[n-1].Countries, country)
			}
			return nil
		}
		var err error
		s.Signed, err = scanDate(signed)
		s.Ended, s.Countries = scanBool(ended), []string{country}
		out = append(out, s)
		return err
	}); err != nil {
		return nil, fmt.Errorf("agreement suggestions: %w", err)
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
