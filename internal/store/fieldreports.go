package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/rules"
)

var _ fieldreport.Store = (*DB)(nil)

// reportErr makes ErrNotFound and ErrConflict also match fieldreport's
// sentinels.
func reportErr(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return bothErr{err, fieldreport.ErrNotFound}
	case errors.Is(err, ErrConflict):
		return bothErr{err, fieldreport.ErrConflict}
	}
	return err
}

const reportColumns = `id, status, what, country, admin1, place, latitude, longitude, date, involved, casualties,
	category, confidence, flash, reporter_kind, pseudonym, contact_sealed, contact_purged_at, org_id, channel,
	external_id, monitor_id, received_at, duplicate_of, event_id, version`

func scanReport(sc scanner) (fieldreport.Report, error) {
	var (
		r                         fieldreport.Report
		st, cat, conf, kind, pseu string
		lat, lon                  sql.NullFloat64
		cas                       sql.NullInt64
		date, flash, purged, recv any
	)
	r.Reporter = &fieldreport.Reporter{}
	if err := sc.Scan(&r.ID, &st, &r.What, &r.Country, &r.Admin1, &r.Place, &lat, &lon, &date, &r.Involved, &cas,
		&cat, &conf, &flash, &kind, &pseu, &r.SealedContact, &purged, &r.OrgID, &r.Channel,
		&r.ExternalID, &r.MonitorID, &recv, &r.DuplicateOf, &r.EventID, &r.Version); err != nil {
		return r, err
	}
	r.Status, r.Category, r.Confidence = fieldreport.Status(st), event.Category(cat), fieldreport.Confidence(conf)
	r.Latitude, r.Longitude, r.Flash = nullFloat(lat), nullFloat(lon), scanBool(flash)
	if cas.Valid {
		n := int(cas.Int64)
		r.Casualties = &n
	}
	r.Reporter.Kind, r.Reporter.Pseudonym, r.Reporter.HasContact = fieldreport.IdentityKind(kind), pseu, r.SealedContact != ""
	var err error
	if r.Date, err = scanDate(date); err != nil {
		return r, fmt.Errorf("field report %d: %w", r.ID, err)
	}
	if r.ReceivedAt, err = scanTime(recv); err != nil {
		return r, fmt.Errorf("field report %d: %w", r.ID, err)
	}
	if purged != nil {
		t, err := scanTime(purged)
		if err != nil {
			return r, fmt.Errorf("field report %d: %w", r.ID, err)
		}
		r.ContactPurgedAt = &t
	}
	return r, nil
}

// CreateFieldReport stores a new report, its attachments and its first
// history line in one transaction.
func (db *DB) CreateFieldReport(ctx context.Context, r fieldreport.Report, atts []fieldreport.Attached, data [][]byte) (fieldreport.Report, error) {
	if len(atts) != len(data) {
		return fieldreport.Report{}, fmt.Errorf("store field report: %d attachments, %d contents", len(atts), len(data))
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fieldreport.Report{}, err
	}
	defer tx.Rollback()
	p := r.Reporter
	if p == nil {
		p = &fieldreport.Reporter{Kind: fieldreport.Anonymous}
	}
	var cas any
	if r.Casualties != nil {
		cas = *r.Casualties
	}
	err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO field_reports (status, what, country, admin1, place,
		latitude, longitude, date, involved, casualties, category, confidence, flash, reporter_kind, pseudonym,
		contact_sealed, org_id, channel, external_id, monitor_id, received_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
		string(r.Status), r.What, r.Country, r.Admin1, r.Place, floatArg(r.Latitude), floatArg(r.Longitude),
		dateArg(r.Date), r.Involved, cas, string(r.Category), string(r.Confidence), r.Flash, string(p.Kind),
		p.Pseudonym, r.SealedContact, r.OrgID, r.Channel, r.ExternalID, r.MonitorID, db.instantArg(r.ReceivedAt)).Scan(&r.ID)
	if err != nil {
		return fieldreport.Report{}, reportErr(fmt.Errorf("insert field report: %w", db.mapErr(err)))
	}
	for _, c := range r.History {
		if err := db.addReportChange(ctx, tx, r.ID, c); err != nil {
			return fieldreport.Report{}, err
		}
	}
	for i, a := range atts {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO field_report_attachments (report_id, name, type,
			size, sha256, note, data) VALUES (?, ?, ?, ?, ?, ?, ?)`), r.ID, a.Name, a.Type, a.Size, a.SHA256, a.Note,
			data[i]); err != nil {
			return fieldreport.Report{}, fmt.Errorf("insert attachment: %w", db.mapErr(err))
		}
	}
	out, err := db.fieldReport(ctx, tx, r.ID)
	if err != nil {
		return fieldreport.Report{}, err
	}
	return out, tx.Commit()
}

func (db *DB) addReportChange(ctx context.Context, tx *sql.Tx, id int64, c fieldreport.Change) error {
	_, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO field_report_history (report_id, from_status, to_status,
		actor, reason, evidence, at) VALUES (?, ?, ?, ?, ?, ?, ?)`), id, string(c.From), string(c.To), c.Actor,
		c.Reason, c.Evidence, db.instantArg(c.At))
	if err != nil {
		return fmt.Errorf("insert field report history: %w", db.mapErr(err))
	}
	return nil
}

