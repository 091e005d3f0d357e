package store

import (
	"context"
	"fmt"
	"time"
)

// LatestEventDay returns the start day of the newest stored event, zero
// when there is none. The warning pipeline takes it as the data's "now".
func (db *DB) LatestEventDay(ctx context.Context) (time.Time, error) {
	var day any
	if err := db.read.QueryRowContext(ctx, `SELECT MAX(date_start) FROM events`).Scan(&day); err != nil {
		return time.Time{}, fmt.Errorf("latest event day: %w", err)
	}
	if day == nil {
		return time.Time{}, nil
	}
	t, err := scanDate(day)
	if err != nil {
		return time.Time{}, fmt.Errorf("latest event day: %w", err)
	}
	return t, nil
}
