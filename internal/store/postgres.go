package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

func openPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16) // database/sql keeps 2 by default: under load the others would be reconnected per query
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &DB{d: postgresDialect(), write: db, read: db, url: url}, nil
}

func postgresDialect() dialect {
	return dialect{
		name:      "postgres",
		rebind:    rebindDollar,
		monthExpr: func(col string) string { return fmt.Sprintf("to_char(%s, 'YYYY-MM')", col) },
		weekExpr:  func(col string) string { return fmt.Sprintf(`to_char(%s, 'IYYY-"W"IW')`, col) },
		conflict: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && (pe.Code == "23505" /* unique_violation */)
		},
		diskFull: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "53100" /* disk_full */
		},
		xactLock: `SELECT pg_advisory_xact_lock(?)`,
	}
}
