package cli

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"threshold/internal/synth"
)

const synthHelp = `
usage: threshold synth --format gdelt2|ucdp-ged --events N [--seed S] -o FILE

Synth writes a SYNTHETIC event file for volume tests and benchmarks: N
made-up events in a published layout that "threshold ingest" reads,
gdelt2 (GDELT 2.0 events export, 61 tab-separated columns) or ucdp-ged
(UCDP GED CSV, the 49 columns of the yearly releases). Countries, places,
event codes, fatalities and bursts in time and space follow frequencies
taken from the real samples, but no event is real: actors, sources and ids
say "synthetic". Never ingest one into a database that holds real data.

The same --seed gives the same file. Memory stays constant whatever N
(1e7 and 5e7 are accepted). -o - writes to standard output; a FILE ending
in .gz is gzip-compressed. Name a GDELT file like GDELT's own,
"synthetic-20191231234500.export.CSV", if anything else is to recognise it.
`

func runSynth(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("synth", synthHelp, env)
	format := fs.String("format", "", "output layout: gdelt2 or ucdp-ged")
	events := fs.String("events", "", "number of events, e.g. 1000000 or 1e6")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same file")
	out := fs.String("o", "", "output file; - for standard output; .gz is compressed")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	f, err := synth.ParseFormat(*format)
	if err != nil {
		return usageError{"--format: " + err.Error()}
	}
	n, err := parseCount(*events)
	if err != nil {
		return usageError{"--events: " + err.Error()}
	}
	if *out == "" {
		return usageError{"-o FILE is required (- for standard output)"}
	}
	o := synth.Options{Format: f, Events: n, Seed: *seed}

	var w io.Writer = env.Stdout
	var file *os.File
	if *out != "-" {
		if file, err = os.Create(*out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	w = bw
	var zw *gzip.Writer
	if strings.HasSuffix(strings.ToLower(*out), ".gz") {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	if err := synth.Generate(ctx, w, o); err != nil {
		return fmt.Errorf("%s: %w", *out, err)
	}
	if zw != nil {
		err = zw.Close()
	}
	err = errors.Join(err, bw.Flush())
	if file != nil {
		err = errors.Join(err, file.Close())
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	if *out != "-" {
		env.Log.Info("wrote synthetic events", "file", *out, "format", f, "events", n, "seed", *seed)
	}
	return nil
}

// parseCount reads a positive or zero count written as an integer or in
// exponent form with an integral value: 1000000, 1e6, 5e7.
func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("required")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%d is negative", n)
		}
		return n, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v != float64(int64(v)) || v > 1e12 {
		return 0, fmt.Errorf("%q is not a count of events", s)
	}
	return int64(v), nil
}
