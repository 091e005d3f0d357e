package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bits-and-blooms/bloom/v3"

	"threshold/internal/event"
	"threshold/internal/ingest"
)

var _ ingest.Store = (*DB)(nil)

// insertChunk is how many keys one lookup and how many rejects one INSERT
// statement carries: large enough to amortise statement overhead, small
// enough to stay under SQLite's 32766 bound variables.
const insertChunk = 500

// eventColumns are the events columns an ingest writes, in order.
var eventColumns = []string{
	"source", "source_id", "source_version", "date_start", "date_end", "date_precision",
	"country", "admin1", "place", "latitude", "longitude", "geo_precision",
	"category", "source_type", "source_subtype", "quad_class", "actor1", "actor2",
	"fatalities_best", "fatalities_low", "fatalities_high", "goldstein", "tone", "electoral",
	"source_ref", "raw_hash", "file_id", "line", "raw_offset", "raw_length", "first_ingested", "last_changed",
}

// BeginFile starts writing one ingested stream. It records the file (or
// finds it again, when the same content is ingested twice) so that events
// and rejects point back to it.
func (db *DB) BeginFile(ctx context.Context, f ingest.FileInfo, opts ingest.WriteOptions) (ingest.FileWriter, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	w := &fileWriter{db: db, atomic: opts.Atomic, now: now, seen: &keySet{},
		touched: ingest.Touched{}, pending: ingest.Touched{}}
	header, err := json.Marshal(f.Header)
	if err != nil {
		return nil, err
	}
	if f.Header == nil {
		header = []byte("[]")
	}
	if w.atomic {
		if w.conn, err = db.write.Conn(ctx); err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		if w.tx, err = w.conn.BeginTx(ctx, nil); err != nil {
			w.conn.Close()
			return nil, fmt.Errorf("begin: %w", err)
		}
	}
	ts := db.instantArg(now())
	err = w.do(ctx, func(tx txn) error {
		return tx.QueryRowContext(ctx, db.d.rebind(`
			INSERT INTO ingest_files (name, sha256, format, header, separator, first_ingested, last_ingested)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (sha256, name) DO UPDATE SET last_ingested = excluded.last_ingested,
				format = excluded.format, header = excluded.header, separator = excluded.separator
			RETURNING id`), f.Name, f.SHA256, f.Format, string(header), f.Separator, ts, ts).Scan(&w.fileID)
	})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("record file %s: %w", f.Name, db.mapErr(err))
	}
	return w, nil
}

// fileWriter implements ingest.FileWriter.
type fileWriter struct {
	db     *DB
	atomic bool
	conn   *sql.Conn // the connection of an atomic writer
	tx     *sql.Tx   // the one transaction of an atomic writer
	now    func() time.Time
	fileID int64
	done   bool

	// started is set by the first Write. deferred says that it dropped
	// the events table's secondary indexes (empty table) and that they
	// are still to be built, by Finish or else by Close.
	started, deferred bool
	// leased is when the writer last set its file's lease on the dropped
	// indexes (indexLease); zero if it never did.
	leased time.Time

	// seen holds the keys this writer has inserted (PostgreSQL), so that
	// a source id repeated later in the file is looked up even when
	// sourceEmpty. SQLite needs none: its insert finds such keys.
	seen *keySet
	// emptyChecked and sourceEmpty cache whether the store held no event
	// of the file's source when the writer started: then only keys in seen
	// (on SQLite, none) need looking up, which makes a first load much
	// cheaper.
	emptyChecked, sourceEmpty bool

	// touched is what committed writes changed; pending what the open
	// transaction changes, moved to touched when it commits.
	touched, pending ingest.Touched
}

// Touched returns the countries and days the committed writes changed.
func (w *fileWriter) Touched() ingest.Touched {
	out := ingest.Touched{}
	out.Merge(w.touched)
	return out
}

// txn is a transaction and the connection it runs on, whose driver
// connection the SQLite event inserts use directly.
type txn struct {
	*sql.Tx
	conn *sql.Conn
}

