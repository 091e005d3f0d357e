package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"threshold/internal/audit"
	"threshold/internal/store"
)

const backupHelp = `
usage: threshold backup [--db DB] -o FILE

Backup writes a consistent copy of a SQLite database to FILE, which must
not exist, while the server and other commands go on using the database:
SQLite's VACUUM INTO copies it as of one moment into a new, compact file,
without holding up writers. The copy is then opened and checked (schema
version, events, the audit log's hash chain) before backup says OK.

To restore, stop the server, move the database file and its -wal and -shm
files aside, put the copy in its place (or start the server with --db
FILE), and run "threshold audit verify".

A PostgreSQL database is backed up with PostgreSQL's own tools, which
also copy a live database consistently:

	pg_dump --format=custom --file=threshold.dump "$THRESHOLD_DB"
	createdb threshold_restored
	pg_restore --no-owner --dbname=postgres://.../threshold_restored threshold.dump

backup given a postgres:// URL prints these commands and exits with
status 1.
`

func runBackup(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("backup", backupHelp, env)
	db := dbFlag(fs, env)
	out := fs.String("o", "", "the backup file to write (must not exist)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"-o FILE is required"}
	}
	if store.IsPostgres(*db) {
		return fmt.Errorf("%s is a PostgreSQL database: back it up with pg_dump --format=custom --file=%s '%s' "+
			"and restore with pg_restore --no-owner --dbname=NEW_DATABASE_URL %s (see 'threshold help backup')",
			store.MaskURL(*db), *out, store.MaskURL(*db), *out)
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup to %s: the file exists", *out)
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("database %s: %w", *db, err)
	}
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	// Written under another name first, so that an interrupted backup
	// never leaves a file that looks whole.
	tmp := *out + ".partial"
	os.Remove(tmp)
	if err := st.Backup(ctx, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	sum, err := checkBackup(ctx, *out)
	if err != nil {
		return fmt.Errorf("backup %s written but does not check out: %w", *out, err)
	}
	fmt.Fprintf(env.Stdout, "backup of %s written to %s: %s\n", *db, *out, sum)
	return nil
}

// checkBackup opens a backup, without migrating it, and describes it:
// size, schema version, events and the audit log, whose chain it
// verifies.
func checkBackup(ctx context.Context, path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer st.Close()
	cur, _, err := st.SchemaVersion(ctx)
	if err != nil {
		return "", err
	}
	events, err := st.CountEvents(ctx)
	if err != nil {
		return "", err
	}
	n, _, err := audit.New(st, nil).Verify(ctx)
	if err != nil {
		return "", errors.Join(errors.New("audit log"), err)
	}
	return fmt.Sprintf("%.1f MB, schema version %d, %d events, audit log OK (%d entries)",
		float64(fi.Size())/1e6, cur, events, n), nil
}
