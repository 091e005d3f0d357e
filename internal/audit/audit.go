// Package audit is Threshold's audit trail: an append-only log of who did
// what, when and from where, for every change and every read of a
// confidential record.
//
// The log is a hash chain. Entries are numbered 1, 2, 3, ... without gaps,
// and each entry's hash is the SHA-256 of its own fields and the previous
// entry's hash (see Sum). Editing an entry breaks its hash; deleting one
// leaves a gap and breaks the next entry's link; Verify finds the first
// such entry. Someone able to write the database can still rewrite the
// chain from some entry to the end, or cut its tail: record the head hash
// Verify returns somewhere else to detect that too.
//
// Appends are serialised by the Store, so concurrent writers, in one
// process or several, never fork the chain.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Entry is what happened, as a caller reports it.
type Entry struct {
	ActorID int64  // user ID; 0 for the CLI and the system
	Actor   string // the user's email, "cli:<OS user>", "anonymous", ...
	Action  string // "org.add", "user.add", "session.login", "read.confidential", ...
	Object  string // what it was done to: an email, an organisation, "token:12"
	Remote  string // client address; "" on the CLI
	Details any    // marshalled to JSON; nil is {}
}

// Record is a stored entry.
type Record struct {
	Seq      int64           `json:"seq"` // 1, 2, 3, ...
	At       time.Time       `json:"at"`  // UTC, to the microsecond
	ActorID  int64           `json:"actor_id,omitempty"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object,omitempty"`
	Remote   string          `json:"remote,omitempty"`
	Details  json.RawMessage `json:"details"`
	PrevHash string          `json:"prev_hash"` // hex; "" for the first entry
	Hash     string          `json:"hash"`      // hex SHA-256, see Sum
}

// Store keeps the log; store.DB implements it. It offers no way to change
// or delete an entry.
type Store interface {
	// AppendAudit appends one record. Within a transaction that excludes
	// every other AppendAudit, in any process, it reads the last record's
	// seq and hash (0 and "" when the log is empty), calls next with them
	// and inserts the record next returns.
	AppendAudit(ctx context.Context, next func(lastSeq int64, lastHash string) (Record, error)) (Record, error)
	// AuditRecords calls fn with every record, by seq.
	AuditRecords(ctx context.Context, fn func(Record) error) error
	// LatestAudit returns the last n records, newest first.
	LatestAudit(ctx context.Context, n int) ([]Record, error)
}

// Log is the audit log. It is safe for concurrent use.
type Log struct {
	st  Store
	now func() time.Time
}

// New returns the log kept in st, timestamped by now (time.Now if nil).
func New(st Store, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{st: st, now: now}
}

// Record appends an entry.
func (l *Log) Record(ctx context.Context, e Entry) error {
	_, err := l.Append(ctx, e)
	return err
}

// Append appends an entry and returns its record.
func (l *Log) Append(ctx context.Context, e Entry) (Record, error) {
	if strings.TrimSpace(e.Actor) == "" || strings.TrimSpace(e.Action) == "" {
		return Record{}, fmt.Errorf("audit %q by %q: entries need an actor and an action", e.Action, e.Actor)
	}
	details := json.RawMessage("{}")
	if e.Details != nil {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return Record{}, fmt.Errorf("audit %s: details: %w", e.Action, err)
		}
		details = b
	}
	// PostgreSQL keeps microseconds; the hash must survive the round trip.
	at := l.now().UTC().Truncate(time.Microsecond)
	r, err := l.st.AppendAudit(ctx, func(lastSeq int64, lastHash string) (Record, error) {
		r := Record{
			Seq: lastSeq + 1, At: at, ActorID: e.ActorID, Actor: e.Actor, Action: e.Action,
			Object: e.Object, Remote: e.Remote, Details: details, PrevHash: lastHash,
		}
		r.Hash = Sum(r)
		return r, nil
	})
	if err != nil {
		return Record{}, fmt.Errorf("audit %s %s: %w", e.Action, e.Object, err)
	}
	return r, nil
}

// Latest returns the last n entries, newest first.
func (l *Log) Latest(ctx context.Context, n int) ([]Record, error) {
	rs, err := l.st.LatestAudit(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return rs, nil
}

// ErrBroken: the chain does not verify; an entry was edited, inserted or
// deleted behind the log's back.
var ErrBroken = errors.New("audit log broken")

// ChainError names the first entry at which the chain fails to verify.
type ChainError struct {
	Seq     int64  // the first bad entry
	Problem string // what is wrong with it
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.Seq, e.Problem)
}

// Unwrap makes a ChainError match ErrBroken.
func (e *ChainError) Unwrap() error { return ErrBroken }

// Verify walks the whole chain and returns how many entries it holds and
// the hash of the last one (the head, worth noting elsewhere), or a
// *ChainError for the first entry that is out of sequence, does not link
// to the one before or does not match its own hash.
func (l *Log) Verify(ctx context.Context) (n int64, head string, err error) {
	var prevSeq int64
	prevHash := ""
	err = l.st.AuditRecords(ctx, func(r Record) error {
		switch {
		case r.Seq != prevSeq+1 && prevSeq == 0:
			return &ChainError{r.Seq, fmt.Sprintf("the log starts at entry %d, not 1: entries before it were deleted", r.Seq)}
		case r.Seq != prevSeq+1:
			return &ChainError{r.Seq, fmt.Sprintf("gap in sequence: entry %d follows %d, entries in between were deleted", r.Seq, prevSeq)}
		case r.PrevHash != prevHash:
			return &ChainError{r.Seq, fmt.Sprintf("broken link: it names %s as the previous hash, but entry %d has %s", short(r.PrevHash), prevSeq, short(prevHash))}
		case Sum(r) != r.Hash:
			return &ChainError{r.Seq, "hash mismatch: the entry was changed after it was written"}
		}
		prevSeq, prevHash = r.Seq, r.Hash
		n++
		return nil
	})
	if err != nil {
		var ce *ChainError
		if errors.As(err, &ce) {
			return n, prevHash, ce
		}
		return n, prevHash, fmt.Errorf("verify audit log: %w", err)
	}
	return n, prevHash, nil
}

// short abbreviates a hash for messages.
func short(h string) string {
	if h == "" {
		return `""`
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
