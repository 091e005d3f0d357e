package export

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
)

// EventStore reads events. *store.DB implements it.
type EventStore interface {
	// Events calls fn for each event matching f in id order, after
	// p.AfterID and at most p.Limit of them.
	Events(ctx context.Context, f event.Filter, p store.Page, fn func(event.Stored) error) error
}

var _ EventStore = (*store.DB)(nil)

// eventRow is an event as exported. Its parquet tags are the Parquet
// schema; eventColumns gives the same columns, in the same order, as
// text for CSV and GeoJSON.
type eventRow struct {
	ID             int64    `parquet:"id"`
	Source         string   `parquet:"source"`
	SourceID       string   `parquet:"source_id"`
	SourceVersion  *string  `parquet:"source_version,optional"`
	DateStart      int32    `parquet:"date_start,date"` // days since 1970-01-01 (see epochDay)
	DateEnd        int32    `parquet:"date_end,date"`
	DatePrecision  int32    `parquet:"date_precision"`
	Country        string   `parquet:"country"`
	Admin1         *string  `parquet:"admin1,optional"`
	Place          *string  `parquet:"place,optional"`
	Latitude       *float64 `parquet:"latitude,optional"`
	Longitude      *float64 `parquet:"longitude,optional"`
	GeoPrecision   int32    `parquet:"geo_precision"`
	Category       string   `parquet:"category"`
	SourceType     *string  `parquet:"source_type,optional"`
	SourceSubType  *string  `parquet:"source_subtype,optional"`
	QuadClass      *int32   `parquet:"quad_class,optional"`
	Actor1         *string  `parquet:"actor1,optional"`
	Actor2         *string  `parquet:"actor2,optional"`
	FatalitiesBest *int32   `parquet:"fatalities_best,optional"`
	FatalitiesLow  *int32   `parquet:"fatalities_low,optional"`
	FatalitiesHigh *int32   `parquet:"fatalities_high,optional"`
	Goldstein      *float64 `parquet:"goldstein,optional"`
	Tone           *float64 `parquet:"tone,optional"`
	Electoral      bool     `parquet:"electoral"`
	SourceRef      *string  `parquet:"source_ref,optional"`
}

// newEventRow is the exported form of s. It is the one place that
// decides what of an event leaves Threshold: never the source row or
// the file it came from, and for field reports not the source reference
// either, which names the channel the report came in by.
func newEventRow(s *event.Stored) eventRow {
	e := &s.Event
	r := eventRow{
		ID: s.ID, Source: string(e.Source), SourceID: e.SourceID, SourceVersion: optString(e.Version),
		DateStart: epochDay(e.DateStart), DateEnd: epochDay(e.DateEnd), DatePrecision: int32(e.DatePrecision),
		Country: e.Country, Admin1: optString(e.Admin1), Place: optString(e.Place),
		Latitude: e.Latitude, Longitude: e.Longitude, GeoPrecision: int32(e.GeoPrecision),
		Category: string(e.Category), SourceType: optString(e.SourceType), SourceSubType: optString(e.SourceSubType),
		Actor1: optString(e.Actor1), Actor2: optString(e.Actor2),
		FatalitiesBest: optInt32(e.Fatalities.Best), FatalitiesLow: optInt32(e.Fatalities.Low),
		FatalitiesHigh: optInt32(e.Fatalities.High),
		Goldstein:      e.Goldstein, Tone: e.Tone, Electoral: e.Electoral, SourceRef: optString(e.SourceRef),
	}
	if e.QuadClass != 0 {
		q := int32(e.QuadClass)
		r.QuadClass = &q
	}
	if e.Source == event.FieldReport {
		r.SourceRef = nil
	}
	return r
}

// eventColumns are the columns of an event export, with their HXL
// hashtags (see the package doc).
var eventColumns = []column[eventRow]{
	{"id", "#meta+id", number, func(r *eventRow) string { return strconv.FormatInt(r.ID, 10) }},
	{"source", "#meta+source", text, func(r *eventRow) string { return r.Source }},
	{"source_id", "#event+code", text, func(r *eventRow) string { return r.SourceID }},
	{"source_version", "#meta+version", text, func(r *eventRow) string { return deref(r.SourceVersion) }},
	{"date_start", "#date+start", text, func(r *eventRow) string { return dayText(r.DateStart) }},
	{"date_end", "#date+end", text, func(r *eventRow) string { return dayText(r.DateEnd) }},
	{"date_precision", "#meta+precision+date", number, func(r *eventRow) string { return itoa(r.DatePrecision) }},
	{"country", "#country+code", text, func(r *eventRow) string { return r.Country }},
	{"admin1", "#adm1+name", text, func(r *eventRow) string { return deref(r.Admin1) }},
	{"place", "#loc+name", text, func(r *eventRow) string { return deref(r.Place) }},
	{"latitude", "#geo+lat", number, func(r *eventRow) string { return ftoa(r.Latitude) }},
	{"longitude", "#geo+lon", number, func(r *eventRow) string { return ftoa(r.Longitude) }},
	{"geo_precision", "#meta+precision+geo", number, func(r *eventRow) string { return itoa(r.GeoPrecision) }},
	{"category", "#event+category", text, func(r *eventRow) string { return r.Category }},
	{"source_type", "#event+type", text, func(r *eventRow) string { return deref(r.SourceType) }},
	{"source_subtype", "#event+type+sub", text, func(r *eventRow) string { return deref(r.SourceSubType) }},
	{"quad_class", "#event+quadclass", number, func(r *eventRow) string { return optItoa(r.QuadClass) }},
	{"actor1", "#group+name+first", text, func(r *eventRow) string { return deref(r.Actor1) }},
	{"actor2", "#group+name+second", text, func(r *eventRow) string { return deref(r.Actor2) }},
	{"fatalities_best", "#affected+killed+best", number, func(r *eventRow) string { return optItoa(r.FatalitiesBest) }},
	{"fatalities_low", "#affected+killed+low", number, func(r *eventRow) string { return optItoa(r.FatalitiesLow) }},
	{"fatalities_high", "#affected+killed+high", number, func(r *eventRow) string { return optItoa(r.FatalitiesHigh) }},
	{"goldstein", "#indicator+goldstein+num", number, func(r *eventRow) string { return ftoa(r.Goldstein) }},
	{"tone", "#indicator+tone+num", number, func(r *eventRow) string { return ftoa(r.Tone) }},
	{"electoral", "#event+electoral", boolean, func(r *eventRow) string { return strconv.FormatBool(r.Electoral) }},
	{"source_ref", "#meta+ref", text, func(r *eventRow) string { return deref(r.SourceRef) }},
}