// FieldReport returns one report with its attachments, links and history.
func (db *DB) FieldReport(ctx context.Context, id int64) (fieldreport.Report, error) {
	return db.fieldReport(ctx, db.read, id)
}

func (db *DB) fieldReport(ctx context.Context, q querier, id int64) (fieldreport.Report, error) {
	r, err := scanReport(q.QueryRowContext(ctx, db.d.rebind(`SELECT `+reportColumns+` FROM field_reports WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, reportErr(fmt.Errorf("field report %d: %w", id, ErrNotFound))
	} else if err != nil {
		return r, err
	}
	rs := []fieldreport.Report{r}
	if err := db.fillReports(ctx, q, rs, true); err != nil {
		return r, err
	}
	return rs[0], nil
}

// fillReports reads the reports' links and attachments (and, with
// history, their verification histories).
func (db *DB) fillReports(ctx context.Context, q querier, rs []fieldreport.Report, history bool) error {
	idx := make(map[int64]*fieldreport.Report, len(rs))
	for i := range rs {
		rs[i].Links, rs[i].Attachments = []fieldreport.Link{}, []fieldreport.Attached{}
		idx[rs[i].ID] = &rs[i]
	}
	for start := 0; start < len(rs); start += 500 {
		chunk := rs[start:min(start+500, len(rs))]
		in := `IN (` + placeholders(len(chunk)) + `)`
		ids := make([]any, 0, len(chunk))
		for _, r := range chunk {
			ids = append(ids, r.ID)
		}
		if err := db.each(ctx, q, `SELECT report_id, event_key, linked_report, score, reason FROM field_report_links
			WHERE report_id `+in+` ORDER BY report_id, score DESC, event_key, linked_report`, ids, func(rows *sql.Rows) error {
			var (
				id int64
				l  fieldreport.Link
			)
			err := rows.Scan(&id, &l.Event, &l.Report, &l.Score, &l.Reason)
			idx[id].Links = append(idx[id].Links, l)
			return err
		}); err != nil {
			return fmt.Errorf("field report links: %w", err)
		}
		if err := db.each(ctx, q, `SELECT report_id, id, name, type, size, sha256, note FROM field_report_attachments
			WHERE report_id `+in+` ORDER BY report_id, id`, ids, func(rows *sql.Rows) error {
			var (
				id int64
				a  fieldreport.Attached
			)
			err := rows.Scan(&id, &a.ID, &a.Name, &a.Type, &a.Size, &a.SHA256, &a.Note)
			idx[id].Attachments = append(idx[id].Attachments, a)
			return err
		}); err != nil {
			return fmt.Errorf("field report attachments: %w", err)
		}
		if !history {
			continue
		}
		if err := db.each(ctx, q, `SELECT report_id, from_status, to_status, actor, reason, evidence, at
			FROM field_report_history WHERE report_id `+in+` ORDER BY report_id, id`, ids, func(rows *sql.Rows) error {
			var (
				id       int64
				c        fieldreport.Change
				from, to string
				at       any
			)
			if err := rows.Scan(&id, &from, &to, &c.Actor, &c.Reason, &c.Evidence, &at); err != nil {
				return err
			}
			c.From, c.To = fieldreport.Status(from), fieldreport.Status(to)
			var err error
			c.At, err = scanTime(at)
			idx[id].History = append(idx[id].History, c)
			return err
		}); err != nil {
			return fmt.Errorf("field report history: %w", err)
		}
	}
	return nil
}

// FieldReports returns the reports q selects, newest received first.
func (db *DB) FieldReports(ctx context.Context, q fieldreport.Query) ([]fieldreport.Report, error) {
	var (
		where []string
		args  []any
	)
	if len(q.Status) > 0 {
		where = append(where, `status IN (`+placeholders(len(q.Status))+`)`)
		for _, s := range q.Status {
			args = append(args, string(s))
		}
	}
	if q.Country != "" {
		where, args = append(where, `country = ?`), append(args, q.Country)
	}
	if q.Admin1 != "" {
		where, args = append(where, `lower(admin1) = lower(?)`), append(args, q.Admin1)
	}
	if !q.Since.IsZero() {
		where, args = append(where, `received_at >= ?`), append(args, db.instantArg(q.Since))
	}
	query := `SELECT ` + reportColumns + ` FROM field_reports`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query += fmt.Sprintf(` ORDER BY received_at DESC, id DESC LIMIT %d`, limit)
	var rs []fieldreport.Report
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		r, err := scanReport(rows)
		rs = append(rs, r)
		return err
	}); err != nil {
		return nil, fmt.Errorf("field reports: %w", err)
	}
	if rs == nil {
		return []fieldreport.Report{}, nil
	}
	return rs, db.fillReports(ctx, db.read, rs, false)
}

var _ rules.UnverifiedSource = (*DB)(nil)

// RuleUnverifiedReports returns the field reports still in verification
// (unverified or under review) that q selects, as the events they would
// become (see rules.UnverifiedSource), by date and id. Events carry no
// reporter.
func (db *DB) RuleUnverifiedReports(ctx context.Context, q rules.EventQuery) ([]event.Event, error) {
	where := []string{`status IN (?, ?)`}
	args := []any{string(fieldreport.Unverified), string(fieldreport.UnderReview)}
	if q.Countries != nil {
		if len(q.Countries) == 0 {
			return nil, nil
		}
		where = append(where, `country IN (`+placeholders(len(q.Countries))+`)`)
		for _, c := range q.Countries {
			args = append(args, strings.ToUpper(c))
		}
	}
	if q.Categories != nil {
		if len(q.Categories) == 0 {
			return nil, nil
		}
		where = append(where, `category IN (`+placeholders(len(q.Categories))+`)`)
		for _, c := range q.Categories {
			args = append(args, string(c))
		}
	}
	if !q.From.IsZero() {
		where, args = append(where, `date >= ?`), append(args, dateArg(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, `date <= ?`), append(args, dateArg(q.To))
	}
	if q.MinFatalities > 0 {
		where, args = append(where, `casualties >= ?`), append(args, q.MinFatalities)
	}
	query := `SELECT ` + reportColumns + ` FROM field_reports WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY date, id`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	var out []event.Event
	if err := db.each(ctx, db.read, query, args, func(rows *sql.Rows) error {
		r, err := scanReport(rows)
		if err != nil {
			return err
		}
		out = append(out, fieldreport.PendingEvent(r))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("unverified field reports: %w", err)
	}
	return out, nil
}

// TransitionFieldReport records a verification step if the report's
// version is still version.
func (db *DB) TransitionFieldReport(ctx context.Context, id, version int64, c fieldreport.Change, duplicateOf int64, eventID string) (fieldreport.Report, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fieldreport.Report{}, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE field_reports SET status = ?, version = version + 1,
		duplicate_of = CASE WHEN ? <> 0 THEN ? ELSE duplicate_of END,
		event_id = CASE WHEN ? <> '' THEN ? ELSE event_id END
		WHERE id = ? AND version = ? AND status = ?`), string(c.To), duplicateOf, duplicateOf, eventID, eventID,
		id, version, string(c.From))
	if err != nil {
		return fieldreport.Report{}, fmt.Errorf("update field report %d: %w", id, db.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fieldreport.Report{}, err
	} else if n == 0 {
		if _, err := db.fieldReport(ctx, tx, id); err != nil {
			return fieldreport.Report{}, err
		}
		return fieldreport.Report{}, reportErr(fmt.Errorf("field report %d: %w", id, ErrConflict))
	}
	if err := db.addReportChange(ctx, tx, id, c); err != nil {
		return fieldreport.Report{}, err
	}
	out, err := db.fieldReport(ctx, tx, id)
	if err != nil {
		return fieldreport.Report{}, err
	}
	return out, tx.Commit()
}

// SetFieldReportLinks replaces a report's fusion links.
func (db *DB) SetFieldReportLinks(ctx context.Context, id int64, links []fieldreport.Link) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM field_report_links WHERE report_id = ?`), id); err != nil {
		return fmt.Errorf("delete links: %w", db.mapErr(err))
	}
	for _, l := range links {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO field_report_links (report_id, event_key,
			linked_report, score, reason) VALUES (?, ?, ?, ?, ?)`), id, l.Event, l.Report, l.Score, l.Reason); err != nil {
			return fmt.Errorf("insert link: %w", db.mapErr(err))
		}
	}
	return tx.Commit()
}

