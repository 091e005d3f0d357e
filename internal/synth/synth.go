// Package synth writes SYNTHETIC event files, of any size, in the published
// layouts Threshold ingests, for volume tests and benchmarks. Nothing it
// writes is real and nothing may be read as real: every file says so in
// its ids' range, its source fields ("synthetic") and its actor names
// ("Synthetic armed group 2 (AFG)"). Never ingest a synthetic file into a
// database that holds real data.
//
// Formats:
//
//   - gdelt2: the GDELT 2.0 events export, tab-separated, headerless, the
//     61 columns of the GDELT 2.0 Event Codebook (file names end in
//     .export.CSV, see FileName);
//   - ucdp-ged: the UCDP GED CSV in the 49-column layout of the yearly
//     releases (GED 23.1).
//
// What is realistic, and where it comes from. The tables under tables/
// were derived once from the real samples in shared/data by gen_tables.go
// and are embedded, so the generator needs no data at run time:
//
//   - countries and places: gdelt2 draws an ActionGeo place (real FullName,
//     ADM1Code, coordinates, FeatureID) with the frequency it has in the two
//     GDELT samples (a 2019 15-minute export and a 2016 1.0 sample), so
//     countries come out weighted by GDELT's activity; ucdp-ged draws a
//     country and year with the frequency they have in the GED 21.1 global
//     subset (175,322 events, 119 countries, 1989-2020), so violence is
//     where and when it was, then a place of that country: the named
//     admin-1 places of the full GED releases for CAF, MEX and SYR, else
//     the GDELT samples' cities and admin-1 areas of that country and the
//     subset's most frequent event coordinates (unnamed);
//   - clustering: events come in bursts, each at one place over a few days
//     (offsets exponential, mean 1.5 days), with a heavy-tailed burst size
//     (1 + Zipf, s = 2, at most 500, mean about 4);
//   - CAMEO codes (gdelt2) with their frequency in the GDELT samples, a
//     burst being either cooperative (quad classes 1-2) or conflictual
//     (3-4) as often as the samples are; GoldsteinScale is the code's own
//     score from the CAMEO Goldstein table, QuadClass follows the root code
//     (01-05 verbal cooperation, 06-09 material cooperation, 10-14 verbal
//     conflict, 15-20 material conflict), AvgTone leans with Goldstein;
//   - fatalities (ucdp-ged): best is drawn from the subset's histogram of
//     best estimates (heavy-tailed: 0 to thousands), split into its four
//     parts (all civilians for one-sided violence) so that best is their
//     sum, with low ≤ best ≤ high; type of violence with the country's
//     frequencies in the subset.
//
// Not modelled: actors (synthetic names or bare country codes), trends
// within a year, weekly cycles, the reporting lag of the news.
//
// Output is deterministic for a seed, ids are unique within a file
// (GLOBALEVENTID from 9,000,000,001, GED id from 900,000,001: beyond the
// real ranges), and memory is constant whatever the number of events: the
// generator streams rows.
package synth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Format is an output layout.
type Format string

// The formats Generate writes.
const (
	GDELT2  Format = "gdelt2"
	UCDPGED Format = "ucdp-ged"
)

// Formats lists the formats, for flags and help.
func Formats() []Format { return []Format{GDELT2, UCDPGED} }

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown synthetic format %q (want gdelt2 or ucdp-ged)", s)
}

// Options says what to generate.
type Options struct {
	Format Format
	Events int64  // rows to write
	Seed   uint64 // the same seed gives the same bytes

	// From and To bound the event dates of gdelt2 (default 2019-01-01 to
	// 2019-12-31). ucdp-ged's dates follow the subset's years, 1989-2020.
	From, To time.Time
}

// Id bases: the ids of a file are base+1 .. base+Events.
const (
	gdeltIDBase = 9_000_000_000
	gedIDBase   = 900_000_000
)

// FileName is a name for a file of the format that follows the source's
// conventions and says it is synthetic: "synthetic-20191231234500.export.CSV"
// (GDELT 2.0 names a file by its 15-minute slot; this is the To day's last)
// and "GEDEvent_synthetic.csv" (no release version, so none is read from
// it).
func FileName(o Options) string {
	if o.Format == GDELT2 {
		_, to := o.span()
		return "synthetic-" + to.Format("20060102") + "234500.export.CSV"
	}
	return "GEDEvent_synthetic.csv"
}

func (o Options) span() (from, to time.Time) {
	from, to = o.From, o.To
	if from.IsZero() {
		from = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if to.IsZero() {
		to = time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return from, to
}

// Generate writes o.Events synthetic rows in o.Format to w.
func Generate(ctx context.Context, w io.Writer, o Options) error {
	if o.Events < 0 {
		return fmt.Errorf("synth: negative number of events %d", o.Events)
	}
	t, err := loadTables()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5e1f_0000_7a11_dead))
	switch o.Format {
	case GDELT2:
		from, to := o.span()
		if to.Before(from) {
			return fmt.Errorf("synth: To %s before From %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
		}
		err = newGDELTWriter(t, r, from, to).write(ctx, bw, o.Events)
	case UCDPGED:
		err = newGEDWriter(t, r).write(ctx, bw, o.Events)
	default:
		_, err = ParseFormat(string(o.Format))
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: write: %w", err)
	}
	return nil
}

// burstSize draws the number of events of a burst: 1 + Zipf(s=2, v=1),
// at most 500, at most left.
type burstSizer struct{ z *rand.Zipf }

func newBurstSizer(r *rand.Rand) burstSizer { return burstSizer{rand.NewZipf(r, 2, 1, 499)} }

func (b burstSizer) draw(left int64) int64 { return min(1+int64(b.z.Uint64()), left) }

// dayOffset draws a burst event's offset in days from the burst's start.
func dayOffset(r *rand.Rand) int { return int(r.ExpFloat64() * 1.5) }

// checkEvery is how many rows pass between checks of the context.
const checkEvery = 1 << 14
