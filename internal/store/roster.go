package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
)

var _ roster.Store = (*DB)(nil)

// rosterLockPrefix, or'ed with a person's id, is the advisory lock that
// serialises deployment requests for that person on PostgreSQL.
const rosterLockPrefix = 0x7274 << 48 // "rt"

// rosterAccess is the roster's need-to-know rule (see the roster package
// doc) as one SQL condition over roster_people p, with its arguments:
// the keeper organisation's admins, analysts and desk officers see its
// records; everyone but partner viewers sees the record carrying their
// own email. Every read of people and deployments applies it.
func rosterAccess(v casework.Viewer) (string, []any) {
	switch {
	case v.All:
		return "1 = 1", nil
	case v.OrgID == 0:
		return "1 = 0", nil
	case roster.CanWrite(v):
		return "(p.org_id = ? OR (p.email <> '' AND p.email = ?))", []any{v.OrgID, strings.ToLower(v.Email)}
	case v.Role == auth.MediationExpert && v.Email != "":
		return "(p.email <> '' AND p.email = ?)", []any{strings.ToLower(v.Email)}
	}
	return "1 = 0", nil
}

// rosterErr makes the store's sentinels also match the roster's.
func rosterErr(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return bothErr{err, roster.ErrNotFound}
	case errors.Is(err, ErrConflict):
		return bothErr{err, roster.ErrConflict}
	}
	return err
}

const personColumns = `p.id, p.name, p.email, p.kind, p.org_id, o.name, p.clearance, p.contract, p.notes, p.created_by,
	p.created_at, p.updated_at, p.version`

const personFrom = ` FROM roster_people p JOIN organisations o ON o.id = p.org_id`

func scanPerson(sc scanner) (roster.Person, error) {
	var (
		p                     roster.Person
		kind, clear, contract string
		cr, upd               any
		err                   error
	)
	if err := sc.Scan(&p.ID, &p.Name, &p.Email, &kind, &p.OrgID, &p.Org, &clear, &contract, &p.Notes, &p.CreatedBy,
		&cr, &upd, &p.Version); err != nil {
		return p, err
	}
	p.Kind, p.Clearance, p.Contract = roster.Kind(kind), casework.Confidentiality(clear), roster.Contract(contract)
	if p.CreatedAt, err = scanTime(cr); err != nil {
		return p, fmt.Errorf("person %d: %w", p.ID, err)
	}
	if p.UpdatedAt, err = scanTime(upd); err != nil {
		return p, fmt.Errorf("person %d: %w", p.ID, err)
	}
	p.Expertise, p.Languages, p.Countries, p.Regions = []roster.Expertise{}, []roster.Language{}, []string{}, []string{}
	return p, nil
}

// CreatePerson stores a new person with their expertise, languages and
// places in one transaction.
func (db *DB) CreatePerson(ctx context.Context, p roster.Person, by string, at time.Time) (roster.Person, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return roster.Person{}, err
	}
	defer tx.Rollback()
	if p.OrgID == 0 {
		ids, err := db.orgIDs(ctx, tx, []string{p.Org})
		if err != nil {
			return roster.Person{}, bothErr{err, roster.ErrInvalid}
		}
		p.OrgID = ids[0]
	}
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO roster_people (name, email, kind, org_id, clearance, contract,
		notes, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
		p.Name, p.Email, string(p.Kind), p.OrgID, string(p.Clearance), string(p.Contract), p.Notes, by,
		db.instantArg(at), db.instantArg(at)).Scan(&p.ID)
	if err != nil {
		return roster.Person{}, rosterErr(fmt.Errorf("insert person: %w", db.mapErr(err)))
	}
	if err := db.writePersonLists(ctx, tx, p); err != nil {
		return roster.Person{}, err
	}
	out, err := db.personIn(ctx, tx, casework.Everyone(""), p.ID)
	if err != nil {
		return roster.Person{}, err
	}
	return out, tx.Commit()
}