// Events writes the events matching f to w in format, in the order they
// were stored, reading them PageSize at a time.
func Events(ctx context.Context, st EventStore, w io.Writer, format Format, f event.Filter, o Options) (Result, error) {
	o = o.withDefaults()
	var (
		out sink[eventRow]
		geo *geoJSONSink
		err error
	)
	switch format {
	case CSV, HXL:
		out, err = newCSVSink(w, eventColumns, format == HXL)
	case GeoJSON:
		geo, err = newGeoJSONSink(w)
		out = geo
	case Parquet:
		out = newParquetSink[eventRow](w, o.RowGroupRows)
	default:
		return Result{}, fmt.Errorf("export events as %q: %w", format, ErrUnsupported)
	}
	if err != nil {
		return Result{}, fmt.Errorf("export events: %w", err)
	}
	var res Result
	err = eachEvent(ctx, st, f, o.PageSize, func(s *event.Stored) error {
		r := newEventRow(s)
		if err := out.write(&r); err != nil {
			return err
		}
		res.Rows++
		return nil
	})
	if err == nil {
		err = out.close()
	}
	if geo != nil {
		res.Rows, res.Omitted = geo.n, geo.omitted
	}
	if err != nil {
		return res, fmt.Errorf("export events: %w", err)
	}
	return res, nil
}

// eachEvent calls fn for every event matching f, reading a page of
// pageSize events at a time by id (keyset pagination) and calling fn
// only after the page's query is closed: a slow writer holds no cursor
// and no read transaction.
func eachEvent(ctx context.Context, st EventStore, f event.Filter, pageSize int, fn func(*event.Stored) error) error {
	page := make([]event.Stored, 0, pageSize)
	var after int64
	for {
		page = page[:0]
		err := st.Events(ctx, f, store.Page{AfterID: after, Limit: pageSize, NoRaw: true}, func(s event.Stored) error {
			page = append(page, s)
			return nil
		})
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// geoJSONSink writes events with coordinates as a FeatureCollection of
// points, streaming: the collection is opened at once, each feature
// written as it comes, and closed with the count of events left out.
type geoJSONSink struct {
	w          *bufio.Writer
	buf        bytes.Buffer // one feature, reused
	n, omitted int
}

func newGeoJSONSink(w io.Writer) (*geoJSONSink, error) {
	g := &geoJSONSink{w: bufio.NewWriterSize(w, 64<<10)}
	if _, err := g.w.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *geoJSONSink) write(r *eventRow) error {
	if r.Latitude == nil || r.Longitude == nil {
		g.omitted++
		return nil
	}
	b := &g.buf
	b.Reset()
	if g.n > 0 {
		b.WriteByte(',')
	}
	b.WriteString("\n")
	// RFC 7946: a position is longitude first, then latitude.
	fmt.Fprintf(b, `{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%s,%s]},"properties":{`,
		r.ID, ftoa(r.Longitude), ftoa(r.Latitude))
	if err := appendProperties(b, eventColumns, r); err != nil {
		return err
	}
	b.WriteString("}}")
	g.n++
	_, err := g.w.Write(b.Bytes())
	return err
}

func (g *geoJSONSink) close() error {
	// "omitted" is a foreign member (RFC 7946 section 6.1): written last,
	// once it is known.
	if _, err := fmt.Fprintf(g.w, "\n],\"omitted\":%d}\n", g.omitted); err != nil {
		return err
	}
	return g.w.Flush()
}

// epochDay is t's day as days since 1970-01-01, Parquet's DATE.
// parquet-go v0.32.0 writes a time.Time field tagged "date" wrongly (it
// reads such files back correctly), so rows carry the day number.
func epochDay(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayText is day n as YYYY-MM-DD.
func dayText(n int32) string {
	return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly)
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt32(n *int) *int32 {
	if n == nil {
		return nil
	}
	v := int32(*n)
	return &v
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func itoa(n int32) string { return strconv.FormatInt(int64(n), 10) }

func optItoa(n *int32) string {
	if n == nil {
		return ""
	}
	return itoa(*n)
}

func ftoa(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}
