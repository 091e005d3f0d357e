package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/audit"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

var ctx = context.Background()

// fixedClock returns a clock that ticks one second, plus a few
// nanoseconds that PostgreSQL drops, per call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second + 7)
		return t
	}
}

// sample appends six entries like the ones the auth service writes.
func sample(t *testing.T, log *audit.Log) []audit.Record {
	t.Helper()
	entries := []audit.Entry{
		{Actor: "cli:root", Action: "org.add", Object: "African Union", Details: map[string]any{"id": 1}},
		{Actor: "cli:root", Action: "user.add", Object: "amina@au.int", Details: map[string]any{"role": "admin", "org": "African Union"}},
		{ActorID: 1, Actor: "amina@au.int", Action: "session.login", Object: "amina@au.int", Remote: "192.0.2.1"},
		{Actor: "anonymous", Action: "session.login_failed", Object: "amina@au.int", Remote: "198.51.100.7", Details: map[string]string{"reason": "wrong password"}},
		{ActorID: 1, Actor: "amina@au.int", Action: "token.create", Object: "token:1", Remote: "192.0.2.1", Details: map[string]any{"scope": "read", "note": `<script>&"quotes"</script> — ñ`}},
		{ActorID: 1, Actor: "amina@au.int", Action: "read.confidential", Object: "case:7", Remote: "192.0.2.1", Details: []int{1, 2, 3}},
	}
	var out []audit.Record
	for _, e := range entries {
		r, err := log.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestAppendAndRead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		log := audit.New(db, fixedClock())
		appended := sample(t, log)
		if appended[0].Seq != 1 || appended[0].PrevHash != "" {
			t.Errorf("first record %+v: want seq 1 and no previous hash", appended[0])
		}
		for i := 1; i < len(appended); i++ {
			if appended[i].Seq != int64(i+1) || appended[i].PrevHash != appended[i-1].Hash {
				t.Errorf("record %d does not link to %d: %+v", i+1, i, appended[i])
			}
		}
		got, err := log.Latest(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
		// What was stored is exactly what was hashed: times to the
		// microsecond, details byte for byte.
		if diff := cmp.Diff(appended, got); diff != "" {
			t.Errorf("stored records differ from appended ones (-appended +stored):\n%s", diff)
		}
		if string(got[1].Details) != `{"org":"African Union","role":"admin"}` || string(got[2].Details) != `{}` {
			t.Errorf("details %s, %s", got[1].Details, got[2].Details)
		}
		two, err := log.Latest(ctx, 2)
		if err != nil || len(two) != 2 || two[0].Seq != 6 || two[1].Seq != 5 {
			t.Errorf("Latest(2) = %+v, %v; want entries 6 and 5", two, err)
		}
		n, head, err := log.Verify(ctx)
		if err != nil || n != 6 || head != appended[5].Hash {
			t.Errorf("Verify = %d, %s, %v; want 6, %s, nil", n, head, err, appended[5].Hash)
		}
	})
}

func TestVerifyEmptyLog(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		n, head, err := audit.New(db, nil).Verify(ctx)
		if n != 0 || head != "" || err != nil {
			t.Errorf("Verify(empty) = %d, %q, %v", n, head, err)
		}
	})
}

func TestAppendRefusesIncompleteEntries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		log := audit.New(db, nil)
		for _, e := range []audit.Entry{{Action: "org.add"}, {Actor: "cli:root"}, {Actor: " ", Action: "x"}, {Actor: "a", Action: "b", Details: func() {}}} {
			if err := log.Record(ctx, e); err == nil {
				t.Errorf("Record(%+v) succeeded", e)
			}
		}
	})
}

// TestVerifyFindsFirstBadEntry edits the log behind its back, with SQL on
// a connection of its own, and checks that Verify names the first entry
// that is wrong and what is wrong with it.
func TestVerifyFindsFirstBadEntry(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(recs []audit.Record) []string // SQL statements
		seq     int64
		problem string
	}{
		{"edit details", func([]audit.Record) []string {
			return []string{`UPDATE audit_log SET details = '{"role":"analyst","org":"African Union"}' WHERE seq = 2`}
		}, 2, "hash mismatch"},
		{"edit actor", func([]audit.Record) []string {
			return []string{`UPDATE audit_log SET actor = 'someone.else@au.int' WHERE seq = 3`}
		}, 3, "hash mismatch"},
		{"edit time", func([]audit.Record) []string {
			return []string{`UPDATE audit_log SET at = (SELECT at FROM audit_log WHERE seq = 1) WHERE seq = 4`}
		}, 4, "hash mismatch"},
		{"change a hash", func([]audit.Record) []string {
			return []string{`UPDATE audit_log SET hash = '` + strings.Repeat("ab", 32) + `' WHERE seq = 3`}
		}, 3, "hash mismatch"},
		{"delete a middle entry", func([]audit.Record) []string {
			return []string{`DELETE FROM audit_log WHERE seq = 3`}
		}, 4, "gap in sequence: entry 4 follows 2"},
		{"delete the first entry", func([]audit.Record) []string {
			return []string{`DELETE FROM audit_log WHERE seq = 1`}
		}, 2, "starts at entry 2"},
		{"delete and renumber", func([]audit.Record) []string {
			return []string{`DELETE FROM audit_log WHERE seq = 3`, `UPDATE audit_log SET seq = seq - 1 WHERE seq > 3`}
		}, 3, "broken link"},
		{"edit and rehash one entry", func(recs []audit.Record) []string {
			r := recs[3]
			r.Details = json.RawMessage(`{"reason":"nothing happened"}`)
			return []string{fmt.Sprintf(`UPDATE audit_log SET details = '%s', hash = '%s' WHERE seq = 4`, r.Details, audit.Sum(r))}
		}, 5, "broken link"},
		{"insert a forged entry", func(recs []audit.Record) []string {
			return []string{fmt.Sprintf(`INSERT INTO audit_log (seq, at, actor, action, object, remote, details, prev_hash, hash)
				SELECT 7, at, 'cli:root', 'user.add', 'mallory@example.org', '', '{}', '%s', '%s' FROM audit_log WHERE seq = 6`,
				recs[5].Hash, strings.Repeat("0", 64))}
		}, 7, "hash mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
				log := audit.New(db, fixedClock())
				recs := sample(t, log)
				rawExec(t, db, url, append(dropTriggers(db), tt.tamper(recs)...)...)
				n, _, err := log.Verify(ctx)
				var ce *audit.ChainError
				if !errors.As(err, &ce) || !errors.Is(err, audit.ErrBroken) {
					t.Fatalf("Verify = %d, %v; want a *ChainError", n, err)
				}
				if ce.Seq != tt.seq || !strings.Contains(ce.Problem, tt.problem) {
					t.Errorf("Verify: %v; want entry %d: %s", err, tt.seq, tt.problem)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("entry %d", tt.seq)) {
					t.Errorf("error %q does not name entry %d", err, tt.seq)
				}
			})
		})
	}
}