// writePersonLists replaces a person's expertise, languages and places.
func (db *DB) writePersonLists(ctx context.Context, tx *sql.Tx, p roster.Person) error {
	for _, q := range []string{`DELETE FROM roster_expertise WHERE person_id = ?`, `DELETE FROM roster_languages WHERE person_id = ?`,
		`DELETE FROM roster_places WHERE person_id = ?`} {
		if _, err := tx.ExecContext(ctx, db.d.rebind(q), p.ID); err != nil {
			return fmt.Errorf("person %d: %w", p.ID, err)
		}
	}
	exec := func(q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, db.d.rebind(q), args...); err != nil {
			return fmt.Errorf("person %d: %w", p.ID, rosterErr(db.mapErr(err)))
		}
		return nil
	}
	for _, e := range p.Expertise {
		if err := exec(`INSERT INTO roster_expertise (person_id, area, level) VALUES (?, ?, ?)`, p.ID, string(e.Area), e.Level); err != nil {
			return err
		}
	}
	for _, l := range p.Languages {
		if err := exec(`INSERT INTO roster_languages (person_id, code, level) VALUES (?, ?, ?)`, p.ID, l.Code, string(l.Level)); err != nil {
			return err
		}
	}
	for _, c := range p.Countries {
		if err := exec(`INSERT INTO roster_places (person_id, kind, name) VALUES (?, 'country', ?)`, p.ID, c); err != nil {
			return err
		}
	}
	for _, r := range p.Regions {
		if err := exec(`INSERT INTO roster_places (person_id, kind, name) VALUES (?, 'region', ?)`, p.ID, r); err != nil {
			return err
		}
	}
	return nil
}

// Person returns a person v sees, with their unavailable periods and
// deployments; any other is ErrNotFound.
func (db *DB) Person(ctx context.Context, v casework.Viewer, id int64) (roster.Person, error) {
	return db.personIn(ctx, db.read, v, id)
}

func (db *DB) personIn(ctx context.Context, q querier, v casework.Viewer, id int64) (roster.Person, error) {
	access, args := rosterAccess(v)
	where := `p.id = ? AND ` + access
	args = append([]any{id}, args...)
	p, err := scanPerson(q.QueryRowContext(ctx, db.d.rebind(`SELECT `+personColumns+personFrom+` WHERE `+where), args...))
	if err != nil {
		return roster.Person{}, rosterErr(fmt.Errorf("person %d: %w", id, db.mapErr(err)))
	}
	ps := []roster.Person{p}
	if err := db.fillPeople(ctx, q, ps, where, args, true); err != nil {
		return roster.Person{}, fmt.Errorf("person %d: %w", id, err)
	}
	return ps[0], nil
}

// peopleWhere is the condition and arguments selecting q's people for v.
func peopleWhere(v casework.Viewer, q roster.Query) (string, []any) {
	where, args := rosterAccess(v)
	for _, w := range strings.Fields(strings.ToLower(q.Q)) {
		where += ` AND lower(p.name || ' ' || p.notes) LIKE ?`
		args = append(args, "%"+w+"%")
	}
	if q.Kind != "" {
		where += ` AND p.kind = ?`
		args = append(args, string(q.Kind))
	}
	if q.Area != "" {
		where += ` AND EXISTS (SELECT 1 FROM roster_expertise x WHERE x.person_id = p.id AND x.area = ?)`
		args = append(args, string(q.Area))
	}
	return where, args
}

// People returns the people v sees that q selects, by name.
func (db *DB) People(ctx context.Context, v casework.Viewer, q roster.Query) ([]roster.Person, error) {
	where, args := peopleWhere(v, q)
	query := `SELECT ` + personColumns + personFrom + ` WHERE ` + where + ` ORDER BY p.name, p.id`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	ps := []roster.Person{}
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		p, err := scanPerson(rows)
		ps = append(ps, p)
		return err
	}); err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	if err := db.fillPeople(ctx, db.read, ps, where, args, q.Calendar); err != nil {
		return nil, err
	}
	return ps, nil
}

