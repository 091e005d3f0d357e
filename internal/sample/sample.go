// Package sample holds the real sample data bundled into the binary for
// "threshold demo": a UCDP GED release's events for the Central African
// Republic and one GDELT 2.0 export. SOURCE.md gives origin, licence and
// citation.
package sample

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed data/*.gz
var data embed.FS

// WriteFiles writes the sample files into dir and returns their paths.
func WriteFiles(dir string) ([]string, error) {
	entries, err := fs.ReadDir(data, "data")
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		b, err := data.ReadFile("data/" + e.Name())
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, e.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("write sample %s: %w", e.Name(), err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
