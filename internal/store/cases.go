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

	"threshold/internal/casework"
)

var _ casework.Store = (*DB)(nil)

// querier is what reads need of a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// caseAccess is the need-to-know rule of package casework as one SQL
// condition over cases c, with its arguments: the viewer's organisation
// owns the case or is on its sharing list, and the viewer's clearance
// covers the case's confidentiality or the viewer is among its
// responsible staff. Every read of cases, actions and report rows applies
// it; it is the only place the rule is written.
func caseAccess(v casework.Viewer) (string, []any) {
	if v.All {
		return "1 = 1", nil
	}
	if v.OrgID == 0 {
		return "1 = 0", nil
	}
	var b strings.Builder
	args := []any{v.OrgID, v.OrgID}
	b.WriteString(`(c.owner_org_id = ? OR EXISTS (SELECT 1 FROM case_shares cs WHERE cs.case_id = c.id AND cs.org_id = ?)) AND (`)
	if levels := v.Clearance(); len(levels) > 0 {
		b.WriteString(`c.confidentiality IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(levels)), ", ") + `) OR `)
		for _, l := range levels {
			args = append(args, string(l))
		}
	}
	b.WriteString(`EXISTS (SELECT 1 FROM case_staff cst WHERE cst.case_id = c.id AND cst.email = ?))`)
	args = append(args, strings.ToLower(v.Email))
	return b.String(), args
}

// caseErr makes ErrNotFound and ErrConflict also match casework's
// sentinels.
func caseErr(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return bothErr{err, casework.ErrNotFound}
	case errors.Is(err, ErrConflict):
		return bothErr{err, casework.ErrConflict}
	}
	return err
}

const caseColumns = `c.id, c.title, c.status, c.lead_office, c.confidentiality, c.owner_org_id, o.name, c.created_by,
	c.created_at, c.updated_at, c.version`

const caseFrom = ` FROM cases c JOIN organisations o ON o.id = c.owner_org_id`

func scanCase(sc scanner) (casework.Case, error) {
	var (
		c        casework.Case
		cr, upd  any
		err      error
		st, conf string
	)
	if err := sc.Scan(&c.ID, &c.Title, &st, &c.LeadOffice, &conf, &c.OwnerOrgID, &c.OwnerOrg, &c.CreatedBy,
		&cr, &upd, &c.Version); err != nil {
		return c, err
	}
	c.Status, c.Confidentiality = casework.Status(st), casework.Confidentiality(conf)
	if c.CreatedAt, err = scanTime(cr); err != nil {
		return c, fmt.Errorf("case %d: %w", c.ID, err)
	}
	if c.UpdatedAt, err = scanTime(upd); err != nil {
		return c, fmt.Errorf("case %d: %w", c.ID, err)
	}
	return c, nil
}

// fillCases reads the cases' places, staff and sharing lists (and, with
// history, their status histories), a few queries for all of them.
func (db *DB) fillCases(ctx context.Context, q querier, cs []casework.Case, history bool) error {
	idx := make(map[int64]*casework.Case, len(cs))
	for i := range cs {
		c := &cs[i]
		c.Places, c.Countries, c.Staff, c.SharedWith = []casework.Place{}, []string{}, []string{}, []string{}
		if history {
			c.History = []casework.StatusChange{}
		}
		idx[c.ID] = c
	}
	for start := 0; start < len(cs); start += 500 {
		chunk := cs[start:min(start+500, len(cs))]
		in := `IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") + `)`
		ids := make([]any, 0, len(chunk))
		for _, c := range chunk {
			ids = append(ids, c.ID)
		}
		err := db.each(ctx, q, `SELECT case_id, country, admin1 FROM case_places WHERE case_id `+in+` ORDER BY case_id, country, admin1`,
			ids, func(rows *sql.Rows) error {
				var (
					id int64
					p  casework.Place
				)
				if err := rows.Scan(&id, &p.Country, &p.Admin1); err != nil {
					return err
				}
				c := idx[id]
				c.Places = append(c.Places, p)
				if !slices.Contains(c.Countries, p.Country) {
					c.Countries = append(c.Countries, p.Country)
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("case places: %w", err)
		}
		if err := db.each(ctx, q, `SELECT case_id, email FROM case_staff WHERE case_id `+in+` ORDER BY case_id, email`, ids,
			func(rows *sql.Rows) error {
				var (
					id int64
					e  string
				)
				err := rows.Scan(&id, &e)
				idx[id].Staff = append(idx[id].Staff, e)
				return err
			}); err != nil {
			return fmt.Errorf("case staff: %w", err)
		}
		if err := db.each(ctx, q, `SELECT cs.case_id, o.name FROM case_shares cs JOIN organisations o ON o.id = cs.org_id
			WHERE cs.case_id `+in+` ORDER BY cs.case_id, o.name`, ids, func(rows *sql.Rows) error {
			var (
				id int64
				n  string
			)
			err := rows.Scan(&id, &n)
			idx[id].SharedWith = append(idx[id].SharedWith, n)
			return err
		}); err != nil {
			return fmt.Errorf("case sharing: %w", err)
		}
		if !history {
			continue
		}
		if err := db.each(ctx, q, `SELECT case_id, from_status, to_status, actor, note, at FROM case_status_history
			WHERE case_id `+in+` ORDER BY case_id, id`, ids, func(rows *sql.Rows) error {
			var (
				id       int64
				h        casework.StatusChange
				from, to string
				at       any
			)
			if err := rows.Scan(&id, &from, &to, &h.Actor, &h.Note, &at); err != nil {
				return err
			}
			h.From, h.To = casework.Status(from), casework.Status(to)
			var err error
			h.At, err = scanTime(at)
			idx[id].History = append(idx[id].History, h)
			return err
		}); err != nil {
			return fmt.Errorf("case history: %w", err)
		}
	}
	return nil
}

// each runs a query and calls fn for each row.
func (db *DB) each(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, db.d.rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// orgIDs resolves organisation names; an unknown one is
// casework.ErrInvalid.
func (db *DB) orgIDs(ctx context.Context, q querier, names []string) ([]int64, error) {
	ids := make([]int64, 0, len(names))
	var unknown []string
	for _, n := range names {
		var id int64
		err := q.QueryRowContext(ctx, db.d.rebind(`SELECT id FROM organisations WHERE name = ?`), n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		} else if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: no organisation %s", casework.ErrInvalid, strings.Join(unknown, ", "))
	}
	return ids, nil
}

// CreateCase stores a new case with its places, staff, sharing list and
// opening status line in one transaction.
func (db *DB) CreateCase(ctx context.Context, c casework.Case, by string, at time.Time) (casework.Case, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return casework.Case{}, err
	}
	defer tx.Rollback()
	if c.OwnerOrgID == 0 {
		ids, err := db.orgIDs(ctx, tx, []string{c.OwnerOrg})
		if err != nil {
			return casework.Case{}, err
		}
		c.OwnerOrgID = ids[0]
	}
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO cases (title, status, lead_office, confidentiality,
		owner_org_id, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
		c.Title, string(c.Status), c.LeadOffice, string(c.Confidentiality), c.OwnerOrgID, by,
		db.instantArg(at), db.instantArg(at)).Scan(&c.ID)
	if err != nil {
		return casework.Case{}, caseErr(fmt.Errorf("insert case: %w", db.mapErr(err)))
	}
	if err := db.writeCaseLists(ctx, tx, c, by, at); err != nil {
		return casework.Case{}, err
	}
	if err := db.addStatusLine(ctx, tx, c.ID, casework.StatusChange{To: c.Status, Actor: by, At: at}); err != nil {
		return casework.Case{}, err
	}
	out, err := db.caseIn(ctx, tx, casework.Everyone(""), c.ID)
	if err != nil {
		return casework.Case{}, err
	}
	return out, tx.Commit()
}

// writeCaseLists makes the stored places, staff and sharing list c's:
// rows not in c are deleted, new ones inserted (new shares as by at at).
func (db *DB) writeCaseLists(ctx context.Context, tx *sql.Tx, c casework.Case, by string, at time.Time) error {
	shares, err := db.orgIDs(ctx, tx, c.SharedWith)
	if err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM case_places WHERE case_id = ?`, `DELETE FROM case_staff WHERE case_id = ?`} {
		if _, err := tx.ExecContext(ctx, db.d.rebind(q), c.ID); err != nil {
			return fmt.Errorf("case %d: %w", c.ID, err)
		}
	}
	for _, p := range c.Places {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO case_places (case_id, country, admin1) VALUES (?, ?, ?)`),
			c.ID, p.Country, p.Admin1); err != nil {
			return fmt.Errorf("case %d place %s: %w", c.ID, p.Country, db.mapErr(err))
		}
	}
	for _, e := range c.Staff {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO case_staff (case_id, email) VALUES (?, ?)`), c.ID, e); err != nil {
			return fmt.Errorf("case %d staff %s: %w", c.ID, e, db.mapErr(err))
		}
	}
	var kept []int64
	if err := db.each(ctx, tx, `SELECT org_id FROM case_shares WHERE case_id = ?`, []any{c.ID}, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		kept = append(kept, id)
		return err
	}); err != nil {
		return fmt.Errorf("case %d sharing: %w", c.ID, err)
	}
	for _, id := range kept {
		if !slices.Contains(shares, id) {
			if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM case_shares WHERE case_id = ? AND org_id = ?`), c.ID, id); err != nil {
				return fmt.Errorf("case %d unshare: %w", c.ID, err)
			}
		}
	}
	for _, id := range shares {
		if id == c.OwnerOrgID || slices.Contains(kept, id) {
			continue
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO case_shares (case_id, org_id, shared_by, shared_at)
			VALUES (?, ?, ?, ?)`), c.ID, id, by, db.instantArg(at)); err != nil {
			return fmt.Errorf("case %d share: %w", c.ID, db.mapErr(err))
		}
	}
	return nil
}

func (db *DB) addStatusLine(ctx context.Context, tx *sql.Tx, id int64, h casework.StatusChange) error {
	_, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO case_status_history (case_id, from_status, to_status, actor, note, at)
		VALUES (?, ?, ?, ?, ?, ?)`), id, string(h.From), string(h.To), h.Actor, h.Note, db.instantArg(h.At))
	if err != nil {
		return fmt.Errorf("case %d status history: %w", id, err)
	}
	return nil
}

