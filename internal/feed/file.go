package feed

import (
	"context"
	"errors"
	"time"

	"threshold/internal/ingest"
)

// State is where a feed file stands.
type State string

// The states of a feed file: Pending (found, never tried), Ingesting
// (claimed by one process until its lease ends), Done (ingested and the
// AfterIngest hook ran), Failed (the last attempt failed; retried at
// NextAttempt).
const (
	Pending   State = "pending"
	Ingesting State = "ingesting"
	Done      State = "done"
	Failed    State = "failed"
)

// File is one file a feed found, as the feed table records it.
type File struct {
	ID       int64
	Source   string // the directory or listing URL it was found in
	Name     string // base name, e.g. 20191024143000.export.CSV.zip; names sort in time order
	Location string // file path or URL to fetch it from
	Size     int64  // bytes as listed (HTTP) or seen (directory); 0 unknown
	MD5      string // hex, as listed; "" unknown
	SHA256   string // hex, of the bytes last attempted

	State     State
	Attempts  int    // attempts started, the one in progress included
	Error     string // why the last attempt failed
	ClaimedBy string // the process that holds (Ingesting) or last held the file

	LeaseUntil   time.Time // while Ingesting: the claim ends then unless renewed
	NextAttempt  time.Time // when Failed: not retried before; zero: given up
	DiscoveredAt time.Time
	StartedAt    time.Time // of the last attempt
	FinishedAt   time.Time // when Done or Failed

	Counts ingest.Counts // of the attempt that finished it
}

// Store is the persistence a Feed needs. *store.DB implements it.
//
// Claims are exclusive across processes and databases' connections: at
// most one file is Ingesting with a live lease at a time, so files are
// ingested one after the other in name order even with several servers.
type Store interface {
	ingest.Store

	// AddFeedFiles records files found, Pending; files already recorded
	// (same Source and Name) are left as they are. It returns how many
	// were new.
	AddFeedFiles(ctx context.Context, files []File, now time.Time) (int, error)
	// ClaimFeedFile claims the first file in name order that is Pending,
	// Failed and due (NextAttempt at or before now), or Ingesting with
	// a lease that ended, for claimer until now+lease, counting an
	// attempt. It claims nothing (ok false) while another file is
	// Ingesting under a live lease.
	ClaimFeedFile(ctx context.Context, claimer string, now time.Time, lease time.Duration) (f File, ok bool, err error)
	// RenewFeedClaim extends claimer's claim on the file to until. It
	// returns an error wrapping ErrClaimLost if claimer no longer holds it.
	RenewFeedClaim(ctx context.Context, id int64, claimer string, until time.Time) error
	// FinishFeedFile marks claimer's file Done with the file's SHA-256
	// and counts; FailFeedFile marks it Failed with the error, to retry
	// at next (a zero next: never, the feed gave up). Both return an error wrapping ErrClaimLost if claimer no
	// longer holds the file.
	FinishFeedFile(ctx context.Context, id int64, claimer, sha256 string, c ingest.Counts, now time.Time) error
	FailFeedFile(ctx context.Context, id int64, claimer, sha256, reason string, next, now time.Time) error
	// LatestFeedFile returns the greatest name recorded from source, ""
	// if none.
	LatestFeedFile(ctx context.Context, source string) (string, error)
	// FeedFiles lists the recorded files in name order, of the given
	// states (none: all).
	FeedFiles(ctx context.Context, states ...State) ([]File, error)
	// IngestedTouched returns the countries and days of the events whose
	// current version came from the ingested stream with this SHA-256:
	// what an earlier, interrupted attempt at a file may have changed.
	IngestedTouched(ctx context.Context, sha256 string) (ingest.Touched, error)
}

// ErrClaimLost says a process no longer holds the claim on a file: its
// lease ended and another process claimed the file.
var ErrClaimLost = errors.New("feed: claim lost")
