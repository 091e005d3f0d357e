package main

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"threshold/internal/store"
)

// pgSchema creates a fresh schema in the database at base and returns its
// name, a URL whose search_path is that schema, and a function that drops
// it.
func pgSchema(ctx context.Context, base string) (name, u string, drop func() error, err error) {
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", "", nil, fmt.Errorf("connect %s: %w", store.MaskURL(base), err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name = "bench_ingest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop = func() error {
		a, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return err
		}
		defer a.Close(context.Background())
		_, err = a.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		return err
	}
	pu, err := url.Parse(base)
	if err != nil {
		return "", "", nil, errors.Join(err, drop())
	}
	q := pu.Query()
	q.Set("search_path", name)
	pu.RawQuery = q.Encode()
	return name, pu.String(), drop, nil
}

// pgBaseline copies the CSV into an all-TEXT table of a fresh schema with
// COPY FROM STDIN and returns the wall and (client) CPU time of the COPY
// and the number of rows stored.
func pgBaseline(ctx context.Context, base, path string) (secs, cpu float64, rows int, err error) {
	header, err := csvHeader(path)
	if err != nil {
		return 0, 0, 0, err
	}
	schema, _, drop, err := pgSchema(ctx, base)
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() { err = errors.Join(err, drop()) }()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return 0, 0, 0, err
	}
	defer conn.Close(ctx)
	table := pgx.Identifier{schema, "ev"}.Sanitize()
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = pgx.Identifier{h}.Sanitize() + " TEXT"
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE "+table+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return 0, 0, 0, fmt.Errorf("create table: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	cpu0 := cpuTime()
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, f, "COPY "+table+" FROM STDIN (FORMAT csv, HEADER true)")
	secs = time.Since(start).Seconds()
	cpu = cpuTime() - cpu0
	if err != nil {
		return 0, 0, 0, fmt.Errorf("copy: %w", err)
	}
	return secs, cpu, int(tag.RowsAffected()), nil
}

// csvHeader reads the first record of a CSV file.
func csvHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	return h, nil
}

// pgThreshold ingests the CSV into a fresh, migrated schema and returns
// the wall and (client) CPU time of the ingest and the close, and the rows
// stored (events plus rejects).
func pgThreshold(ctx context.Context, base, path string) (secs, cpu float64, rows int, err error) {
	_, u, drop, err := pgSchema(ctx, base)
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() { err = errors.Join(err, drop()) }()
	return threshold(ctx, path, u)
}
