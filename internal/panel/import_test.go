package panel

import (
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memStore is a Store that keeps what it is given.
type memStore struct{ files []*File }

func (m *memStore) ImportPanel(_ context.Context, f *File, _ time.Time) (Result, error) {
	m.files = append(m.files, f)
	return Result{Inserted: len(f.Values)}, nil
}

func TestImportFiles(t *testing.T) {
	codes := loadCodes(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "population.csv")
	if err := os.WriteFile(plain, []byte("gwcode,year,pop\n2,2020,335942.004\n999,2020,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "coups.csv.gz")
	fh, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(fh)
	zw.Write([]byte("ccode,country,year,cou.any\n700,Afghanistan,1945,0\n"))
	zw.Close()
	fh.Close()
	refused := filepath.Join(dir, "acd.csv")
	if err := os.WriteFile(refused, []byte("conflict_id,location,incompatibility,year,intensity_level,type_of_conflict,gwno_a,gwno_b,gwno_loc,version\n1,X,2,2015,9,3,100,,100,25.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.csv")

	st := &memStore{}
	sum, err := Import(context.Background(), st, codes, []string{plain, refused, missing, gz}, Options{})
	if !errors.Is(err, ErrRefused) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Import error %v, want the refused file's and the missing one's", err)
	}
	if len(st.files) != 2 || st.files[0].Name != "population.csv" || st.files[1].Name != "coups.csv.gz" {
		t.Fatalf("stored %d files, want population.csv and coups.csv.gz", len(st.files))
	}
	if len(sum.Files) != 4 || sum.Rows != 4 || sum.Values != 2 || sum.Rejected != 2 || sum.Inserted != 2 {
		t.Errorf("summary %+v, want 4 files, 4 rows, 2 values, 2 rejected (999 and the refused row), 2 inserted", sum)
	}
	if r := sum.Files[1]; !strings.Contains(r.Refused, "acd.csv:2: column intensity_level") || r.Inserted != 0 {
		t.Errorf("refused file summary %+v", r)
	}
}
