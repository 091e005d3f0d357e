package cli

import (
	"context"
	"fmt"

	"threshold/internal/store"
)

const migrateHelp = `
usage: threshold migrate [--db DB]

Migrate brings the database schema up to date, applying each pending
migration in its own transaction. Other commands migrate a database they
open, so this is needed only to prepare one ahead of time.
`

func runMigrate(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("migrate", migrateHelp, env)
	db := dbFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, a := range applied {
		fmt.Fprintf(env.Stdout, "applied %s\n", a)
	}
	cur, latest, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s schema at version %d of %d\n", store.MaskURL(*db), cur, latest)
	return nil
}
