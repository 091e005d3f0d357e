package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"threshold/internal/alert"
)

var _ alert.Store = (*DB)(nil)

// alertColumns are the columns scanAlert reads, in its order.
const alertColumns = `id, fingerprint, rule, rule_version, severity, labels, country, admin1, group_key,
	window_start, window_end, first_window_start, first_window_end, score, title, explanation, indicator,
	evidence, events, receivers, state, silenced_by, assignee, fired_at, last_seen_at, cleared_at,
	acknowledged_at, acknowledged_by, actioned_at, actioned_by, action_note, dismissed_at, dismissed_by,
	dismiss_reason, resolved_at, resolved_by, notified_at, notified_severity, updated_at, version`

// alertWritten are the columns SaveAlerts writes, id, notified_at and
// notified_severity aside: those are MarkNotified's alone, so that a
// lifecycle change racing with delivery never writes them back.
var alertWritten = []string{"fingerprint", "rule", "rule_version", "severity", "labels", "country", "admin1", "group_key",
	"window_start", "window_end", "first_window_start", "first_window_end", "score", "title", "explanation", "indicator",
	"evidence", "events", "receivers", "state", "silenced_by", "assignee", "fired_at", "last_seen_at", "cleared_at",
	"acknowledged_at", "acknowledged_by", "actioned_at", "actioned_by", "action_note", "dismissed_at", "dismissed_by",
	"dismiss_reason", "resolved_at", "resolved_by", "updated_at", "version"}

// alertErr makes ErrNotFound and ErrConflict also match the sentinels of
// alert.Store's contract.
func alertErr(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return bothErr{err, alert.ErrNotFound}
	case errors.Is(err, ErrConflict):
		return bothErr{err, alert.ErrConflict}
	}
	return err
}

func jsonArg(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if s := string(b); s != "null" {
		return s, nil
	}
	return empty, nil
}

// alertArgs are a's values for alertWritten.
func (db *DB) alertArgs(a alert.Alert) ([]any, error) {
	labels, err := jsonArg(a.Labels, "{}")
	if err != nil {
		return nil, fmt.Errorf("alert labels: %w", err)
	}
	evidence, err := jsonArg(a.Evidence, "[]")
	if err != nil {
		return nil, fmt.Errorf("alert evidence: %w", err)
	}
	events, err := jsonArg(a.Events, "[]")
	if err != nil {
		return nil, fmt.Errorf("alert events: %w", err)
	}
	receivers, err := jsonArg(a.Receivers, "[]")
	if err != nil {
		return nil, fmt.Errorf("alert receivers: %w", err)
	}
	var silencedBy any
	if a.SilencedBy != 0 {
		silencedBy = a.SilencedBy
	}
	return []any{a.Fingerprint, a.Rule, a.RuleVersion, string(a.Severity), labels, a.Country, a.Admin1, a.Group,
		dateArg(a.Window.Start), dateArg(a.Window.End), dateArg(a.FirstWindow.Start), dateArg(a.FirstWindow.End),
		a.Score, a.Title, a.Explanation, a.Indicator, evidence, events, receivers, string(a.State), silencedBy, a.Assignee,
		db.instantArg(a.FiredAt), db.instantArg(a.LastSeenAt), db.nullInstantArg(a.ClearedAt),
		db.nullInstantArg(a.AcknowledgedAt), a.AcknowledgedBy, db.nullInstantArg(a.ActionedAt), a.ActionedBy, a.ActionNote,
		db.nullInstantArg(a.DismissedAt), a.DismissedBy, a.DismissReason, db.nullInstantArg(a.ResolvedAt), a.ResolvedBy,
		db.instantArg(a.UpdatedAt), a.Version}, nil
}