// fillPeople reads the lists of ps, the people selected by where (over
// roster_people p) and args: one query per list for all of them.
func (db *DB) fillPeople(ctx context.Context, q querier, ps []roster.Person, where string, args []any, calendar bool) error {
	if len(ps) == 0 {
		return nil
	}
	idx := make(map[int64]*roster.Person, len(ps))
	for i := range ps {
		idx[ps[i].ID] = &ps[i]
	}
	in := ` WHERE person_id IN (SELECT p.id FROM roster_people p WHERE ` + where + `)`
	if err := db.each(ctx, q, `SELECT person_id, area, level FROM roster_expertise`+in+` ORDER BY person_id`, args,
		func(rows *sql.Rows) error {
			var (
				id int64
				e  roster.Expertise
			)
			if err := rows.Scan(&id, &e.Area, &e.Level); err != nil {
				return err
			}
			if p := idx[id]; p != nil {
				p.Expertise = append(p.Expertise, e)
			}
			return nil
		}); err != nil {
		return fmt.Errorf("people's expertise: %w", err)
	}
	if err := db.each(ctx, q, `SELECT person_id, code, level FROM roster_languages`+in+` ORDER BY person_id, code`, args,
		func(rows *sql.Rows) error {
			var (
				id int64
				l  roster.Language
			)
			if err := rows.Scan(&id, &l.Code, &l.Level); err != nil {
				return err
			}
			if p := idx[id]; p != nil {
				p.Languages = append(p.Languages, l)
			}
			return nil
		}); err != nil {
		return fmt.Errorf("people's languages: %w", err)
	}
	if err := db.each(ctx, q, `SELECT person_id, kind, name FROM roster_places`+in+` ORDER BY person_id, kind, name`, args,
		func(rows *sql.Rows) error {
			var (
				id         int64
				kind, name string
			)
			if err := rows.Scan(&id, &kind, &name); err != nil {
				return err
			}
			if p := idx[id]; p != nil {
				if kind == "country" {
					p.Countries = append(p.Countries, name)
				} else {
					p.Regions = append(p.Regions, name)
				}
			}
			return nil
		}); err != nil {
		return fmt.Errorf("people's places: %w", err)
	}
	if !calendar {
		return nil
	}
	for i := range ps {
		ps[i].Unavailable, ps[i].Deployments = []roster.Period{}, []roster.Deployment{}
	}
	if err := db.each(ctx, q, `SELECT person_id, id, start_date, end_date, note, recorded_by FROM roster_unavailable`+in+
		` ORDER BY person_id, start_date`, args, func(rows *sql.Rows) error {
		var (
			id, pid int64
			s, e    any
			u       roster.Period
		)
		if err := rows.Scan(&pid, &id, &s, &e, &u.Note, &u.RecordedBy); err != nil {
			return err
		}
		u.ID = id
		var err error
		if u.Start, err = scanDate(s); err != nil {
			return err
		}
		if u.End, err = scanDate(e); err != nil {
			return err
		}
		if p := idx[pid]; p != nil {
			p.Unavailable = append(p.Unavailable, u)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("people's unavailable periods: %w", err)
	}
	if err := db.each(ctx, q, `SELECT `+deploymentColumns+` FROM roster_deployments d JOIN roster_people p ON p.id = d.person_id
		WHERE d.person_id IN (SELECT p.id FROM roster_people p WHERE `+where+`) ORDER BY d.start_date DESC, d.id DESC`, args,
		func(rows *sql.Rows) error {
			d, err := scanDeployment(rows)
			if err != nil {
				return err
			}
			if p := idx[d.PersonID]; p != nil {
				p.Deployments = append(p.Deployments, d)
			}
			return nil
		}); err != nil {
		return fmt.Errorf("people's deployments: %w", err)
	}
	return nil
}

// UpdatePerson writes p if its version is the stored one.
func (db *DB) UpdatePerson(ctx context.Context, p roster.Person, at time.Time) (roster.Person, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return roster.Person{}, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE roster_people SET name = ?, email = ?, kind = ?, clearance = ?,
		contract = ?, notes = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
		p.Name, p.Email, string(p.Kind), string(p.Clearance), string(p.Contract), p.Notes, db.instantArg(at), p.ID, p.Version)
	if err != nil {
		return roster.Person{}, rosterErr(fmt.Errorf("update person %d: %w", p.ID, db.mapErr(err)))
	}
	if n, err := res.RowsAffected(); err != nil {
		return roster.Person{}, err
	} else if n == 0 {
		return roster.Person{}, rosterErr(fmt.Errorf("person %d changed since version %d: %w", p.ID, p.Version, ErrConflict))
	}
	if err := db.writePersonLists(ctx, tx, p); err != nil {
		return roster.Person{}, err
	}
	out, err := db.personIn(ctx, tx, casework.Everyone(""), p.ID)
	if err != nil {
		return roster.Person{}, err
	}
	return out, tx.Commit()
}

// AddUnavailable records an unavailable period of a person; the
// person's record counts it as a change (its version goes up).
func (db *DB) AddUnavailable(ctx context.Context, personID int64, u roster.Period, at time.Time) (roster.Period, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return roster.Period{}, err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO roster_unavailable (person_id, start_date, end_date, note,
		recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), personID, dateArg(u.Start), dateArg(u.End),
		u.Note, u.RecordedBy, db.instantArg(at)).Scan(&u.ID)
	if err != nil {
		return roster.Period{}, rosterErr(fmt.Errorf("unavailable period: %w", db.mapErr(err)))
	}
	if err := db.touchPerson(ctx, tx, personID, at); err != nil {
		return roster.Period{}, err
	}
	return u, tx.Commit()
}

