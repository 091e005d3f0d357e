package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/export"
	"threshold/internal/server"
)

// exportTimeout bounds an export: long enough to stream every stored
// event to a client on a slow line.
const exportTimeout = 15 * time.Minute

// registerExport adds the bulk exports of events and indicators. The
// indicators export needs a store that reads indicators in keyset pages
// (*store.DB does); without one only events are exported.
func (a *API) registerExport() {
	handle(a, huma.Operation{
		OperationID: "export-events",
		Method:      http.MethodGet,
		Path:        Prefix + "/export/events",
		Summary:     "Export events",
		Description: "Every event matching the filters, streamed as one file for spreadsheets, maps and " +
			"analysis: csv, hxl (CSV with a row of HXL hashtags, https://hxlstandard.org, under the header), " +
			"geojson (a FeatureCollection of the events with coordinates, [longitude, latitude]; the events " +
			"left out are counted in its \"omitted\" member) or parquet (typed: dates as DATE, deaths as INT32, " +
			"absent values as nulls). Field-report events carry no reporter and no channel.",
		Tags:      []string{"export"},
		Responses: exportResponses(export.Formats()),
	}, auth.Allow(readers...), limits{timeout: exportTimeout}, a.exportEvents)
	if _, ok := a.st.(export.IndicatorStore); !ok {
		return
	}
	handle(a, huma.Operation{
		OperationID: "export-indicators",
		Method:      http.MethodGet,
		Path:        Prefix + "/export/indicators",
		Summary:     "Export indicators",
		Description: "Stored indicator values (per country or admin-1 area, period and name; sparse: an absent " +
			"count is zero) matching the filters, streamed as csv, hxl or parquet, ordered by country, area, " +
			"period and name.",
		Tags:      []string{"export"},
		Responses: exportResponses([]export.Format{export.CSV, export.HXL, export.Parquet}),
	}, auth.Allow(readers...), limits{timeout: exportTimeout}, a.exportIndicators)
}

// exportResponses documents a 200 in each format's media type.
func exportResponses(formats []export.Format) map[string]*huma.Response {
	content := map[string]*huma.MediaType{}
	for _, f := range formats {
		content[f.ContentType()] = &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}}
	}
	return map[string]*huma.Response{"200": {
		Description: "The export, as an attachment.",
		Content:     content,
		Headers: map[string]*huma.Param{"Content-Disposition": {
			Description: "attachment, with a file name", Schema: &huma.Schema{Type: "string"}}},
	}}
}

// exportFormat and indicatorFormat are format names whose schemas list
// the formats the export package writes.
type (
	exportFormat    string
	indicatorFormat string
)

func (exportFormat) Schema(huma.Registry) *huma.Schema {
	s := enumSchema(export.Formats())
	s.Default = string(export.CSV)
	return s
}

func (indicatorFormat) Schema(huma.Registry) *huma.Schema {
	s := enumSchema([]export.Format{export.CSV, export.HXL, export.Parquet})
	s.Default = string(export.CSV)
	return s
}

type exportEventsInput struct {
	FilterParams
	Format exportFormat `query:"format" default:"csv" doc:"File format."`
}

type exportIndicatorsInput struct {
	Format  indicatorFormat `query:"format" default:"csv" doc:"File format."`
	Country string          `query:"country" maxLength:"3" doc:"ISO 3166-1 alpha-3 country code." example:"CAF"`
	Admin1  string          `query:"admin1" maxLength:"200" doc:"One first-level administrative area, exactly as the source names it; absent for every area and the whole country."`
	Period  string          `query:"period" enum:"day,week,month,all" default:"month" doc:"Period length, or all."`
	Name    string          `query:"name" maxLength:"100" doc:"One indicator name, e.g. fatalities_best." example:"fatalities_best"`
	From    string          `query:"from" maxLength:"10" doc:"Periods starting on or after: YYYY-MM-DD, or YYYY-MM or YYYY for the first day." example:"2013"`
	To      string          `query:"to" maxLength:"10" doc:"Periods starting on or before: YYYY-MM-DD, or YYYY-MM or YYYY for the last day." example:"2014"`
}

func (a *API) exportEvents(ctx context.Context, in *exportEventsInput) (*huma.StreamResponse, error) {
	f, err := a.filter(in.FilterParams)
	if err != nil {
		return nil, err
	}
	format, err := export.ParseFormat(string(in.Format))
	if err != nil {
		return nil, invalid("query.format", err.Error(), in.Format)
	}
	return a.stream("events", format, func(ctx context.Context, w io.Writer) (export.Result, error) {
		return export.Events(ctx, a.st, w, format, f, export.Options{})
	}), nil
}

func (a *API) exportIndicators(ctx context.Context, in *exportIndicatorsInput) (*huma.StreamResponse, error) {
	st, ok := a.st.(export.IndicatorStore)
	if !ok {
		return nil, errors.New("export indicators: the store cannot page indicators")
	}
	q, err := export.IndicatorParams{Country: in.Country, Admin1: in.Admin1, Period: in.Period, Name: in.Name,
		From: in.From, To: in.To}.Query()
	if fe := (*export.FieldError)(nil); errors.As(err, &fe) {
		return nil, invalid("query."+fe.Field, fe.Err.Error(), fe.Value)
	} else if err != nil {
		return nil, err
	}
	if q.Country != "" {
		if _, ok := a.geo.Lookup(q.Country); !ok {
			return nil, invalid("query.country", "not an ISO 3166-1 alpha-3 country code, such as SDN", in.Country)
		}
	}
	format, err := export.ParseFormat(string(in.Format))
	if err != nil || format == export.GeoJSON {
		return nil, invalid("query.format", "want csv, hxl or parquet: indicators have no coordinates", in.Format)
	}
	return a.stream("indicators", format, func(ctx context.Context, w io.Writer) (export.Result, error) {
		return export.Indicators(ctx, st, w, format, q, export.Options{})
	}), nil
}

// stream is the response that runs write on the body. Headers go out
// with the first byte, so that an export failing before it (the
// database is down) is still answered with a problem document; one
// failing later can only be cut short, and is logged.
func (a *API) stream(what string, format export.Format, write func(context.Context, io.Writer) (export.Result, error)) *huma.StreamResponse {
	name := fmt.Sprintf("threshold-%s-%s%s", what, a.now().UTC().Format("20060102"), format.Ext())
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		ctx := hc.Context()
		w := &headerOnWrite{hc: hc, start: func() {
			hc.SetHeader("Content-Type", format.ContentType())
			hc.SetHeader("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
			hc.SetHeader("X-Content-Type-Options", "nosniff")
			hc.SetStatus(http.StatusOK)
		}}
		res, err := write(ctx, w)
		switch {
		case err != nil && !w.started:
			var se huma.StatusError
			if errors.As(a.problem(ctx, err), &se) {
				_ = huma.WriteErr(a.huma, hc, se.GetStatus(), se.Error())
			}
		case err != nil:
			a.log.ErrorContext(ctx, "export cut short", "request_id", server.RequestID(ctx), "what", what,
				"format", format, "rows", res.Rows, "err", err)
		default:
			a.log.InfoContext(ctx, "exported", "what", what, "format", format, "rows", res.Rows, "omitted", res.Omitted)
		}
	}}
}

// headerOnWrite sends the response headers with the first write.
type headerOnWrite struct {
	hc      huma.Context
	start   func()
	started bool
}

func (w *headerOnWrite) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.start()
	}
	return w.hc.BodyWriter().Write(p)
}
