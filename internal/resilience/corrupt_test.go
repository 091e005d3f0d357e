package resilience

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"threshold/internal/store"
	"threshold/internal/testenv"
)

// The real files the corruption tests damage: UCDP GED 23.1 for Mexico,
// 18,957 rows, which an ingest writes in three whole batches of 5,000
// rows and a partial one, and for the Central African Republic, 1,848
// rows, for the damage that needs no batches.
const (
	gedMexico     = "GEDEvent_v23_1_mexico.csv"
	gedMexicoRows = 18957
	gedCAF        = "GEDEvent_v23_1_central_african_republic.csv"
	gedCAFRows    = 1848
	batchRows     = 5000 // ingest's default batch
)

// TestCorruptInput feeds damaged copies of a real file to "threshold
// ingest" and checks what each leaves: an error naming the file (and the
// line where the stream broke) or the bad rows quarantined by line, only
// whole batches stored, and then, with the good file, exactly its rows.
func TestCorruptInput(t *testing.T) {
	tests := []struct {
		name string
		file string // the real file damaged
		rows int    // its rows
		// damage writes the damaged file into dir and returns its path.
		damage func(t *testing.T, dir string, good []byte) string
		// wantErr lists what the failed ingest's message must say; nil
		// when the ingest succeeds, quarantining bad rows.
		wantErr []string
		// check looks at the store after the damaged ingest.
		check func(t *testing.T, st *store.DB, events int, good []byte)
		// phantoms is how many events the damage may add that the good
		// file does not have (see phantomEvents).
		phantoms int
	}{{
		name: "gzip cut mid-stream", file: gedMexico, rows: gedMexicoRows,
		damage: func(t *testing.T, dir string, good []byte) string {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(good)
			zw.Close()
			return write(t, dir, gedMexico+".gz", b.Bytes()[:b.Len()*7/10])
		},
		wantErr: []string{gedMexico, "after line", "unexpected EOF"},
		check: func(t *testing.T, _ *store.DB, events int, _ []byte) {
			if events%batchRows != 0 || events == 0 {
				t.Errorf("%d events stored from the cut file, want a positive multiple of the %d-row batch", events, batchRows)
			}
		},
	}, {
		name: "zip entry with a bad CRC", file: gedCAF, rows: gedCAFRows,
		damage: func(t *testing.T, dir string, good []byte) string {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			w, err := zw.CreateHeader(&zip.FileHeader{Name: gedCAF, Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(good)
			zw.Close()
			data := b.Bytes()
			// A digit in the middle of the stored rows becomes another
			// digit: the archive still opens, the rows still parse, only
			// the CRC tells.
			i := bytes.IndexAny(data[len(data)/2:], "123456789") + len(data)/2
			data[i] = '0'
			return write(t, dir, "ged-caf.zip", data)
		},
		wantErr: []string{"ged-caf.zip/" + gedCAF, "corrupt", "checksum error"},
		check: func(t *testing.T, _ *store.DB, events int, _ []byte) {
			if events != 0 {
				t.Errorf("%d events stored from a zip entry failing its CRC, want none", events)
			}
		},
	}, {
		name: "CSV cut mid-row", file: gedCAF, rows: gedCAFRows,
		damage: func(t *testing.T, dir string, good []byte) string {
			whole, _, start := rowAfter(t, good, len(good)*6/10)
			t.Logf("cut 40 bytes into row %d", whole+1)
			return write(t, dir, gedCAF, good[:start+40])
		},
		check: func(t *testing.T, st *store.DB, events int, good []byte) {
			whole, line, _ := rowAfter(t, good, len(good)*6/10)
			rej, err := st.Rejects(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(rej) != 1 || rej[0].Line != line || rej[0].File != gedCAF {
				t.Errorf("rejects %+v; want the cut row, %s line %d", rej, gedCAF, line)
			}
			if events != whole {
				t.Errorf("%d events stored, want the %d whole rows before the cut", events, whole)
			}
		},
	}, {
		name: "bytes flipped", file: gedCAF, rows: gedCAFRows,
		damage: func(t *testing.T, dir string, good []byte) string {
			data := bytes.Clone(good)
			rng := rand.New(rand.NewPCG(9, 4)) // fixed: the same damage every run
			header := bytes.IndexByte(data, '\n') + 1
			for range 40 {
				data[header+rng.IntN(len(data)-header)] = byte(rng.IntN(256))
			}
			return write(t, dir, gedCAF, data)
		},
		check: func(t *testing.T, st *store.DB, events int, _ []byte) {
			rej, err := st.Rejects(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rej {
				if r.File != gedCAF || r.Line < 2 || r.Field == "" || r.Reason == "" {
					t.Errorf("reject without file, line, field and reason: %+v", r)
				}
			}
			t.Logf("40 random bytes: %d events stored, %d rows quarantined", events, len(rej))
		},
		phantoms: 40, // at most one per flipped byte
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good, err := os.ReadFile(testenv.SharedData(t, "ucdp-ged", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			db := filepath.Join(dir, "threshold.db")
			bad := tt.damage(t, dir, good)
			code, _, stderr := threshold(t, "ingest", "--db", db, "--json", "--indicators=false", bad)
			switch {
			case tt.wantErr == nil && code != 0:
				t.Fatalf("ingest of the damaged file exited %d: %s", code, stderr)
			case tt.wantErr != nil && code != 1:
				t.Fatalf("ingest of the damaged file exited %d, want 1: %s", code, stderr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(stderr, s) {
					t.Errorf("error %q does not say %q", strings.TrimSpace(stderr), s)
				}
			}
			t.Logf("damaged ingest: exit %d %s", code, strings.TrimSpace(stderr))
			ctx := context.Background()
			st, err := store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := st.CountEvents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, st, stored, good)
			st.Close()

			// The good file, twice: the first run completes, the second
			// finds every row stored exactly as the good file has it.
			goodPath := write(t, t.TempDir(), tt.file, good)
			sum := mustIngest(t, db, goodPath)
			if sum.Read != tt.rows || sum.Rejected != 0 || sum.Inserted+sum.Updated+sum.Unchanged != tt.rows {
				t.Errorf("re-run with the good file: %+v, want %d rows read, none rejected", sum, tt.rows)
			}
			if sum.Unchanged+sum.Updated > stored {
				t.Errorf("re-run found %d rows stored, but only %d events were", sum.Unchanged+sum.Updated, stored)
			}
			if again := mustIngest(t, db, goodPath); again.Unchanged != tt.rows {
				t.Errorf("second run with the good file: %+v, want all %d unchanged", again, tt.rows)
			}
			// A flipped byte that leaves a row valid but changes its id
			// makes an event the good file does not have: a plain file
			// carries no checksum that could tell. Such rows are named,
			// never silently counted.
			phantoms := phantomEvents(t, db, good)
			if len(phantoms) > tt.phantoms {
				t.Errorf("%d events the good file does not have, want at most %d: %v", len(phantoms), tt.phantoms, phantoms)
			} else if len(phantoms) > 0 {
				t.Logf("events from the damaged file that the good file does not have (ids changed by the damage): %v", phantoms)
			}
			consistent(t, db, tt.rows+len(phantoms))
		})
	}
}

// rowAfter parses good as CSV and finds the first row starting at or
// after byte off: it returns how many rows precede it, its line and its
// byte offset.
func rowAfter(t *testing.T, good []byte, off int) (rows, line, start int) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(good))
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil { // header
		t.Fatal(err)
	}
	for {
		start = int(r.InputOffset())
		if _, err := r.Read(); err != nil {
			t.Fatalf("no row after byte %d: %v", off, err)
		}
		if start >= off {
			line, _ = r.FieldPos(0)
			return rows, line, start
		}
		rows++
	}
}

// phantomEvents returns the source ids of stored events whose id is not
// in the good GED file.
func phantomEvents(t *testing.T, db string, good []byte) []string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(good))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, rec := range recs[1:] {
		ids[rec[0]] = true
	}
	rows, err := rawDB(t, db).QueryContext(context.Background(), `SELECT source_id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		if !ids[id] {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// write writes data to dir/name and returns the path.
func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