// RemoveUnavailable deletes an unavailable period of a person, a change
// to the person's record.
func (db *DB) RemoveUnavailable(ctx context.Context, personID, periodID int64, at time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM roster_unavailable WHERE id = ? AND person_id = ?`), periodID, personID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return rosterErr(ErrNotFound)
	}
	if err := db.touchPerson(ctx, tx, personID, at); err != nil {
		return err
	}
	return tx.Commit()
}

// touchPerson counts a change to a person's calendar as a change to
// their record.
func (db *DB) touchPerson(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE roster_people SET version = version + 1, updated_at = ? WHERE id = ?`),
		db.instantArg(at), id); err != nil {
		return fmt.Errorf("person %d: %w", id, err)
	}
	return nil
}

const deploymentColumns = `d.id, d.person_id, p.name, d.case_id, d.role, d.start_date, d.end_date, d.status, d.requested_by,
	d.requested_at, d.version, d.named_on_case`

func scanDeployment(sc scanner) (roster.Deployment, error) {
	var (
		d           roster.Deployment
		s, e, at    any
		status      string
		err         error
		start, last time.Time
		named       any
	)
	if err := sc.Scan(&d.ID, &d.PersonID, &d.Person, &d.CaseID, &d.Role, &s, &e, &status, &d.RequestedBy, &at, &d.Version,
		&named); err != nil {
		return d, err
	}
	d.NamedOnCase = scanBool(named)
	d.Status = roster.Status(status)
	if start, err = scanDate(s); err != nil {
		return d, fmt.Errorf("deployment %d: %w", d.ID, err)
	}
	if last, err = scanDate(e); err != nil {
		return d, fmt.Errorf("deployment %d: %w", d.ID, err)
	}
	d.Start, d.Days = start, int(last.Sub(start).Hours()/24)+1
	if d.RequestedAt, err = scanTime(at); err != nil {
		return d, fmt.Errorf("deployment %d: %w", d.ID, err)
	}
	return d, nil
}

// holdingIn is the SQL list of the statuses that hold a person.
func holdingIn() string {
	var b []string
	for _, s := range roster.Holding() {
		b = append(b, "'"+string(s)+"'")
	}
	return "(" + strings.Join(b, ", ") + ")"
}

