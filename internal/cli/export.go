package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"threshold/internal/export"
)

const exportHelp = `
usage: threshold export events [--db DB] [--format csv|hxl|geojson|parquet] [-o FILE]
                               [--country ISO3] [--admin1 NAME] [--from DATE] [--to DATE]
                               [--category C] [--source S]
       threshold export indicators [--db DB] [--format csv|hxl|parquet] [-o FILE]
                               [--country ISO3] [--admin1 NAME] [--period day|week|month|all]
                               [--name NAME] [--from DATE] [--to DATE]

Export writes stored events or indicators for other tools, to -o FILE
(written whole or not at all) or to standard output:

  csv      CSV with a header row (text starting with = + - @ gets a
           leading apostrophe, so that spreadsheets do not run it)
  hxl      the same CSV with a row of HXL hashtags under the header
           (https://hxlstandard.org), for HDX and HXL tools
  geojson  a FeatureCollection of the events with coordinates, [lon, lat];
           the events left out are counted in its "omitted" member
  parquet  Apache Parquet, typed: dates as DATE, deaths as INT32,
           coordinates as DOUBLE, absent values as nulls

Events are written in the order they were stored, indicators by country,
admin-1 area, period and name; indicator values are sparse (an absent
count is zero; see "threshold indicators"). Exports hold only event and
indicator data: field-report events carry no reporter and no channel.
`

func runExport(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"export needs a subcommand: events or indicators"}
	}
	what, args := args[0], args[1:]
	if what != "events" && what != "indicators" {
		return usageError{fmt.Sprintf("export: unknown subcommand %q (want events or indicators)", what)}
	}
	fs := newFlags("export "+what, exportHelp, env)
	db := dbFlag(fs, env)
	format := fs.String("format", "csv", "csv, hxl, geojson (events only) or parquet")
	out := fs.String("o", "", "the file to write; standard output when absent or -")
	var (
		ff filterFlags
		ip export.IndicatorParams
	)
	if what == "events" {
		ff = addFilterFlags(fs)
	} else {
		fs.StringVar(&ip.Country, "country", "", "ISO 3166-1 alpha-3 country code, e.g. SDN")
		fs.StringVar(&ip.Admin1, "admin1", "", "one first-level administrative area, as the source spells it")
		fs.StringVar(&ip.Period, "period", "month", "day, week, month or all")
		fs.StringVar(&ip.Name, "name", "", "one indicator name, e.g. fatalities_best")
		fs.StringVar(&ip.From, "from", "", "periods starting on or after this day, YYYY-MM-DD (or YYYY-MM, YYYY)")
		fs.StringVar(&ip.To, "to", "", "periods starting on or before this day (YYYY-MM, YYYY: the end of that month or year)")
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	f, err := export.ParseFormat(*format)
	if err != nil {
		return usageError{"--format: " + err.Error()}
	}
	if what == "indicators" && f == export.GeoJSON {
		return usageError{"--format geojson: indicators have no coordinates; use csv, hxl or parquet"}
	}
	if f == export.Parquet && (*out == "" || *out == "-") && env.IsTerminal(env.Stdout) {
		return usageError{"--format parquet is binary: give -o FILE or redirect standard output"}
	}
	write := func(w io.Writer) (export.Result, error) { return export.Result{}, nil }
	var noun string
	switch what {
	case "events":
		filter, err := ff.filter()
		if err != nil {
			return err
		}
		noun = "events"
		write = func(w io.Writer) (export.Result, error) {
			st, err := openDB(ctx, *db)
			if err != nil {
				return export.Result{}, err
			}
			defer st.Close()
			return export.Events(ctx, st, w, f, filter, export.Options{})
		}
	case "indicators":
		q, err := ip.Query()
		if fe := (*export.FieldError)(nil); errors.As(err, &fe) {
			return usageError{fmt.Sprintf("--%s %q: %v", fe.Field, fe.Value, fe.Err)}
		}
		noun = "indicator values"
		write = func(w io.Writer) (export.Result, error) {
			st, err := openDB(ctx, *db)
			if err != nil {
				return export.Result{}, err
			}
			defer st.Close()
			return export.Indicators(ctx, st, w, f, q, export.Options{})
		}
	}
	res, err := writeExport(*out, env.Stdout, write)
	if err != nil {
		return err
	}
	dest := *out
	if dest == "" || dest == "-" {
		dest = "standard output"
	}
	msg := fmt.Sprintf("wrote %d %s to %s", res.Rows, noun, dest)
	if res.Omitted > 0 {
		msg += fmt.Sprintf(" (%d events without coordinates left out)", res.Omitted)
	}
	fmt.Fprintln(env.Stderr, msg)
	return nil
}

// writeExport runs write on standard output, or on a temporary file
// beside path that replaces path only once the export is complete: a
// failed export leaves no truncated file behind. A path that exists and
// is not a regular file (/dev/null, a named pipe) is written to directly:
// renaming over it would replace the device.
func writeExport(path string, stdout io.Writer, write func(io.Writer) (export.Result, error)) (export.Result, error) {
	if path == "" || path == "-" {
		return write(stdout)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return export.Result{}, fmt.Errorf("export to %s: %w", path, err)
		}
		res, err := write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res, fmt.Errorf("export to %s: %w", path, err)
		}
		return res, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return export.Result{}, fmt.Errorf("export to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	// CreateTemp makes the file private; an export is an ordinary file.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return export.Result{}, fmt.Errorf("export to %s: %w", path, err)
	}
	res, err := write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res, fmt.Errorf("export to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return res, fmt.Errorf("export to %s: %w", path, err)
	}
	return res, nil
}
