package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Delivery statuses, in the order one delivery usually goes through them.
const (
	DeliveryQueued    = "queued"    // enqueued, not attempted yet
	DeliveryRetrying  = "retrying"  // an attempt failed; another will follow
	DeliveryDelivered = "delivered" // the receiver accepted it (final)
	DeliveryFailed    = "failed"    // given up: a permanent error or the last attempt (final)
)

// Delivery channels.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// Delivery is one entry of an alert's delivery log: one step of delivering
// one message to one webhook or mailbox.
type Delivery struct {
	ID         int64     `json:"id"`
	AlertID    int64     `json:"alert_id"`
	DeliveryID string    `json:"delivery_id"` // stable across the delivery's entries and attempts
	Event      string    `json:"event"`       // the message's lifecycle event, e.g. "firing"
	Receiver   string    `json:"receiver"`
	Channel    string    `json:"channel"` // webhook or email
	Target     string    `json:"target"`  // the webhook URL or the email address
	Attempt    int       `json:"attempt"` // 0 when queued, then 1, 2, …
	Status     string    `json:"status"`  // queued, retrying, delivered or failed
	HTTPStatus int       `json:"http_status,omitempty"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
}

// AppendDelivery adds an entry to the delivery log and returns its ID.
func (db *DB) AppendDelivery(ctx context.Context, d Delivery) (int64, error) {
	var id int64
	err := db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO deliveries
		(alert_id, delivery_id, event, receiver, channel, target, attempt, status, http_status, error, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		d.AlertID, d.DeliveryID, d.Event, d.Receiver, d.Channel, d.Target, d.Attempt, d.Status,
		d.HTTPStatus, d.Error, db.instantArg(d.At)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("append delivery %s: %w", d.DeliveryID, db.mapErr(err))
	}
	return id, nil
}

// AppendDeliveries adds entries to the delivery log in one transaction.
func (db *DB) AppendDeliveries(ctx context.Context, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append deliveries: %w", err)
	}
	defer tx.Rollback()
	const cols = 11
	for chunk := range slices.Chunk(ds, 500) {
		args := make([]any, 0, cols*len(chunk))
		for _, d := range chunk {
			args = append(args, d.AlertID, d.DeliveryID, d.Event, d.Receiver, d.Channel, d.Target, d.Attempt, d.Status,
				d.HTTPStatus, d.Error, db.instantArg(d.At))
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO deliveries
			(alert_id, delivery_id, event, receiver, channel, target, attempt, status, http_status, error, at)
			VALUES `+rowPlaceholders(len(chunk), cols)), args...); err != nil {
			return fmt.Errorf("append deliveries: %w", db.mapErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append deliveries: %w", err)
	}
	return nil
}

// QueuedDeliveries returns those of the given delivery ids whose log has a
// queued entry.
func (db *DB) QueuedDeliveries(ctx context.Context, deliveryIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for chunk := range slices.Chunk(deliveryIDs, 500) {
		args := []any{DeliveryQueued}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := db.write.QueryContext(ctx, db.d.rebind(`SELECT DISTINCT delivery_id FROM deliveries
			WHERE status = ? AND delivery_id IN (`+placeholders(len(chunk))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("queued deliveries: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("queued deliveries: %w", err)
			}
			out[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("queued deliveries: %w", err)
		}
	}
	return out, nil
}

// Deliveries returns an alert's delivery log, oldest entry first.
func (db *DB) Deliveries(ctx context.Context, alertID int64) ([]Delivery, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT
		id, alert_id, delivery_id, event, receiver, channel, target, attempt, status, http_status, error, at
		FROM deliveries WHERE alert_id = ? ORDER BY id`), alertID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of alert %d: %w", alertID, err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var (
			d  Delivery
			at any
		)
		if err := rows.Scan(&d.ID, &d.AlertID, &d.DeliveryID, &d.Event, &d.Receiver, &d.Channel, &d.Target,
			&d.Attempt, &d.Status, &d.HTTPStatus, &d.Error, &at); err != nil {
			return nil, fmt.Errorf("deliveries of alert %d: %w", alertID, err)
		}
		if d.At, err = scanTime(at); err != nil {
			return nil, fmt.Errorf("deliveries of alert %d: %w", alertID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("deliveries of alert %d: %w", alertID, err)
	}
	return out, nil
}

// DeliveryFinished reports whether the delivery with the given stable id
// has reached a final status (delivered or failed), and which. It reads
// through the write connection so that, on SQLite, it sees every entry
// committed before it.
func (db *DB) DeliveryFinished(ctx context.Context, deliveryID string) (status string, finished bool, err error) {
	err = db.write.QueryRowContext(ctx, db.d.rebind(`SELECT status FROM deliveries
		WHERE delivery_id = ? AND status IN (?, ?) ORDER BY id LIMIT 1`),
		deliveryID, DeliveryDelivered, DeliveryFailed).Scan(&status)
	switch err = db.mapErr(err); {
	case err == ErrNotFound:
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("delivery %s: %w", deliveryID, err)
	}
	return status, true, nil
}