// FusionCandidates returns the events of country (field reports' own
// events aside) and its other reports not rejected whose dates overlap
// [from, to].
func (db *DB) FusionCandidates(ctx context.Context, country string, from, to time.Time, except int64) ([]fieldreport.Candidate, error) {
	var out []fieldreport.Candidate
	err := db.each(ctx, db.read, `SELECT source, source_id, admin1, place, latitude, longitude, date_start, date_end, category
		FROM events WHERE country = ? AND date_start <= ? AND date_end >= ? AND source <> ?`,
		[]any{country, dateArg(to), dateArg(from), string(event.FieldReport)}, func(rows *sql.Rows) error {
			var (
				c        fieldreport.Candidate
				src, cat string
				lat, lon sql.NullFloat64
				ds, de   any
			)
			if err := rows.Scan(&src, &c.Event.SourceID, &c.Admin1, &c.Place, &lat, &lon, &ds, &de, &cat); err != nil {
				return err
			}
			c.Event.Source, c.Category, c.Country = event.Source(src), event.Category(cat), country
			c.Lat, c.Lon = nullFloat(lat), nullFloat(lon)
			var err error
			if c.Date, err = scanDate(ds); err != nil {
				return err
			}
			c.DateEnd, err = scanDate(de)
			out = append(out, c)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("fusion events: %w", err)
	}
	err = db.each(ctx, db.read, `SELECT id, admin1, place, latitude, longitude, date, category FROM field_reports
		WHERE country = ? AND date BETWEEN ? AND ? AND id <> ? AND status <> 'rejected'`,
		[]any{country, dateArg(from), dateArg(to), except}, func(rows *sql.Rows) error {
			var (
				c        fieldreport.Candidate
				cat      string
				lat, lon sql.NullFloat64
				d        any
			)
			if err := rows.Scan(&c.Report, &c.Admin1, &c.Place, &lat, &lon, &d, &cat); err != nil {
				return err
			}
			c.Category, c.Country, c.Lat, c.Lon = event.Category(cat), country, nullFloat(lat), nullFloat(lon)
			var err error
			c.Date, err = scanDate(d)
			out = append(out, c)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("fusion reports: %w", err)
	}
	return out, nil
}

// FieldReportAttachment returns one attachment of a report.
func (db *DB) FieldReportAttachment(ctx context.Context, reportID, id int64) (fieldreport.Attached, []byte, error) {
	var (
		a    fieldreport.Attached
		data any
	)
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT id, name, type, size, sha256, note, data
		FROM field_report_attachments WHERE report_id = ? AND id = ?`), reportID, id).
		Scan(&a.ID, &a.Name, &a.Type, &a.Size, &a.SHA256, &a.Note, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil, reportErr(fmt.Errorf("attachment %d of field report %d: %w", id, reportID, ErrNotFound))
	} else if err != nil {
		return a, nil, err
	}
	return a, scanBytes(data), nil
}

// PurgeFieldReportContacts deletes contact details received before
// before.
func (db *DB) PurgeFieldReportContacts(ctx context.Context, before, at time.Time) ([]int64, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var ids []int64
	if err := db.each(ctx, tx, `SELECT id FROM field_reports WHERE contact_sealed <> '' AND received_at < ? ORDER BY id`,
		[]any{db.instantArg(before)}, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			ids = append(ids, id)
			return err
		}); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE field_reports SET contact_sealed = '', contact_purged_at = ?,
		version = version + 1 WHERE contact_sealed <> '' AND received_at < ?`), db.instantArg(at), db.instantArg(before)); err != nil {
		return nil, fmt.Errorf("purge contacts: %w", db.mapErr(err))
	}
	return ids, tx.Commit()
}