// RequestDeployment stores d as requested unless it would double-book
// its person or fall in an unavailable period. The check and the insert
// are one transaction serialised per person: SQLite's single writer
// (BEGIN IMMEDIATE), or on PostgreSQL an advisory lock on the person;
// the exclusion constraint (PostgreSQL) and triggers (SQLite) refuse an
// overlap even from a writer that skipped the check.
func (db *DB) RequestDeployment(ctx context.Context, d roster.Deployment, note string) (roster.Deployment, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return roster.Deployment{}, err
	}
	defer tx.Rollback()
	if db.d.xactLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.rebind(db.d.xactLock), int64(rosterLockPrefix|d.PersonID)); err != nil {
			return roster.Deployment{}, fmt.Errorf("lock person %d: %w", d.PersonID, err)
		}
	}
	start, end := dateArg(d.Start), dateArg(d.End())
	var (
		other         int64
		oStart, oEnd  any
		oFirst, oLast time.Time
	)
	err = tx.QueryRowContext(ctx, db.d.rebind(`SELECT id, start_date, end_date FROM roster_deployments WHERE person_id = ?
		AND status IN `+holdingIn()+` AND start_date <= ? AND ? <= end_date ORDER BY start_date LIMIT 1`),
		d.PersonID, end, start).Scan(&other, &oStart, &oEnd)
	switch {
	case err == nil:
		oFirst, _ = scanDate(oStart)
		oLast, _ = scanDate(oEnd)
		return roster.Deployment{}, fmt.Errorf("%w: person %d is already held by deployment %d (%s to %s), which overlaps %s to %s",
			roster.ErrDoubleBooked, d.PersonID, other, dateArg(oFirst), dateArg(oLast), start, end)
	case !errors.Is(err, sql.ErrNoRows):
		return roster.Deployment{}, err
	}
	err = tx.QueryRowContext(ctx, db.d.rebind(`SELECT id FROM roster_unavailable WHERE person_id = ?
		AND start_date <= ? AND ? <= end_date ORDER BY start_date LIMIT 1`), d.PersonID, end, start).Scan(&other)
	switch {
	case err == nil:
		return roster.Deployment{}, fmt.Errorf("%w: person %d is unavailable (period %d) in %s to %s", roster.ErrUnavailable,
			d.PersonID, other, start, end)
	case !errors.Is(err, sql.ErrNoRows):
		return roster.Deployment{}, err
	}
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO roster_deployments (person_id, case_id, role, start_date, end_date,
		status, requested_by, requested_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
		d.PersonID, d.CaseID, d.Role, start, end, string(roster.Requested), d.RequestedBy, db.instantArg(d.RequestedAt)).Scan(&d.ID)
	if err != nil {
		if strings.Contains(err.Error(), "roster_deployments_no_double_booking") {
			return roster.Deployment{}, fmt.Errorf("%w: person %d in %s to %s", roster.ErrDoubleBooked, d.PersonID, start, end)
		}
		return roster.Deployment{}, rosterErr(fmt.Errorf("insert deployment: %w", db.mapErr(err)))
	}
	if err := db.addDeploymentLine(ctx, tx, d.ID, roster.Transition{To: roster.Requested, Actor: d.RequestedBy, Note: note,
		At: d.RequestedAt}); err != nil {
		return roster.Deployment{}, err
	}
	out, err := db.deploymentIn(ctx, tx, casework.Everyone(""), d.ID)
	if err != nil {
		return roster.Deployment{}, err
	}
	return out, tx.Commit()
}