// do runs fn in the writer's transaction, or in a new one it commits.
func (w *fileWriter) do(ctx context.Context, fn func(tx txn) error) error {
	if w.atomic {
		return fn(txn{w.tx, w.conn})
	}
	conn, err := w.db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(txn{tx, conn}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

type storedEvent struct {
	id      int64
	hash    int64
	version string
	country string    // as stored, before an update
	day     time.Time // date_start as stored
}

func (w *fileWriter) Write(ctx context.Context, b *ingest.Batch) (ingest.Counts, error) {
	var (
		c        ingest.Counts
		deferred bool
		leased   time.Time // when this batch set the lease, if it did
	)
	err := w.do(ctx, func(tx txn) error {
		// The block goes first: the batch's events and rejects point into it.
		// Ingesting the same file again finds it stored already.
		_, err := tx.ExecContext(ctx, w.db.d.rebind(`INSERT INTO ingest_blocks (file_id, start_offset, length, data)
			VALUES (?, ?, ?, ?) ON CONFLICT (file_id, start_offset) DO NOTHING`),
			w.fileID, b.Block.Offset, b.Block.Length, b.Block.Data)
		if err != nil {
			return fmt.Errorf("store block at offset %d: %w", b.Block.Offset, err)
		}
		if !w.started {
			if deferred, err = w.db.dropDeferredIndexes(ctx, tx.Tx); err != nil {
				return err
			}
		}
		// The lease goes with the drop, in its transaction, so that no
		// other process sees the indexes missing without it, and is
		// renewed once it has aged indexLeaseRenewal.
		if now := w.now(); deferred || (w.deferred && now.Sub(w.leased) >= indexLeaseRenewal) {
			_, err := tx.ExecContext(ctx, w.db.d.rebind(`UPDATE ingest_files SET indexes_deferred_until = ? WHERE id = ?`),
				w.db.instantArg(now.Add(indexLease)), w.fileID)
			if err != nil {
				return fmt.Errorf("lease indexes: %w", err)
			}
			leased = now
		}
		p, _ := b.Prepared.(*prepared)
		if p == nil || p.n != len(b.Records) {
			p = nil // a batch Write was not prepared for, or changed after
		}
		c, err = w.write(ctx, tx, b.Records, p)
		return err
	})
	if err != nil {
		w.pending = ingest.Touched{} // rolled back
		return ingest.Counts{}, w.db.mapErr(err)
	}
	if !w.atomic {
		w.touched.Merge(w.pending)
		w.pending = ingest.Touched{}
	}
	if !w.started {
		w.started, w.deferred = true, deferred
	}
	if !leased.IsZero() {
		w.leased = leased
	}
	return c, nil
}

// write stores a batch's records; p, if not nil, is what Prepare computed
// of them.
func (w *fileWriter) write(ctx context.Context, tx txn, recs []ingest.Record, p *prepared) (ingest.Counts, error) {
	c := ingest.Counts{Read: len(recs)}
	var keys []uint64 // of recs, for seen; SQLite needs none
	switch {
	case w.db.d.name == "sqlite":
	case p != nil:
		keys = p.keys
	default:
		keys = make([]uint64, len(recs))
		for i := range recs {
			if recs[i].Reject == nil {
				keys[i] = keyHash(recs[i].Event.Key())
			}
		}
	}
	existing, err := w.lookup(ctx, tx, recs, keys)
	if err != nil {
		return c, err
	}
	var (
		inserts []*ingest.Record
		at      []int // index in recs of each of inserts
		updates []update
		rejects []*ingest.Record
	)
	pending := make(map[event.Key]int, len(recs)) // key -> index in inserts
	for i := range recs {
		r := &recs[i]
		if r.Reject != nil {
			rejects = append(rejects, r)
			c.Rejected++
			continue
		}
		k := r.Event.Key()
		if j, ok := pending[k]; ok { // repeated within the batch: the later row wins
			if inserts[j].Hash == r.Hash {
				c.Unchanged++
			} else {
				inserts[j], at[j] = r, i
				c.Updated++
			}
			continue
		}
		if ex, ok := existing[k]; ok {
			if w.compare(ex, r, &c, &updates) {
				existing[k] = storedEvent{id: ex.id, hash: r.Hash, version: r.Event.Version,
					country: r.Event.Country, day: r.Event.DateStart}
			}
			continue
		}
		pending[k] = len(inserts)
		inserts = append(inserts, r)
		at = append(at, i)
		c.Inserted++
	}
	ts := w.db.instantArg(w.now())
	skipped := make([]bool, len(inserts)) // stored already, found by the insert
	switch {
	case len(inserts) == 0:
	case w.db.d.name == "sqlite":
		var args []any
		if p != nil {
			args = p.args
		}
		short, err := w.insertEventsSQLite(ctx, tx, inserts, at, args, ts)
		if err != nil {
			return c, err
		}
		// A statement that inserted fewer rows than it carried met keys
		// stored already: the lookup skipped them (a first load looks
		// nothing up) or another writer stored them since. Each is then
		// what the lookup would have found.
		for _, ch := range short {
			for j := ch[0]; j < ch[1]; j++ {
				r := inserts[j]
				ex, ok, err := w.storedElsewhere(ctx, tx, r)
				if err != nil {
					return c, err
				}
				if !ok {
					continue
				}
				skipped[j] = true
				c.Inserted--
				w.compare(ex, r, &c, &updates)
			}
		}
	default:
		if err := w.insertEventsPostgres(ctx, tx, inserts, ts); err != nil {
			return c, err
		}
	}
	for _, u := range updates {
		if err := w.updateEvent(ctx, tx, u, ts); err != nil {
			return c, err
		}
	}
	if err := w.insertRejects(ctx, tx, rejects, ts); err != nil {
		return c, err
	}
	for j, r := range inserts {
		if skipped[j] {
			continue
		}
		if w.db.d.name != "sqlite" {
			w.seen.addHash(keys[at[j]])
		}
		w.pending.Add(r.Event.Country, r.Event.DateStart)
	}
	return c, nil
}

// compare counts r against ex, the stored event of its key: unchanged
// when it has the same content or an older version, else an update of ex,
// queued on updates, which touches where the old version counted and
// where the new one does. It reports whether r updates ex.
func (w *fileWriter) compare(ex storedEvent, r *ingest.Record, c *ingest.Counts, updates *[]update) bool {
	if ex.hash == r.Hash || olderVersion(r.Event.Version, ex.version) {
		c.Unchanged++
		return false
	}
	*updates = append(*updates, update{id: ex.id, rec: r})
	w.pending.Add(ex.country, ex.day)
	w.pending.Add(r.Event.Country, r.Event.DateStart)
	c.Updated++
	return true
}

// storedElsewhere returns the stored event of r's key if it is not the one
// r's own insert stored (another line or another file), and whether there
// is one.
func (w *fileWriter) storedElsewhere(ctx context.Context, tx txn, r *ingest.Record) (storedEvent, bool, error) {
	var (
		se     storedEvent
		day    any
		fileID int64
		line   int
	)
	err := tx.QueryRowContext(ctx, `SELECT id, raw_hash, source_version, country, date_start, file_id, line
		FROM events WHERE source = ? AND source_id = ?`, string(r.Event.Source), r.Event.SourceID).
		Scan(&se.id, &se.hash, &se.version, &se.country, &day, &fileID, &line)
	if errors.Is(err, sql.ErrNoRows) {
		return se, false, nil
	}
	if err != nil {
		return se, false, fmt.Errorf("look up event %s %s: %w", r.Event.Source, r.Event.SourceID, err)
	}
	if fileID == w.fileID && line == r.Line {
		return se, false, nil
	}
	if se.day, err = scanDate(day); err != nil {
		return se, false, err
	}
	return se, true, nil
}

// keySet is the set of keys a writer inserted, answering "maybe" or
// "no": a false "maybe" costs a lookup that finds nothing, never a wrong
// answer. Memory does not grow with the file: it holds 64-bit hashes of
// the first keys, then a Bloom filter of fixed size (about 12 MiB: 1% of
// new keys looked up for nothing up to 10 million keys, more beyond).
type keySet struct {
	small map[uint64]struct{}
	big   *bloom.BloomFilter
}

const (
	keySetSmall      = 1 << 17
	keySetCapacity   = 10_000_000
	keySetFalsePosit = 0.01
)

// addHash adds the key whose keyHash is h.
func (s *keySet) addHash(h uint64) {
	if s.big != nil {
		s.big.Add(hashBytes(h))
		return
	}
	if s.small == nil {
		s.small = map[uint64]struct{}{}
	}
	s.small[h] = struct{}{}
	if len(s.small) > keySetSmall {
		// The hashes are all that is kept, so the filter starts afresh
		// from them: it tests hashes' bytes from here on.
		s.big = bloom.NewWithEstimates(keySetCapacity, keySetFalsePosit)
		for h := range s.small {
			s.big.Add(hashBytes(h))
		}
		s.small = nil
	}
}

// hasHash reports whether the key whose keyHash is h may be in the set.
func (s *keySet) hasHash(h uint64) bool {
	if s.big != nil {
		return s.big.Test(hashBytes(h))
	}
	_, ok := s.small[h]
	return ok
}

// hashBytes is what the filter holds of a key: its hash's bytes, so that
// the keys hashed before the switch and after it are tested alike.
func hashBytes(h uint64) []byte { return binary.LittleEndian.AppendUint64(nil, h) }

// keyHash is FNV-1a over k's source, a zero byte and its source id,
// written out rather than through hash/fnv, which would copy both strings.
func keyHash(k event.Key) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(k.Source); i++ {
		h ^= uint64(k.Source[i])
		h *= prime64
	}
	h *= prime64 // the zero byte: h ^= 0 changes nothing
	for i := 0; i < len(k.SourceID); i++ {
		h ^= uint64(k.SourceID[i])
		h *= prime64
	}
	return h
}

// prepared is what Prepare computes of a batch on the decoding goroutines,
// index for index with its records: on SQLite the column values, on
// PostgreSQL the key hashes.
type prepared struct {
	n    int      // records
	keys []uint64 // keyHash of each record's key; 0 for a reject
	// args holds sqliteRowArgs values per record: those of
	// sqliteEventColumns after the first three (nils for a reject).
	args []any
}

// Prepare computes the column values (SQLite) or the key hashes
// (PostgreSQL) of a batch's events, so that Write only binds or looks
// them up.
func (w *fileWriter) Prepare(b *ingest.Batch) {
	p := &prepared{n: len(b.Records)}
	sqlite := w.db.d.name == "sqlite"
	if sqlite {
		p.args = make([]any, 0, len(b.Records)*sqliteRowArgs)
	} else {
		p.keys = make([]uint64, len(b.Records))
	}
	for i := range b.Records {
		r := &b.Records[i]
		switch {
		case r.Reject != nil && sqlite:
			p.args = append(p.args, make([]any, sqliteRowArgs)...)
		case r.Reject != nil:
		case sqlite:
			p.args = appendEventValues(p.args, r)
		default:
			p.keys[i] = keyHash(r.Event.Key())
		}
	}
	b.Prepared = p
}

type update struct {
	id  int64
	rec *ingest.Record
}

// lookupQuery selects the stored events of source with the given ids.
//
// On PostgreSQL the ids go as one array joined to events, which plans as
// one probe of the (source, source_id) key per id whatever the table's
// statistics say. "source_id IN (…)" does not: on a table never analyzed
// (a first load, autovacuum off or not yet run), the planner took the key
// for source alone and filtered every row of the source, 10 s per batch
// at 3·10^7 events against 0.1 s for the join.
func lookupQuery(dialect string, src event.Source, ids []string) (string, []any) {
	const cols = `e.source_id, e.id, e.raw_hash, e.source_version, e.country, e.date_start`
	if dialect == "postgres" {
		return `SELECT ` + cols + ` FROM unnest(?::text[]) AS k(id) JOIN events e ON e.source = ? AND e.source_id = k.id`,
			[]any{ids, string(src)}
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, string(src))
	for _, id := range ids {
		args = append(args, id)
	}
	return `SELECT ` + cols + ` FROM events e WHERE e.source = ? AND e.source_id IN (` + placeholders(len(ids)) + `)`, args
}

// lookup finds the stored versions of the batch's events.
func (w *fileWriter) lookup(ctx context.Context, tx txn, recs []ingest.Record, keys []uint64) (map[event.Key]storedEvent, error) {
	bySource := map[event.Source][]string{}
	for i := range recs {
		r := &recs[i]
		if r.Reject != nil {
			continue
		}
		if !w.emptyChecked {
			var n int
			err := tx.QueryRowContext(ctx, w.db.d.rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE source = ? LIMIT 1) t`),
				string(r.Event.Source)).Scan(&n)
			if err != nil {
				return nil, fmt.Errorf("check source: %w", err)
			}
			w.emptyChecked, w.sourceEmpty = true, n == 0
		}
		k := r.Event.Key()
		if w.sourceEmpty {
			// On SQLite the insert finds keys stored already; on
			// PostgreSQL only those in seen can be.
			if w.db.d.name == "sqlite" || !w.seen.hasHash(keys[i]) {
				continue
			}
		}
		bySource[k.Source] = append(bySource[k.Source], k.SourceID)
	}
	found := map[event.Key]storedEvent{}
	for src, ids := range bySource {
		for len(ids) > 0 {
			n := min(len(ids), insertChunk)
			chunk := ids[:n]
			ids = ids[n:]
			q, args := lookupQuery(w.db.d.name, src, chunk)
			rows, err := tx.QueryContext(ctx, w.db.d.rebind(q), args...)
			if err != nil {
				return nil, fmt.Errorf("look up events: %w", err)
			}
			for rows.Next() {
				var sid string
				var se storedEvent
				var day any
				if err := rows.Scan(&sid, &se.id, &se.hash, &se.version, &se.country, &day); err != nil {
					rows.Close()
					return nil, err
				}
				if se.day, err = scanDate(day); err != nil {
					rows.Close()
					return nil, err
				}
				found[event.Key{Source: src, SourceID: sid}] = se
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func rowPlaceholders(rows, cols int) string {
	one := "(" + placeholders(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// sqliteRowsPerInsert is how many rows one SQLite INSERT statement
// carries. The pure-Go driver spends more per statement execution (reset,
// clearing bindings, reading the changes and last row id, each entering the
// connection's mutex) than SQLite spends inserting a row, so a multi-row
// statement amortises that over its rows.
const sqliteRowsPerInsert = 64

// sqliteEventColumns are eventColumns with the three values a batch shares
// (file_id, first_ingested, last_changed) first, so that every row of a
// multi-row INSERT refers to the same two parameters, ?1 and ?2, and binds
// only its own values.
var sqliteEventColumns = append([]string{"file_id", "first_ingested", "last_changed"},
	slices.DeleteFunc(slices.Clone(eventColumns), func(c string) bool {
		return c == "file_id" || c == "first_ingested" || c == "last_changed"
	})...)

// sqliteInsertSQL is a multi-row INSERT of n events in sqliteEventColumns.
func sqliteInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO events (" + strings.Join(sqliteEventColumns, ", ") + ") VALUES ")
	row := "(?1, ?2, ?2, " + placeholders(sqliteRowArgs) + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (source, source_id) DO NOTHING")
	return b.String()
}

// insertEventsSQLite inserts events through the driver connection with
// prepared multi-row statements, going round database/sql, which would
// convert and check every argument. recs[i] is the batch's record at[i],
// whose values are prepared[at[i]*sqliteRowArgs:], unless prepared is nil.
// A key stored already is left as it is (ON CONFLICT DO NOTHING); short
// lists the ranges of recs of the statements that inserted fewer rows than
// they carried.
func (w *fileWriter) insertEventsSQLite(ctx context.Context, tx txn, recs []*ingest.Record, at []int, prepared []any, ts any) (short [][2]int, err error) {
	done := 0 // rows of recs executed
	err = tx.conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot prepare statements", dc)
		}
		// The driver watches a cancellable context with a goroutine per
		// call; a statement takes well under a millisecond, so the
		// context is checked here instead, between statements.
		bg := context.WithoutCancel(ctx)
		args := make([]driver.NamedValue, 2+min(len(recs), sqliteRowsPerInsert)*sqliteRowArgs)
		vals := make([]any, 0, sqliteRowArgs)
		for i := range args {
			args[i].Ordinal = i + 1
		}
		args[0].Value, args[1].Value = w.fileID, ts
		var (
			st   driver.Stmt
			exec driver.StmtExecContext // st's
			rows int                    // of st
		)
		defer func() {
			if st != nil {
				st.Close()
			}
		}()
		for len(recs) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(len(recs), sqliteRowsPerInsert)
			if n != rows {
				if st != nil {
					st.Close()
				}
				var err error
				if st, err = prep.PrepareContext(ctx, sqliteInsertSQL(n)); err != nil {
					st = nil
					return fmt.Errorf("prepare insert: %w", err)
				}
				if exec, ok = st.(driver.StmtExecContext); !ok {
					return fmt.Errorf("driver statement %T cannot execute with a context", st)
				}
				rows = n
			}
			a := 2
			for i, r := range recs[:n] {
				v := vals
				if prepared != nil {
					v = prepared[at[i]*sqliteRowArgs:][:sqliteRowArgs]
				} else {
					v = appendEventValues(vals[:0], r)
				}
				for _, x := range v {
					args[a].Value = x
					a++
				}
			}
			res, err := exec.ExecContext(bg, args[:a])
			if err != nil {
				return fmt.Errorf("insert events from line %d: %w", recs[0].Line, err)
			}
			if inserted, err := res.RowsAffected(); err != nil {
				return err
			} else if inserted < int64(n) {
				short = append(short, [2]int{done, done + n})
			}
			recs, at = recs[n:], at[n:]
			done += n
		}
		return nil
	})
	return short, err
}

// sqliteRowArgs is the number of values each row of a multi-row INSERT
// binds: sqliteEventColumns after the first three.
var sqliteRowArgs = len(sqliteEventColumns) - 3

// appendEventValues appends the values of r in sqliteEventColumns
// after the first three. The values are of driver.Value types, so that
// they go to the driver as they are.
func appendEventValues(args []any, r *ingest.Record) []any {
	e := &r.Event
	return append(args,
		string(e.Source), e.SourceID, e.Version, dateArg(e.DateStart), dateArg(e.DateEnd), int64(e.DatePrecision),
		e.Country, e.Admin1, e.Place, floatArg(e.Latitude), floatArg(e.Longitude), int64(e.GeoPrecision),
		string(e.Category), e.SourceType, e.SourceSubType, int64(e.QuadClass), e.Actor1, e.Actor2,
		intArg(e.Fatalities.Best), intArg(e.Fatalities.Low), intArg(e.Fatalities.High),
		floatArg(e.Goldstein), floatArg(e.Tone), e.Electoral,
		e.SourceRef, r.Hash, int64(r.Line), r.Offset, int64(r.Length))
}

func (w *fileWriter) updateEvent(ctx context.Context, tx txn, u update, ts any) error {
	_, err := tx.ExecContext(ctx, w.db.d.rebind(`
		INSERT INTO event_versions (event_id, source_version, raw_hash, file_id, line, raw_offset, raw_length, stored_at, replaced_at)
		SELECT id, source_version, raw_hash, file_id, line, raw_offset, raw_length, last_changed, ? FROM events WHERE id = ?`), ts, u.id)
	if err != nil {
		return fmt.Errorf("keep previous version of event %d: %w", u.id, err)
	}
	// Every column but the key (source, source_id) and first_ingested.
	set := []string{"file_id = ?"}
	for _, c := range sqliteEventColumns[3+2:] {
		set = append(set, c+" = ?")
	}
	args := append([]any{w.fileID}, appendEventValues(nil, u.rec)[2:]...)
	args = append(args, ts, u.id)
	_, err = tx.ExecContext(ctx, w.db.d.rebind(`UPDATE events SET `+strings.Join(set, ", ")+`, last_changed = ? WHERE id = ?`), args...)
	if err != nil {
		return fmt.Errorf("update event %d: %w", u.id, err)
	}
	return nil
}

func (w *fileWriter) insertRejects(ctx context.Context, tx txn, recs []*ingest.Record, ts any) error {
	for len(recs) > 0 {
		n := min(len(recs), insertChunk)
		args := make([]any, 0, n*6)
		for _, r := range recs[:n] {
			raw, err := json.Marshal(r.Reject.Fields)
			if err != nil {
				return err
			}
			if r.Reject.Fields == nil {
				raw = []byte("[]")
			}
			args = append(args, w.fileID, r.Line, r.Reject.Field, r.Reject.Reason, string(raw), ts)
		}
		_, err := tx.ExecContext(ctx, w.db.d.rebind(`INSERT INTO rejects (file_id, line, field, reason, raw, created_at) VALUES `+
			rowPlaceholders(n, 6)+` ON CONFLICT (file_id, line) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("quarantine rows: %w", err)
		}
		recs = recs[n:]
	}
	return nil
}

func (w *fileWriter) Finish(ctx context.Context, total ingest.Counts) error {
	err := w.do(ctx, func(tx txn) error {
		// Build the indexes this writer dropped, or another one killed
		// left missing, unless another file's load holds them off (it
		// builds them at its end); and give up this file's lease.
		now := w.now()
		if err := w.db.buildUnlessLeased(ctx, tx.Tx, w.fileID, now, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, w.db.d.rebind(`UPDATE ingest_files SET completed_at = ?, rows_read = ?, rows_rejected = ?,
			indexes_deferred_until = NULL WHERE id = ?`),
			w.db.instantArg(now), total.Read, total.Rejected, w.fileID)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish file: %w", err)
	}
	if w.atomic {
		if err := w.tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		w.touched.Merge(w.pending)
		w.pending = ingest.Touched{}
	}
	w.done, w.deferred = true, false
	return w.Close()
}

// Close rolls back an atomic writer that did not finish. A writer that
// committed batches with the secondary indexes dropped builds them (unless
// another file's load holds them off) and gives up its lease, so that an
// ingest that fails or is cancelled leaves a store like any other.
func (w *fileWriter) Close() error {
	if !w.atomic {
		if !w.deferred {
			return nil
		}
		w.deferred = false
		ctx := context.Background()
		err := w.do(ctx, func(tx txn) error {
			if err := w.db.buildUnlessLeased(ctx, tx.Tx, w.fileID, w.now(), true); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, w.db.d.rebind(`UPDATE ingest_files SET indexes_deferred_until = NULL WHERE id = ?`), w.fileID)
			return err
		})
		if err != nil {
			return fmt.Errorf("build indexes: %w", err)
		}
		return nil
	}
	if w.conn == nil {
		return nil
	}
	var err error
	if !w.done {
		w.done = true
		err = w.tx.Rollback()
	}
	err = errors.Join(err, w.conn.Close())
	w.conn = nil
	return err
}

// olderVersion reports whether release a is known to be older than b:
// both are given, and compare lower number by number ("21.1" < "23.1").
func olderVersion(a, b string) bool {
	if a == "" || b == "" || a == b {
		return false
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, err1 := strconv.Atoi(as[i])
		y, err2 := strconv.Atoi(bs[i])
		if err1 != nil || err2 != nil {
			return as[i] < bs[i]
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

func dateArg(t time.Time) string { return t.Format(time.DateOnly) }

func floatArg(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func intArg(n *int) any {
	if n == nil {
		return nil
	}
	return int64(*n)
}