// SaveMonitor inserts (ID 0) or replaces a field monitor and its areas.
func (db *DB) SaveMonitor(ctx context.Context, m fieldreport.Monitor) (fieldreport.Monitor, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return m, err
	}
	defer tx.Rollback()
	if m.ID == 0 {
		err = tx.QueryRowContext(ctx, db.d.rebind(`INSERT INTO field_monitors (name, org_id, interval_days, active)
			VALUES (?, ?, ?, ?) RETURNING id`), m.Name, m.OrgID, m.IntervalDays, m.Active).Scan(&m.ID)
	} else {
		var res sql.Result
		res, err = tx.ExecContext(ctx, db.d.rebind(`UPDATE field_monitors SET name = ?, org_id = ?, interval_days = ?,
			active = ? WHERE id = ?`), m.Name, m.OrgID, m.IntervalDays, m.Active, m.ID)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return m, reportErr(fmt.Errorf("field monitor %d: %w", m.ID, ErrNotFound))
			}
		}
	}
	if err != nil {
		return m, fmt.Errorf("save field monitor: %w", db.mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM field_monitor_areas WHERE monitor_id = ?`), m.ID); err != nil {
		return m, db.mapErr(err)
	}
	seen := map[fieldreport.Area]bool{}
	for _, a := range m.Areas {
		if seen[a] {
			continue
		}
		seen[a] = true
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO field_monitor_areas (monitor_id, country, admin1)
			VALUES (?, ?, ?)`), m.ID, a.Country, a.Admin1); err != nil {
			return m, fmt.Errorf("save field monitor area: %w", db.mapErr(err))
		}
	}
	return m, tx.Commit()
}