func (db *DB) addDeploymentLine(ctx context.Context, tx *sql.Tx, id int64, t roster.Transition) error {
	_, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO roster_deployment_history (deployment_id, from_status, to_status,
		actor, note, at) VALUES (?, ?, ?, ?, ?, ?)`), id, string(t.From), string(t.To), t.Actor, t.Note, db.instantArg(t.At))
	if err != nil {
		return fmt.Errorf("deployment %d history: %w", id, err)
	}
	return nil
}

// Deployment returns one deployment of a person v sees, with its history.
func (db *DB) Deployment(ctx context.Context, v casework.Viewer, id int64) (roster.Deployment, error) {
	return db.deploymentIn(ctx, db.read, v, id)
}

func (db *DB) deploymentIn(ctx context.Context, q querier, v casework.Viewer, id int64) (roster.Deployment, error) {
	access, args := rosterAccess(v)
	d, err := scanDeployment(q.QueryRowContext(ctx, db.d.rebind(`SELECT `+deploymentColumns+` FROM roster_deployments d
		JOIN roster_people p ON p.id = d.person_id WHERE d.id = ? AND `+access), append([]any{id}, args...)...))
	if err != nil {
		return roster.Deployment{}, rosterErr(fmt.Errorf("deployment %d: %w", id, db.mapErr(err)))
	}
	d.History = []roster.Transition{}
	err = db.each(ctx, q, `SELECT from_status, to_status, actor, note, at FROM roster_deployment_history
		WHERE deployment_id = ? ORDER BY id`, []any{id}, func(rows *sql.Rows) error {
		var (
			t        roster.Transition
			from, to string
			at       any
		)
		if err := rows.Scan(&from, &to, &t.Actor, &t.Note, &at); err != nil {
			return err
		}
		t.From, t.To = roster.Status(from), roster.Status(to)
		var err error
		t.At, err = scanTime(at)
		d.History = append(d.History, t)
		return err
	})
	if err != nil {
		return roster.Deployment{}, fmt.Errorf("deployment %d history: %w", id, err)
	}
	return d, nil
}

// Deployments returns the deployments q selects of the people v sees,
// newest start first.
func (db *DB) Deployments(ctx context.Context, v casework.Viewer, q roster.DeploymentQuery) ([]roster.Deployment, error) {
	where, args := rosterAccess(v)
	if q.PersonID != 0 {
		where += ` AND d.person_id = ?`
		args = append(args, q.PersonID)
	}
	if q.CaseID != 0 {
		where += ` AND d.case_id = ?`
		args = append(args, q.CaseID)
	}
	if len(q.Status) > 0 {
		where += ` AND d.status IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(q.Status)), ", ") + `)`
		for _, s := range q.Status {
			args = append(args, string(s))
		}
	}
	query := `SELECT ` + deploymentColumns + ` FROM roster_deployments d JOIN roster_people p ON p.id = d.person_id WHERE ` +
		where + ` ORDER BY d.start_date DESC, d.id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	ds := []roster.Deployment{}
	err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		d, err := scanDeployment(rows)
		ds = append(ds, d)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	return ds, nil
}

// SetDeploymentStatus moves deployment id from from to t.To if it is
// still in from, recording t in its history.
func (db *DB) SetDeploymentStatus(ctx context.Context, id int64, from roster.Status, t roster.Transition) (roster.Deployment, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return roster.Deployment{}, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE roster_deployments SET status = ?, version = version + 1
		WHERE id = ? AND status = ?`), string(t.To), id, string(from))
	if err != nil {
		if strings.Contains(err.Error(), "roster_deployments_no_double_booking") {
			return roster.Deployment{}, fmt.Errorf("%w: deployment %d", roster.ErrDoubleBooked, id)
		}
		return roster.Deployment{}, rosterErr(db.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return roster.Deployment{}, err
	} else if n == 0 {
		return roster.Deployment{}, rosterErr(fmt.Errorf("deployment %d is no longer %s: %w", id, from, ErrConflict))
	}
	if err := db.addDeploymentLine(ctx, tx, id, t); err != nil {
		return roster.Deployment{}, err
	}
	if err := db.nameOnCase(ctx, tx, id, t.To); err != nil {
		return roster.Deployment{}, err
	}
	out, err := db.deploymentIn(ctx, tx, casework.Everyone(""), id)
	if err != nil {
		return roster.Deployment{}, err
	}
	return out, tx.Commit()
}