func scanAlert(sc scanner) (alert.Alert, error) {
	var (
		a                                      alert.Alert
		labels, evidence, events, receivers    string
		ws, we, fws, fwe                       any
		fired, seen, cleared, acked, actioned  any
		dismissed, resolved, notified, updated any
		silencedBy                             sql.NullInt64
	)
	err := sc.Scan(&a.ID, &a.Fingerprint, &a.Rule, &a.RuleVersion, &a.Severity, &labels, &a.Country, &a.Admin1, &a.Group,
		&ws, &we, &fws, &fwe, &a.Score, &a.Title, &a.Explanation, &a.Indicator,
		&evidence, &events, &receivers, &a.State, &silencedBy, &a.Assignee, &fired, &seen, &cleared,
		&acked, &a.AcknowledgedBy, &actioned, &a.ActionedBy, &a.ActionNote, &dismissed, &a.DismissedBy,
		&a.DismissReason, &resolved, &a.ResolvedBy, &notified, &a.NotifiedSeverity, &updated, &a.Version)
	if err != nil {
		return alert.Alert{}, err
	}
	a.SilencedBy = silencedBy.Int64
	for _, d := range []struct {
		dst *time.Time
		v   any
	}{{&a.Window.Start, ws}, {&a.Window.End, we}, {&a.FirstWindow.Start, fws}, {&a.FirstWindow.End, fwe}} {
		if *d.dst, err = scanDate(d.v); err != nil {
			return alert.Alert{}, fmt.Errorf("alert %d: window: %w", a.ID, err)
		}
	}
	for _, t := range []struct {
		dst *time.Time
		v   any
	}{{&a.FiredAt, fired}, {&a.LastSeenAt, seen}, {&a.ClearedAt, cleared}, {&a.AcknowledgedAt, acked},
		{&a.ActionedAt, actioned}, {&a.DismissedAt, dismissed}, {&a.ResolvedAt, resolved}, {&a.NotifiedAt, notified},
		{&a.UpdatedAt, updated}} {
		if *t.dst, err = scanTime(t.v); err != nil {
			return alert.Alert{}, fmt.Errorf("alert %d: %w", a.ID, err)
		}
	}
	for _, j := range []struct {
		name, text string
		dst        any
	}{{"labels", labels, &a.Labels}, {"evidence", evidence, &a.Evidence}, {"events", events, &a.Events},
		{"receivers", receivers, &a.Receivers}} {
		if err := json.Unmarshal([]byte(j.text), j.dst); err != nil {
			return alert.Alert{}, fmt.Errorf("alert %d: %s: %w", a.ID, j.name, err)
		}
	}
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(a.Evidence) == 0 {
		a.Evidence = nil
	}
	if len(a.Events) == 0 {
		a.Events = nil
	}
	if len(a.Receivers) == 0 {
		a.Receivers = nil
	}
	return a, nil
}

// SaveAlerts inserts the alerts with ID 0 and updates the others, each
// only if its Version is still the stored one, with their history, in one
// transaction. The partial unique index on fingerprint refuses a second
// alert of an episode that is not resolved (ErrConflict).
func (db *DB) SaveAlerts(ctx context.Context, ws []alert.Write) ([]alert.Alert, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	placeholders := strings.TrimSuffix(strings.Repeat("?, ", len(alertWritten)), ", ")
	insert := db.d.rebind(`INSERT INTO alerts (` + strings.Join(alertWritten, ", ") + `) VALUES (` + placeholders + `) RETURNING id`)
	update := db.d.rebind(`UPDATE alerts SET ` + strings.Join(alertWritten, " = ?, ") + ` = ? WHERE id = ? AND version = ?`)
	history := db.d.rebind(`INSERT INTO alert_history (alert_id, action, from_state, to_state, actor, note, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	out := make([]alert.Alert, 0, len(ws))
	for _, w := range ws {
		a := w.Alert
		read := a.Version
		a.Version++
		args, err := db.alertArgs(a)
		if err != nil {
			return nil, fmt.Errorf("alert %s: %w", a.Fingerprint, err)
		}
		if a.ID == 0 {
			if err := tx.QueryRowContext(ctx, insert, args...).Scan(&a.ID); err != nil {
				return nil, alertErr(fmt.Errorf("insert alert %s: %w", a.Fingerprint, db.mapErr(err)))
			}
		} else {
			res, err := tx.ExecContext(ctx, update, append(args, a.ID, read)...)
			if err != nil {
				return nil, alertErr(fmt.Errorf("update alert %d: %w", a.ID, db.mapErr(err)))
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, err
			} else if n == 0 {
				return nil, alertErr(fmt.Errorf("update alert %d at version %d: %w", a.ID, read, ErrConflict))
			}
		}
		for _, h := range w.History {
			if _, err := tx.ExecContext(ctx, history, a.ID, string(h.Action), string(h.From), string(h.To), h.Actor, h.Note,
				db.instantArg(h.At)); err != nil {
				return nil, fmt.Errorf("alert %d history: %w", a.ID, db.mapErr(err))
			}
		}
		out = append(out, a)
	}
	if err := tx.Commit(); err != nil {
		return nil, alertErr(db.mapErr(err))
	}
	return out, nil
}

// OpenAlerts returns every alert that is not resolved, by ID.
func (db *DB) OpenAlerts(ctx context.Context) ([]alert.Alert, error) {
	return db.queryAlerts(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' ORDER BY id`)
}