// Monitors returns every field monitor with its areas and last report.
func (db *DB) Monitors(ctx context.Context) ([]fieldreport.Monitor, error) {
	var ms []fieldreport.Monitor
	idx := map[int64]int{}
	err := db.each(ctx, db.read, `SELECT m.id, m.name, m.org_id, m.interval_days, m.active,
		(SELECT MAX(r.received_at) FROM field_reports r WHERE r.monitor_id = m.id)
		FROM field_monitors m ORDER BY m.id`, nil, func(rows *sql.Rows) error {
		var (
			m            fieldreport.Monitor
			active, last any
		)
		if err := rows.Scan(&m.ID, &m.Name, &m.OrgID, &m.IntervalDays, &active, &last); err != nil {
			return err
		}
		m.Active, m.Areas = scanBool(active), []fieldreport.Area{}
		if last != nil {
			t, err := scanTime(last)
			if err != nil {
				return err
			}
			m.LastReport = &t
		}
		idx[m.ID] = len(ms)
		ms = append(ms, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("field monitors: %w", err)
	}
	err = db.each(ctx, db.read, `SELECT monitor_id, country, admin1 FROM field_monitor_areas ORDER BY monitor_id, country, admin1`,
		nil, func(rows *sql.Rows) error {
			var (
				id int64
				a  fieldreport.Area
			)
			err := rows.Scan(&id, &a.Country, &a.Admin1)
			if i, ok := idx[id]; ok {
				ms[i].Areas = append(ms[i].Areas, a)
			}
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("field monitor areas: %w", err)
	}
	if ms == nil {
		ms = []fieldreport.Monitor{}
	}
	return ms, nil
}

// LastReports returns when the last report of each country and admin-1
// area was received.
func (db *DB) LastReports(ctx context.Context) (map[fieldreport.Area]time.Time, error) {
	out := map[fieldreport.Area]time.Time{}
	err := db.each(ctx, db.read, `SELECT country, admin1, MAX(received_at) FROM field_reports GROUP BY country, admin1`,
		nil, func(rows *sql.Rows) error {
			var (
				a    fieldreport.Area
				last any
			)
			if err := rows.Scan(&a.Country, &a.Admin1, &last); err != nil {
				return err
			}
			t, err := scanTime(last)
			out[a] = t
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("last field reports: %w", err)
	}
	return out, nil
}
