package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"threshold/internal/api"
	"threshold/internal/event"
	"threshold/internal/store"
)

const eventsHelp = `
usage: threshold events [--db DB] [--country ISO3] [--admin1 NAME] [--from DATE] [--to DATE]
                        [--category C] [--source S] [--limit N] [--format table|csv|json|geojson]

Events lists stored events matching the filters, in the order they were
stored. The json format is one JSON object per line (JSON Lines) with the
source row kept for provenance; geojson is a FeatureCollection of the
events that have coordinates.
`

func runEvents(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("events", eventsHelp, env)
	db := dbFlag(fs, env)
	ff := addFilterFlags(fs)
	format := fs.String("format", "table", "output format: table, csv, json or geojson")
	limit := fs.Int("limit", 0, "print at most N events (0: all)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	var out eventWriter
	w := bufio.NewWriter(env.Stdout)
	switch *format {
	case "table":
		out = newTableWriter(w)
	case "csv":
		out = newCSVWriter(w)
	case "json":
		out = &jsonWriter{enc: json.NewEncoder(w)}
	case "geojson":
		out = &geoJSONWriter{w: w}
	default:
		return usageError{fmt.Sprintf("--format %q: want table, csv, json or geojson", *format)}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := out.begin(); err != nil {
		return err
	}
	// Only the json format shows the source rows.
	page := store.Page{Limit: *limit, NoRaw: *format != "json"}
	if err := st.Events(ctx, f, page, out.write); err != nil {
		return err
	}
	if err := out.end(); err != nil {
		return err
	}
	return w.Flush()
}

type eventWriter interface {
	begin() error
	write(event.Stored) error
	end() error
}

func optInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func optFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

type tableWriter struct{ tw *tabwriter.Writer }

func newTableWriter(w *bufio.Writer) *tableWriter {
	return &tableWriter{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (t *tableWriter) begin() error {
	_, err := fmt.Fprintln(t.tw, "SOURCE\tID\tDATE\tCOUNTRY\tADMIN1\tCATEGORY\tDEATHS\tACTOR1\tACTOR2")
	return err
}

func (t *tableWriter) write(s event.Stored) error {
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Source, s.SourceID,
		s.DateStart.Format(time.DateOnly), s.Country, s.Admin1, s.Category, optInt(s.Fatalities.Best),
		clip(s.Actor1, 40), clip(s.Actor2, 40))
	return err
}

func (t *tableWriter) end() error { return t.tw.Flush() }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var csvHeader = []string{"source", "source_id", "source_version", "date_start", "date_end", "date_precision",
	"country", "admin1", "place", "latitude", "longitude", "geo_precision", "category", "source_type",
	"source_subtype", "quad_class", "actor1", "actor2", "fatalities_best", "fatalities_low", "fatalities_high",
	"goldstein", "tone", "electoral", "source_ref", "file", "line"}

type csvWriter struct{ w *csv.Writer }

func newCSVWriter(w *bufio.Writer) *csvWriter { return &csvWriter{csv.NewWriter(w)} }

func (c *csvWriter) begin() error { return c.w.Write(csvHeader) }

func (c *csvWriter) write(s event.Stored) error {
	return c.w.Write([]string{string(s.Source), s.SourceID, s.Version, s.DateStart.Format(time.DateOnly),
		s.DateEnd.Format(time.DateOnly), strconv.Itoa(int(s.DatePrecision)), s.Country, s.Admin1, s.Place,
		optFloat(s.Latitude), optFloat(s.Longitude), strconv.Itoa(int(s.GeoPrecision)), string(s.Category),
		s.SourceType, s.SourceSubType, strconv.Itoa(s.QuadClass), s.Actor1, s.Actor2,
		optInt(s.Fatalities.Best), optInt(s.Fatalities.Low), optInt(s.Fatalities.High),
		optFloat(s.Goldstein), optFloat(s.Tone), strconv.FormatBool(s.Electoral), s.SourceRef,
		s.File, strconv.Itoa(s.Line)})
}

func (c *csvWriter) end() error { c.w.Flush(); return c.w.Error() }

// eventJSON is the JSON form of an event in the json and geojson formats:
// the API's, with the source row and its file's column names.
type eventJSON struct {
	api.Event
	Raw        []string `json:"raw,omitempty"`
	RawColumns []string `json:"raw_columns,omitempty"`
}

func toJSON(s event.Stored) eventJSON {
	return eventJSON{Event: api.NewEvent(s), Raw: s.Raw, RawColumns: s.Columns}
}

type jsonWriter struct{ enc *json.Encoder }

func (j *jsonWriter) begin() error               { return nil }
func (j *jsonWriter) write(s event.Stored) error { return j.enc.Encode(toJSON(s)) }
func (j *jsonWriter) end() error                 { return nil }

// geoJSONWriter streams a FeatureCollection; events without coordinates
// are left out, since GeoJSON features need a geometry to be mapped.
type geoJSONWriter struct {
	w *bufio.Writer
	n int
}

func (g *geoJSONWriter) begin() error {
	_, err := g.w.WriteString(`{"type":"FeatureCollection","features":[`)
	return err
}

func (g *geoJSONWriter) write(s event.Stored) error {
	if s.Latitude == nil || s.Longitude == nil {
		return nil
	}
	props := toJSON(s)
	props.Raw, props.RawColumns = nil, nil
	b, err := json.Marshal(struct {
		Type       string    `json:"type"`
		Geometry   any       `json:"geometry"`
		Properties eventJSON `json:"properties"`
	}{"Feature", map[string]any{"type": "Point", "coordinates": []float64{*s.Longitude, *s.Latitude}}, props})
	if err != nil {
		return err
	}
	if g.n > 0 {
		g.w.WriteByte(',')
	}
	g.n++
	_, err = g.w.Write(b)
	return err
}

func (g *geoJSONWriter) end() error {
	_, err := g.w.WriteString("]}\n")
	return err
}