// RosterStamp fingerprints the roster: counts, version sums and largest
// ids of people, unavailable periods and deployments. Every write to
// them changes one of these (a new row, a deleted period, a version
// bumped), so an unchanged stamp means an unchanged roster.
func (db *DB) RosterStamp(ctx context.Context) (string, error) {
	var a, b, c, d, e, f, g, h int64
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM roster_people), (SELECT coalesce(sum(version), 0) FROM roster_people),
		(SELECT coalesce(max(id), 0) FROM roster_people),
		(SELECT count(*) FROM roster_unavailable), (SELECT coalesce(max(id), 0) FROM roster_unavailable),
		(SELECT count(*) FROM roster_deployments), (SELECT coalesce(sum(version), 0) FROM roster_deployments),
		(SELECT coalesce(max(id), 0) FROM roster_deployments)`).Scan(&a, &b, &c, &d, &e, &f, &g, &h)
	if err != nil {
		return "", fmt.Errorf("roster stamp: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d.%d.%d.%d.%d.%d", a, b, c, d, e, f, g, h), nil
}

// nameOnCase keeps the case's responsible staff in step with a
// deployment that moved to status to: approving it names the person (if
// they have an email) on the case, so that they may read it at any
// confidentiality (casework's need-to-know); cancelling it takes the
// name off again, unless the person was named before or holds another
// approved, active or completed deployment on the case.
func (db *DB) nameOnCase(ctx context.Context, tx *sql.Tx, id int64, to roster.Status) error {
	var (
		caseID, personID int64
		email            string
		named            any
	)
	err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT d.case_id, d.person_id, p.email, d.named_on_case FROM roster_deployments d
		JOIN roster_people p ON p.id = d.person_id WHERE d.id = ?`), id).Scan(&caseID, &personID, &email, &named)
	if err != nil {
		return fmt.Errorf("deployment %d: %w", id, err)
	}
	switch {
	case email == "":
		return nil
	case to == roster.Approved:
		res, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO case_staff (case_id, email) VALUES (?, ?)
			ON CONFLICT (case_id, email) DO NOTHING`), caseID, email)
		if err != nil {
			return fmt.Errorf("deployment %d: name on case %d: %w", id, caseID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			_, err = tx.ExecContext(ctx, db.d.rebind(`UPDATE roster_deployments SET named_on_case = TRUE WHERE id = ?`), id)
			return err
		}
	case to == roster.Cancelled && scanBool(named):
		var other int64
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT count(*) FROM roster_deployments WHERE person_id = ? AND case_id = ?
			AND id <> ? AND status IN ('approved', 'active', 'completed')`), personID, caseID, id).Scan(&other)
		if err != nil || other > 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM case_staff WHERE case_id = ? AND email = ?`), caseID, email); err != nil {
			return fmt.Errorf("deployment %d: take name off case %d: %w", id, caseID, err)
		}
		_, err = tx.ExecContext(ctx, db.d.rebind(`UPDATE roster_deployments SET named_on_case = FALSE WHERE id = ?`), id)
		return err
	}
	return nil
}

// MatchPeople returns the people v sees as matching needs them, and only
// that: id, name, kind, clearance and contract; expertise, languages,
// countries and regions; unavailable periods (start and end); and the
// deployments that hold them (id, start, days, status). It is one query
// over the people, each list folded into one text column by an aggregate
// (group_concat on SQLite, string_agg on PostgreSQL), so that
// 10,000 people cross the driver as 10,000 rows rather than the ~100,000
// rows of People with Calendar. Unlike People, the list order is
// unspecified and no other field is filled.
func (db *DB) MatchPeople(ctx context.Context, v casework.Viewer, ids ...int64) ([]roster.Person, error) {
	agg := "group_concat"
	day := func(col string) string { return col }
	if db.d.name == "postgres" {
		agg = "string_agg"
		day = func(col string) string { return `to_char(` + col + `, 'YYYY-MM-DD')` }
	}
	// The shape of the query is the one each database runs fastest over
	// 10,000 people (BenchmarkRosterMatchFromStore): on PostgreSQL each
	// list aggregated once per table, grouped by person, and joined (a
	// correlated subquery per person and list costs it 50,000 index
	// scans); on SQLite a correlated subquery per list, a range of the
	// table's primary key (grouping and joining makes it materialise and
	// index each aggregate).
	var cols, joins []string
	fold := func(alias, expr, table, where string) {
		if db.d.name == "postgres" {
			cols = append(cols, alias+".s")
			joins = append(joins, ` LEFT JOIN (SELECT person_id, `+agg+`(`+expr+`, ',') AS s FROM `+table+` WHERE `+where+
				` GROUP BY person_id) `+alias+` ON `+alias+`.person_id = p.id`)
			return
		}
		cols = append(cols, `(SELECT `+agg+`(`+expr+`, ',') FROM `+table+` WHERE person_id = p.id AND `+where+`)`)
	}
	fold("x", `area || ':' || level`, "roster_expertise", "TRUE")
	fold("l", `code || ':' || level`, "roster_languages", "TRUE")
	fold("pl", `kind || ':' || name`, "roster_places", "TRUE")
	fold("u", day(`start_date`)+` || ':' || `+day(`end_date`), "roster_unavailable", "TRUE")
	fold("d", `id || ':' || `+day(`start_date`)+` || ':' || `+day(`end_date`)+` || ':' || status`, "roster_deployments",
		`status IN `+holdingIn())
	access, args := rosterAccess(v)
	if len(ids) > 0 {
		access += ` AND p.id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	query := `SELECT p.id, p.name, p.kind, p.clearance, p.contract, ` + strings.Join(cols, ", ") + ` FROM roster_people p` +
		strings.Join(joins, "") + ` WHERE ` + access
	var ps []roster.Person
	err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		var (
			p                                     roster.Person
			kind, clear, contract                 string
			skills, langs, places, away, holdings sql.NullString
		)
		if err := rows.Scan(&p.ID, &p.Name, &kind, &clear, &contract, &skills, &langs, &places, &away, &holdings); err != nil {
			return err
		}
		p.Kind, p.Clearance, p.Contract = roster.Kind(kind), casework.Confidentiality(clear), roster.Contract(contract)
		if err := unfoldPerson(&p, skills.String, langs.String, places.String, away.String, holdings.String); err != nil {
			return fmt.Errorf("person %d: %w", p.ID, err)
		}
		ps = append(ps, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("people for matching: %w", err)
	}
	return ps, nil
}