// TestLogIsAppendOnly checks that the database itself refuses to change
// or delete entries, as long as nobody drops its triggers.
func TestLogIsAppendOnly(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		log := audit.New(db, fixedClock())
		sample(t, log)
		raw := openRaw(t, db, url)
		for _, q := range []string{
			`UPDATE audit_log SET details = '{}' WHERE seq = 2`,
			`DELETE FROM audit_log WHERE seq = 6`,
			`DELETE FROM audit_log`,
		} {
			if _, err := raw.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the append-only error", q, err)
			}
		}
		if n, _, err := log.Verify(ctx); err != nil || n != 6 {
			t.Errorf("Verify = %d, %v", n, err)
		}
	})
}

// TestConcurrentAppendsDoNotFork appends from many goroutines over two
// database handles, as two servers would, and checks that the chain is
// one unbroken line.
func TestConcurrentAppendsDoNotFork(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		other, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		logs := []*audit.Log{audit.New(db, nil), audit.New(other, nil)}
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- logs[w%2].Record(ctx, audit.Entry{Actor: fmt.Sprintf("writer-%d", w), Action: "ingest", Object: fmt.Sprint(i)})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent append: %v", err)
			}
		}
		n, _, err := logs[1].Verify(ctx)
		if err != nil || n != writers*each {
			t.Errorf("Verify = %d, %v; want %d, nil", n, err, writers*each)
		}
	})
}

// TestSum pins the canonical form: a change to it would make every
// stored log fail to verify.
func TestSum(t *testing.T) {
	r := audit.Record{
		Seq: 42, At: time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC), ActorID: 7, Actor: "amina@au.int",
		Action: "user.add", Object: "kofi@ecowas.int", Remote: "192.0.2.1", Details: json.RawMessage(`{"role":"analyst"}`),
		PrevHash: strings.Repeat("0f", 32),
	}
	const want = "116572c9e4cc9b59cf4c58d326a38fb14e37a4c10a508462f711d0c03864f771" // recomputed independently in Python from the documented form
	if got := audit.Sum(r); got != want {
		t.Errorf("Sum = %s, want %s", got, want)
	}
	// Every field counts, and moving bytes between fields changes the sum.
	for name, change := range map[string]func(*audit.Record){
		"seq":       func(r *audit.Record) { r.Seq++ },
		"at":        func(r *audit.Record) { r.At = r.At.Add(time.Microsecond) },
		"actor ID":  func(r *audit.Record) { r.ActorID = 0 },
		"actor":     func(r *audit.Record) { r.Actor = "amina@au.int " },
		"action":    func(r *audit.Record) { r.Action = "user.disable" },
		"object":    func(r *audit.Record) { r.Object = "" },
		"remote":    func(r *audit.Record) { r.Remote = "192.0.2.2" },
		"details":   func(r *audit.Record) { r.Details = json.RawMessage(`{"role": "analyst"}`) },
		"prev hash": func(r *audit.Record) { r.PrevHash = "" },
		"boundary":  func(r *audit.Record) { r.Action, r.Object = "user.addk", "ofi@ecowas.int" },
	} {
		c := r
		change(&c)
		if audit.Sum(c) == audit.Sum(r) {
			t.Errorf("changing %s leaves the sum unchanged", name)
		}
	}
	if other := r; audit.Sum(other) != audit.Sum(r) {
		t.Error("Sum is not deterministic")
	}
	// The time zone of At does not matter: the sum uses UTC.
	c := r
	c.At = r.At.In(time.FixedZone("WAT", 3600))
	if audit.Sum(c) != audit.Sum(r) {
		t.Error("Sum depends on the time zone of At")
	}
}

// openRaw opens a second connection to the test database, behind the
// store's back.
func openRaw(t *testing.T, db *store.DB, url string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if db.Dialect() == "postgres" {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// rawExec runs statements on a second connection.
func rawExec(t *testing.T, db *store.DB, url string, stmts ...string) {
	t.Helper()
	raw := openRaw(t, db, url)
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// dropTriggers returns the statements that drop the append-only
// triggers, as someone with write access to the database can.
func dropTriggers(db *store.DB) []string {
	if db.Dialect() == "postgres" {
		return []string{`DROP TRIGGER audit_log_no_change ON audit_log`}
	}
	return []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
}
