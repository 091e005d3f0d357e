package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// print writes the report as tables: one row per side and size, then the
// growth from each size to the next.
func (r *Report) print(w io.Writer) {
	fmt.Fprintf(w, "date     %s\nmachine  %s\nseed     %d\n\n", r.Date, r.Machine, r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\tdb\tside\tevents\tseconds\tevents/s\tratio\tcpu s\tMiB RSS\tMiB disk\tfile MiB\t")
	for _, m := range r.Measures {
		rate, ratio := "", ""
		if m.PerSec > 0 {
			rate = fmt.Sprintf("%.0f", m.PerSec)
		}
		if m.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", m.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.2f\t%s\t%s\t%.2f\t%.1f\t%.1f\t%.1f\t\n",
			m.Format, m.DB, m.Side, m.Events, m.Seconds, rate, ratio, m.CPUSecs, m.RSSMiB, m.DiskMiB, m.FileMiB)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nratio = threshold ingest events/s ÷ the same database's baseline events/s (above 1: Threshold faster)")
	fmt.Fprintln(w, "cpu s = user + system seconds of the measured process (psql's for the PostgreSQL baseline; the server's not counted)")

	// Growth: each side against itself at the previous size.
	type key struct{ format, db, side string }
	prev := map[key]Measure{}
	var lines []string
	for _, m := range r.Measures {
		k := key{m.Format, m.DB, m.Side}
		if p, ok := prev[k]; ok && p.Seconds > 0 && p.RSSMiB > 0 && p.DiskMiB > 0 {
			lines = append(lines, fmt.Sprintf("%s\t%s\t%s\t%d → %d\t×%.1f\t×%.1f\t×%.2f\t×%.1f\t",
				m.Format, m.DB, m.Side, p.Events, m.Events, float64(m.Events)/float64(p.Events),
				m.Seconds/p.Seconds, m.RSSMiB/p.RSSMiB, m.DiskMiB/p.DiskMiB))
		}
		prev[k] = m
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\ngrowth from one size to the next")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\tdb\tside\tevents\tevents ×\ttime ×\tRSS ×\tdisk ×\t")
	for _, l := range lines {
		fmt.Fprintln(tw, l)
	}
	tw.Flush()
}
