package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"threshold/internal/app"
	"threshold/internal/audit"
	"threshold/internal/feed"
	"threshold/internal/ingest"
)

const feedHelp = `
usage: threshold feed [--db DB] (--dir DIR | --url URL) [--every 15m] [--once] [--json]
       threshold feed [--db DB] --status [--json]

Feed ingests a continuous GDELT 2.0 event feed: the 15-minute export files
(YYYYMMDDHHMMSS.export.CSV.zip) that appear in a directory (--dir) or in a
listing polled over HTTP (--url: GDELT's lastupdate.txt, whose lines are
"<size> <md5> <url>", or masterfilelist.txt to backfill). It polls at once
and then every --every until interrupted; --once polls once and exits.

Each file is recorded in the database and ingested once, oldest first;
after each one the indicators, alert rules and alerts are brought up to
date, and the ingest is audited. A download is checked against the listed
size and MD5, and every zip is read whole (its CRC checked) before any row
is stored: a truncated or corrupt file is marked failed with the reason
and tried again later, after 1 min, 2 min, 4 min... up to 1 h. A process
killed mid-file leaves its claim to lapse (5 min) and the next poll, here
or in a server, ingests the file again, storing nothing twice. Several
processes may poll one database: they take turns.

A server does the same with its feed options, once across servers.

--status lists the files recorded: state, attempts, counts and errors.
`

func runFeed(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("feed", feedHelp, env)
	db := dbFlag(fs, env)
	dir := fs.String("dir", "", "directory watched for export files")
	url := fs.String("url", "", "listing polled for export files (GDELT lastupdate.txt)")
	every := fs.Duration("every", app.DefaultFeedEvery, "how often to poll")
	once := fs.Bool("once", false, "poll once and exit")
	status := fs.Bool("status", false, "list the files recorded and exit")
	asJSON := fs.Bool("json", false, "print JSON: the files done and failed of each poll, or the status")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if !*status && *dir == "" && *url == "" {
		return usageError{"feed needs --dir or --url (or --status)"}
	}
	if *every <= 0 {
		return usageError{"--every must be positive"}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if *status {
		return printFeedStatus(ctx, env, st, *asJSON)
	}

	w, err := app.NewWarnings(ctx, st, warningOptions(env))
	if err != nil {
		return err
	}
	actor := cliActor(env)
	auditLog := audit.New(st, nil)
	fd, err := feed.New(feed.Config{
		Store: st, Dir: *dir, URL: *url, Log: env.Log,
		AfterIngest: func(ctx context.Context, f feed.File, sum ingest.Summary) error {
			if err := auditLog.Record(ctx, audit.Entry{
				ActorID: actor.ID, Actor: actor.Name, Action: "ingest", Object: f.Name,
				Details: map[string]any{"source": f.Source, "attempt": f.Attempts, "summary": sum},
			}); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			_, err := afterIngest(ctx, st, env, w, sum.Touched)
			return err
		},
	})
	if err != nil {
		return err
	}
	t := time.NewTicker(*every)
	defer t.Stop()
	for {
		res, err := fd.Poll(ctx)
		if ctx.Err() != nil {
			return nil // interrupted: what was claimed is retried by the next poll
		}
		if perr := printFeedResult(env, res, *asJSON); perr != nil {
			return perr
		}
		if *once {
			if err == nil && len(res.Failed) > 0 {
				err = fmt.Errorf("%d feed files failed: see 'threshold feed --status'", len(res.Failed))
			}
			return err
		}
		if err != nil {
			env.Log.Warn("feed: poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// feedFileJSON is a feed file as --json prints it.
type feedFileJSON struct {
	Name     string `json:"file"`
	Source   string `json:"source"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
	ingest.Counts
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}

func feedJSON(files []feed.File) []feedFileJSON {
	out := make([]feedFileJSON, 0, len(files))
	for _, f := range files {
		j := feedFileJSON{Name: f.Name, Source: f.Source, State: string(f.State), Attempts: f.Attempts, Error: f.Error, Counts: f.Counts}
		if f.State == feed.Failed {
			j.NextAttempt = &f.NextAttempt
		}
		out = append(out, j)
	}
	return out
}

func printFeedResult(env *Env, res feed.Result, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{
			"found": res.Found, "added": res.Added, "done": feedJSON(res.Done), "failed": feedJSON(res.Failed),
		})
	}
	for _, f := range res.Done {
		fmt.Fprintf(env.Stdout, "%s: read %d, inserted %d, updated %d, unchanged %d, rejected %d\n",
			f.Name, f.Counts.Read, f.Counts.Inserted, f.Counts.Updated, f.Counts.Unchanged, f.Counts.Rejected)
	}
	for _, f := range res.Failed {
		fmt.Fprintf(env.Stdout, "%s: failed (attempt %d, retried after %s): %s\n",
			f.Name, f.Attempts, f.NextAttempt.UTC().Format(time.DateTime), f.Error)
	}
	return nil
}

func printFeedStatus(ctx context.Context, env *Env, st feed.Store, asJSON bool) error {
	files, err := st.FeedFiles(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(feedJSON(files))
	}
	if len(files) == 0 {
		fmt.Fprintln(env.Stdout, "no feed files recorded")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tSTATE\tATTEMPTS\tREAD\tINSERTED\tREJECTED\tERROR")
	for _, f := range files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", f.Name, f.State, f.Attempts, f.Counts.Read, f.Counts.Inserted, f.Counts.Rejected, f.Error)
	}
	return errors.Join(tw.Flush())
}