// PendingNotifications returns the open, unsilenced alerts not yet handed
// to the notifier at their severity, by ID.
func (db *DB) PendingNotifications(ctx context.Context) ([]alert.Alert, error) {
	return db.queryAlerts(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE silenced_by IS NULL AND state <> 'resolved' AND (notified_at IS NULL OR notified_severity <> severity)
		ORDER BY id`)
}

// MarkNotified records, in one transaction, the alerts handed to the
// notifier and the severity each was handed over at; notified_at keeps
// the first time.
func (db *DB) MarkNotified(ctx context.Context, sent []alert.Notified, at time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	q := db.d.rebind(`UPDATE alerts SET notified_at = COALESCE(notified_at, ?), notified_severity = ? WHERE id = ?`)
	for _, n := range sent {
		if _, err := tx.ExecContext(ctx, q, db.instantArg(at), string(n.Severity), n.ID); err != nil {
			return fmt.Errorf("mark alert %d notified: %w", n.ID, err)
		}
	}
	return tx.Commit()
}

// ResolvedWindowEnds returns, for each fingerprint with resolved alerts,
// the latest window end among them.
func (db *DB) ResolvedWindowEnds(ctx context.Context, fingerprints []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for len(fingerprints) > 0 {
		chunk := fingerprints[:min(len(fingerprints), 500)]
		fingerprints = fingerprints[len(chunk):]
		args := make([]any, 0, len(chunk))
		for _, fp := range chunk {
			args = append(args, fp)
		}
		q := `SELECT fingerprint, MAX(window_end) FROM alerts WHERE state = 'resolved' AND fingerprint IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") + `) GROUP BY fingerprint`
		rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				fp  string
				end any
			)
			if err := rows.Scan(&fp, &end); err != nil {
				rows.Close()
				return nil, err
			}
			if out[fp], err = scanDate(end); err != nil {
				rows.Close()
				return nil, fmt.Errorf("resolved window of %s: %w", fp, err)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Alert returns one alert.
func (db *DB) Alert(ctx context.Context, id int64) (alert.Alert, error) {
	a, err := scanAlert(db.read.QueryRowContext(ctx, db.d.rebind(`SELECT `+alertColumns+` FROM alerts WHERE id = ?`), id))
	if err != nil {
		return alert.Alert{}, alertErr(db.mapErr(err))
	}
	return a, nil
}

// AlertHistory returns an alert's history, oldest first. An alert always
// has at least the line of its opening; no lines means no such alert
// (ErrNotFound).
func (db *DB) AlertHistory(ctx context.Context, id int64) ([]alert.Transition, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT id, alert_id, action, from_state, to_state, actor, note, at
		FROM alert_history WHERE alert_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alert.Transition{}
	for rows.Next() {
		var (
			t  alert.Transition
			at any
		)
		if err := rows.Scan(&t.ID, &t.AlertID, &t.Action, &t.From, &t.To, &t.Actor, &t.Note, &at); err != nil {
			return nil, err
		}
		if t.At, err = scanTime(at); err != nil {
			return nil, fmt.Errorf("alert %d history %d: %w", id, t.ID, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, alertErr(ErrNotFound)
	}
	return out, nil
}

// Alerts returns the alerts q selects, newest (highest ID) first.
func (db *DB) Alerts(ctx context.Context, q alert.Query) ([]alert.Alert, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if len(q.States) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(q.States)), ", ")
		vs := make([]any, 0, len(q.States))
		for _, s := range q.States {
			vs = append(vs, string(s))
		}
		add(`state IN (`+ph+`)`, vs...)
	}
	if q.Open {
		add(`state <> 'resolved'`)
	}
	if q.Country != "" {
		add(`country = ?`, q.Country)
	}
	if q.Group != "" {
		add(`group_key = ?`, q.Group)
	}
	if q.Severity != "" {
		add(`severity = ?`, string(q.Severity))
	}
	if q.Rule != "" {
		add(`rule = ?`, q.Rule)
	}
	if q.Assignee != "" {
		add(`assignee = ?`, strings.ToLower(q.Assignee))
	}
	if q.Before > 0 {
		add(`id < ?`, q.Before)
	}
	sqlq := `SELECT ` + alertColumns + ` FROM alerts`
	if len(where) > 0 {
		sqlq += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sqlq += ` ORDER BY id DESC`
	if q.Limit > 0 {
		sqlq += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	return db.queryAlerts(ctx, sqlq, args...)
}

func (db *DB) queryAlerts(ctx context.Context, q string, args ...any) ([]alert.Alert, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alert.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

const silenceColumns = `id, match_rule, match_country, match_admin1, match_severity, match_labels,
	starts_at, ends_at, created_by, comment, created_at, expired_by`

func scanSilence(sc scanner) (alert.Silence, error) {
	var (
		s                alert.Silence
		labels           string
		starts, ends, cr any
	)
	if err := sc.Scan(&s.ID, &s.Matchers.Rule, &s.Matchers.Country, &s.Matchers.Admin1, &s.Matchers.Severity, &labels,
		&starts, &ends, &s.CreatedBy, &s.Comment, &cr, &s.ExpiredBy); err != nil {
		return alert.Silence{}, err
	}
	if err := json.Unmarshal([]byte(labels), &s.Matchers.Labels); err != nil {
		return alert.Silence{}, fmt.Errorf("silence %d: labels: %w", s.ID, err)
	}
	if len(s.Matchers.Labels) == 0 {
		s.Matchers.Labels = nil
	}
	var err error
	for _, t := range []struct {
		dst *time.Time
		v   any
	}{{&s.StartsAt, starts}, {&s.EndsAt, ends}, {&s.CreatedAt, cr}} {
		if *t.dst, err = scanTime(t.v); err != nil {
			return alert.Silence{}, fmt.Errorf("silence %d: %w", s.ID, err)
		}
	}
	return s, nil
}

// AddSilence stores a silence and returns it with its ID.
func (db *DB) AddSilence(ctx context.Context, s alert.Silence) (alert.Silence, error) {
	labels, err := jsonArg(s.Matchers.Labels, "{}")
	if err != nil {
		return alert.Silence{}, fmt.Errorf("silence labels: %w", err)
	}
	err = db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO silences
		(match_rule, match_country, match_admin1, match_severity, match_labels, starts_at, ends_at, created_by, comment, created_at, expired_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		s.Matchers.Rule, s.Matchers.Country, s.Matchers.Admin1, string(s.Matchers.Severity), labels,
		db.instantArg(s.StartsAt), db.instantArg(s.EndsAt), s.CreatedBy, s.Comment, db.instantArg(s.CreatedAt), s.ExpiredBy).Scan(&s.ID)
	if err != nil {
		return alert.Silence{}, alertErr(db.mapErr(err))
	}
	return s, nil
}

// Silences returns the silences q selects, newest first.
func (db *DB) Silences(ctx context.Context, q alert.SilenceQuery) ([]alert.Silence, error) {
	sqlq := `SELECT ` + silenceColumns + ` FROM silences`
	var args []any
	switch {
	case q.Active:
		sqlq += ` WHERE starts_at <= ? AND ends_at > ?`
		args = append(args, db.instantArg(q.At), db.instantArg(q.At))
	case q.Expired:
		sqlq += ` WHERE ends_at <= ?`
		args = append(args, db.instantArg(q.At))
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(sqlq+` ORDER BY id DESC`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alert.Silence{}
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ExpireSilence ends silence id at at, unless it has already ended.
func (db *DB) ExpireSilence(ctx context.Context, id int64, by string, at time.Time) (alert.Silence, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return alert.Silence{}, err
	}
	defer tx.Rollback()
	s, err := scanSilence(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+silenceColumns+` FROM silences WHERE id = ?`), id))
	if err != nil {
		return alert.Silence{}, alertErr(db.mapErr(err))
	}
	if !s.EndsAt.After(at) {
		return alert.Silence{}, fmt.Errorf("%w: silence %d already ended at %s", alert.ErrInvalid, id, s.EndsAt.Format(time.RFC3339))
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE silences SET ends_at = ?, expired_by = ? WHERE id = ?`),
		db.instantArg(at), by, id); err != nil {
		return alert.Silence{}, err
	}
	if err := tx.Commit(); err != nil {
		return alert.Silence{}, err
	}
	s.EndsAt, s.ExpiredBy = at.UTC(), by
	return s, nil
}