// Case returns a case v sees, with its history; any other is ErrNotFound.
func (db *DB) Case(ctx context.Context, v casework.Viewer, id int64) (casework.Case, error) {
	return db.caseIn(ctx, db.read, v, id)
}

func (db *DB) caseIn(ctx context.Context, q querier, v casework.Viewer, id int64) (casework.Case, error) {
	access, args := caseAccess(v)
	c, err := scanCase(q.QueryRowContext(ctx, db.d.rebind(`SELECT `+caseColumns+caseFrom+` WHERE c.id = ? AND `+access),
		append([]any{id}, args...)...))
	if err != nil {
		return casework.Case{}, caseErr(fmt.Errorf("case %d: %w", id, db.mapErr(err)))
	}
	cs := []casework.Case{c}
	if err := db.fillCases(ctx, q, cs, true); err != nil {
		return casework.Case{}, fmt.Errorf("case %d: %w", id, err)
	}
	return cs[0], nil
}

// casesWhere is the condition and arguments selecting q's cases for v.
func casesWhere(v casework.Viewer, q casework.Query) (string, []any) {
	where, args := caseAccess(v)
	conds := []string{where}
	for _, w := range strings.Fields(strings.ToLower(q.Q)) {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(w) + "%"
		conds = append(conds, `(LOWER(c.title) LIKE ? ESCAPE '\' OR LOWER(c.lead_office) LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	if len(q.Status) > 0 {
		conds = append(conds, `c.status IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(q.Status)), ", ")+`)`)
		for _, s := range q.Status {
			args = append(args, string(s))
		}
	}
	if q.Country != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM case_places cp WHERE cp.case_id = c.id AND cp.country = ?)`)
		args = append(args, strings.ToUpper(q.Country))
	}
	if q.LeadOffice != "" {
		conds = append(conds, `c.lead_office = ?`)
		args = append(args, q.LeadOffice)
	}
	if q.Confidentiality != "" {
		conds = append(conds, `c.confidentiality = ?`)
		args = append(args, string(q.Confidentiality))
	}
	return strings.Join(conds, " AND "), args
}

// Cases returns the cases v sees that q selects, newest first.
func (db *DB) Cases(ctx context.Context, v casework.Viewer, q casework.Query) ([]casework.Case, error) {
	where, args := casesWhere(v, q)
	query := `SELECT ` + caseColumns + caseFrom + ` WHERE ` + where + ` ORDER BY c.id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	out := []casework.Case{}
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		c, err := scanCase(rows)
		out = append(out, c)
		return err
	}); err != nil {
		return nil, err
	}
	if err := db.fillCases(ctx, db.read, out, false); err != nil {
		return nil, err
	}
	return out, nil
}