// MatchVersions fingerprints what MatchPeople reads of each person v
// sees: the record's version (raised by every change to the person, their
// lists and unavailable periods) and their deployments' count, version
// sum and largest id.
func (db *DB) MatchVersions(ctx context.Context, v casework.Viewer) (map[int64]string, error) {
	access, args := rosterAccess(v)
	out := map[int64]string{}
	err := db.each(ctx, db.read, `SELECT p.id, p.version, coalesce(d.n, 0), coalesce(d.v, 0), coalesce(d.m, 0)
		FROM roster_people p LEFT JOIN (SELECT person_id, count(*) AS n, sum(version) AS v, max(id) AS m
			FROM roster_deployments GROUP BY person_id) d ON d.person_id = p.id
		WHERE `+access, args, func(rows *sql.Rows) error {
		var id, version, n, sum, maxID int64
		if err := rows.Scan(&id, &version, &n, &sum, &maxID); err != nil {
			return err
		}
		out[id] = strconv.FormatInt(version, 10) + "." + strconv.FormatInt(n, 10) + "." +
			strconv.FormatInt(sum, 10) + "." + strconv.FormatInt(maxID, 10)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("roster versions: %w", err)
	}
	return out, nil
}

// unfoldPerson fills p's lists from MatchPeople's folded columns: items
// separated by commas, fields by colons. No folded value holds either
// (area names, language codes and levels, ISO country codes, UN M49
// region names, dates, ids and statuses).
func unfoldPerson(p *roster.Person, skills, langs, places, away, holdings string) error {
	each := func(s string, n int, fn func(f []string) error) error {
		if s == "" {
			return nil
		}
		for item := range strings.SplitSeq(s, ",") {
			f := strings.SplitN(item, ":", n)
			if len(f) != n {
				return fmt.Errorf("folded item %q: want %d fields", item, n)
			}
			if err := fn(f); err != nil {
				return fmt.Errorf("folded item %q: %w", item, err)
			}
		}
		return nil
	}
	p.Expertise, p.Languages, p.Countries, p.Regions = []roster.Expertise{}, []roster.Language{}, []string{}, []string{}
	p.Unavailable, p.Deployments = []roster.Period{}, []roster.Deployment{}
	err := each(skills, 2, func(f []string) error {
		lv, err := strconv.Atoi(f[1])
		p.Expertise = append(p.Expertise, roster.Expertise{Area: roster.Area(f[0]), Level: lv})
		return err
	})
	if err != nil {
		return err
	}
	if err := each(langs, 2, func(f []string) error {
		p.Languages = append(p.Languages, roster.Language{Code: f[0], Level: roster.Level(f[1])})
		return nil
	}); err != nil {
		return err
	}
	if err := each(places, 2, func(f []string) error {
		if f[0] == "country" {
			p.Countries = append(p.Countries, f[1])
		} else {
			p.Regions = append(p.Regions, f[1])
		}
		return nil
	}); err != nil {
		return err
	}
	if err := each(away, 2, func(f []string) error {
		s, err := time.Parse(time.DateOnly, f[0])
		if err != nil {
			return err
		}
		e, err := time.Parse(time.DateOnly, f[1])
		p.Unavailable = append(p.Unavailable, roster.Period{Start: s, End: e})
		return err
	}); err != nil {
		return err
	}
	return each(holdings, 4, func(f []string) error {
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return err
		}
		s, err := time.Parse(time.DateOnly, f[1])
		if err != nil {
			return err
		}
		e, err := time.Parse(time.DateOnly, f[2])
		if err != nil {
			return err
		}
		p.Deployments = append(p.Deployments, roster.Deployment{ID: id, PersonID: p.ID, Start: s,
			Days: int(e.Sub(s).Hours()/24) + 1, Status: roster.Status(f[3])})
		return nil
	})
}
