package export

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"threshold/internal/event"
)

// TestPythonReadsParquet reads an export back with pyarrow, as an
// analyst would. It is not a required suite: without python3 and
// pyarrow installed it skips (it never installs anything).
func TestPythonReadsParquet(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if exec.Command(py, "-c", "import pyarrow.parquet").Run() != nil {
		t.Skip("python3 has no pyarrow")
	}
	path := filepath.Join(t.TempDir(), "events.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Events(context.Background(), &syntheticEvents{n: 1000}, f, Parquet, event.Filter{}, Options{RowGroupRows: 300}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
s = t.schema
print(t.num_rows, s.field("date_start").type, s.field("fatalities_best").type, s.field("latitude").type,
      s.field("source").type, t.column("date_start")[0].as_py().isoformat(), t.column("latitude").null_count)
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	// Synthetic event 1 starts on 2000-01-02; every third has no coordinates.
	if want := "1000 date32[day] int32 double string 2000-01-02 333"; strings.TrimSpace(string(out)) != want {
		t.Errorf("pyarrow reads %q, want %q", strings.TrimSpace(string(out)), want)
	}
}