// CountCases counts the cases v sees that q selects, ignoring q.Limit.
func (db *DB) CountCases(ctx context.Context, v casework.Viewer, q casework.Query) (int, error) {
	where, args := casesWhere(v, q)
	var n int
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM cases c WHERE `+where), args...).Scan(&n)
	return n, err
}

// UpdateCase writes c if its version is still the stored one.
func (db *DB) UpdateCase(ctx context.Context, c casework.Case, change *casework.StatusChange, by string, at time.Time) (casework.Case, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return casework.Case{}, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE cases SET title = ?, status = ?, lead_office = ?, confidentiality = ?,
		updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
		c.Title, string(c.Status), c.LeadOffice, string(c.Confidentiality), db.instantArg(c.UpdatedAt), c.ID, c.Version)
	if err != nil {
		return casework.Case{}, fmt.Errorf("update case %d: %w", c.ID, db.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return casework.Case{}, err
	} else if n == 0 {
		return casework.Case{}, caseErr(fmt.Errorf("update case %d at version %d: %w", c.ID, c.Version, ErrConflict))
	}
	if err := db.writeCaseLists(ctx, tx, c, by, at); err != nil {
		return casework.Case{}, err
	}
	if change != nil {
		if err := db.addStatusLine(ctx, tx, c.ID, *change); err != nil {
			return casework.Case{}, err
		}
	}
	out, err := db.caseIn(ctx, tx, casework.Everyone(""), c.ID)
	if err != nil {
		return casework.Case{}, err
	}
	return out, tx.Commit()
}

// AddAction stores an action and its alert links in one transaction.
func (db *DB) AddAction(ctx context.Context, a casework.Action) (casework.Action, error) {
	actors, err := jsonArg(a.Actors, "[]")
	if err != nil {
		return casework.Action{}, err
	}
	partners, err := jsonArg(a.Partners, "[]")
	if err != nil {
		return casework.Action{}, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return casework.Action{}, err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO case_actions (case_id, type, taken_at, actors, partners, outcome,
		recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.CaseID, string(a.Type), db.instantArg(a.At), actors, partners, a.Outcome, a.RecordedBy, db.instantArg(a.RecordedAt)).Scan(&a.ID)
	if err != nil {
		return casework.Action{}, caseErr(fmt.Errorf("insert action: %w", db.mapErr(err)))
	}
	for _, id := range a.Alerts {
		var n int
		if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM alerts WHERE id = ?`), id).Scan(&n); err != nil {
			return casework.Action{}, err
		}
		if n == 0 {
			return casework.Action{}, fmt.Errorf("%w: no alert %d", casework.ErrInvalid, id)
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO case_action_alerts (action_id, alert_id) VALUES (?, ?)`),
			a.ID, id); err != nil {
			return casework.Action{}, fmt.Errorf("action %d alert %d: %w", a.ID, id, db.mapErr(err))
		}
	}
	if a.Alerts == nil {
		a.Alerts = []int64{}
	}
	return a, tx.Commit()
}

// Actions returns the actions of the cases v sees that q selects, newest
// first.
func (db *DB) Actions(ctx context.Context, v casework.Viewer, q casework.ActionQuery) ([]casework.Action, error) {
	access, args := caseAccess(v)
	query := `SELECT a.id, a.case_id, a.type, a.taken_at, a.actors, a.partners, a.outcome, a.recorded_by, a.recorded_at,
		c.confidentiality FROM case_actions a JOIN cases c ON c.id = a.case_id WHERE ` + access
	if q.CaseID != 0 {
		query += ` AND a.case_id = ?`
		args = append(args, q.CaseID)
	}
	query += ` ORDER BY a.taken_at DESC, a.id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	out := []casework.Action{}
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		var (
			a                casework.Action
			typ, level       string
			actors, partners string
			taken, recorded  any
		)
		if err := rows.Scan(&a.ID, &a.CaseID, &typ, &taken, &actors, &partners, &a.Outcome, &a.RecordedBy, &recorded, &level); err != nil {
			return err
		}
		a.Type, a.Level = casework.ActionType(typ), casework.Confidentiality(level)
		var err error
		if a.At, err = scanTime(taken); err != nil {
			return fmt.Errorf("action %d: %w", a.ID, err)
		}
		if a.RecordedAt, err = scanTime(recorded); err != nil {
			return fmt.Errorf("action %d: %w", a.ID, err)
		}
		if err := json.Unmarshal([]byte(actors), &a.Actors); err != nil {
			return fmt.Errorf("action %d actors: %w", a.ID, err)
		}
		if err := json.Unmarshal([]byte(partners), &a.Partners); err != nil {
			return fmt.Errorf("action %d partners: %w", a.ID, err)
		}
		out = append(out, a)
		return nil
	}); err != nil {
		return nil, err
	}
	idx := make(map[int64]*casework.Action, len(out))
	for i := range out {
		out[i].Alerts = []int64{}
		idx[out[i].ID] = &out[i]
	}
	for start := 0; start < len(out); start += 500 {
		chunk := out[start:min(start+500, len(out))]
		ids := make([]any, 0, len(chunk))
		for _, a := range chunk {
			ids = append(ids, a.ID)
		}
		if err := db.each(ctx, db.read, `SELECT action_id, alert_id FROM case_action_alerts WHERE action_id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`) ORDER BY action_id, alert_id`, ids,
			func(rows *sql.Rows) error {
				var action, alert int64
				err := rows.Scan(&action, &alert)
				idx[action].Alerts = append(idx[action].Alerts, alert)
				return err
			}); err != nil {
			return nil, fmt.Errorf("action alerts: %w", err)
		}
	}
	return out, nil
}

// Answers returns every link of an action of a case v sees to an alert.
func (db *DB) Answers(ctx context.Context, v casework.Viewer) ([]casework.Answer, error) {
	access, args := caseAccess(v)
	var out []casework.Answer
	err := db.each(ctx, db.read, `SELECT c.id, c.title, c.lead_office, c.confidentiality, al.id, al.country, al.fired_at,
		a.id, a.taken_at FROM case_action_alerts l JOIN case_actions a ON a.id = l.action_id JOIN cases c ON c.id = a.case_id
		JOIN alerts al ON al.id = l.alert_id WHERE `+access+` ORDER BY c.id, al.id, a.id`, args, func(rows *sql.Rows) error {
		var (
			x            casework.Answer
			level        string
			fired, taken any
		)
		if err := rows.Scan(&x.CaseID, &x.CaseTitle, &x.LeadOffice, &level, &x.AlertID, &x.Country, &fired, &x.ActionID, &taken); err != nil {
			return err
		}
		x.Level = casework.Confidentiality(level)
		var err error
		if x.FiredAt, err = scanTime(fired); err != nil {
			return err
		}
		x.ActionAt, err = scanTime(taken)
		out = append(out, x)
		return err
	})
	return out, err
}

// Unanswered returns the alerts fired by firedBy, still firing or
// acknowledged, that no case action answers, oldest first.
func (db *DB) Unanswered(ctx context.Context, firedBy time.Time) ([]casework.Warning, error) {
	var out []casework.Warning
	err := db.each(ctx, db.read, `SELECT al.id, al.rule, al.country, al.admin1, al.severity, al.state, al.title, al.fired_at
		FROM alerts al WHERE al.state IN ('firing', 'acknowledged') AND al.fired_at <= ?
		AND NOT EXISTS (SELECT 1 FROM case_action_alerts l WHERE l.alert_id = al.id) ORDER BY al.fired_at, al.id`,
		[]any{db.instantArg(firedBy)}, func(rows *sql.Rows) error {
			var (
				w     casework.Warning
				fired any
			)
			if err := rows.Scan(&w.AlertID, &w.Rule, &w.Country, &w.Admin1, &w.Severity, &w.State, &w.Title, &fired); err != nil {
				return err
			}
			var err error
			w.FiredAt, err = scanTime(fired)
			out = append(out, w)
			return err
		})
	return out, err
}
