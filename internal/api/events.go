package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/store"
)

// readers may read events and statistics. Later issues narrow what
// partner viewers see.
var readers = []auth.Role{auth.Admin, auth.Analyst, auth.DeskOfficer, auth.MediationExpert, auth.PartnerViewer}

func (a *API) registerEvents() {
	handle(a, huma.Operation{
		OperationID: "list-events",
		Method:      http.MethodGet,
		Path:        Prefix + "/events",
		Summary:     "List events",
		Description: "Events matching the filters, in the order they were stored, a page at a time: " +
			"pass next_cursor as cursor for the next page.",
		Tags: []string{"events"},
	}, auth.Allow(readers...), limits{}, a.listEvents)
	handle(a, huma.Operation{
		OperationID: "events-geojson",
		Method:      http.MethodGet,
		Path:        Prefix + "/events.geojson",
		Summary:     "Events as GeoJSON",
		Description: "Events matching the filters as a GeoJSON FeatureCollection of points, a page at a time " +
			"(next_cursor is a foreign member of the collection). Events without coordinates are left out.",
		Tags: []string{"events"},
	}, auth.Allow(readers...), limits{}, a.eventsGeoJSON)
	// huma documents the body as JSON, its default format; say GeoJSON.
	if ok := a.huma.OpenAPI().Paths[Prefix+"/events.geojson"].Get.Responses["200"]; ok != nil && ok.Content != nil {
		ok.Content = map[string]*huma.MediaType{"application/geo+json": ok.Content["application/json"]}
		delete(ok.Headers, "Content-Type")
	}
	handle(a, huma.Operation{
		OperationID: "get-event",
		Method:      http.MethodGet,
		Path:        Prefix + "/events/{source}/{source_id}",
		Summary:     "Get an event with its provenance",
		Description: "One event by its source and the source's own id, with the source row exactly as " +
			"published, the file's column names, and the previous versions of the record.",
		Tags: []string{"events"},
	}, auth.Allow(readers...), limits{}, a.getEvent)
}

// Event is an event as the API shows it.
type Event struct {
	ID             int64        `json:"id" doc:"Threshold's own id; ids grow as events are stored."`
	Source         sourceName   `json:"source"`
	SourceID       string       `json:"source_id" doc:"The source's own id."`
	SourceVersion  string       `json:"source_version,omitempty" doc:"The source release the record comes from, e.g. 23.1."`
	DateStart      string       `json:"date_start" format:"date"`
	DateEnd        string       `json:"date_end" format:"date"`
	DatePrecision  int          `json:"date_precision" doc:"How exactly the dates are known, on UCDP's date_prec scale: 1 exact day ... 5 year."`
	Country        string       `json:"country" doc:"ISO 3166-1 alpha-3."`
	Admin1         string       `json:"admin1,omitempty"`
	Place          string       `json:"place,omitempty"`
	Latitude       *float64     `json:"latitude,omitempty"`
	Longitude      *float64     `json:"longitude,omitempty"`
	GeoPrecision   int          `json:"geo_precision" doc:"How exactly the place is known, on UCDP's where_prec scale."`
	Category       categoryName `json:"category"`
	SourceType     string       `json:"source_type,omitempty" doc:"The source's own type: UCDP type_of_violence, ACLED event_type, CAMEO code."`
	SourceSubType  string       `json:"source_subtype,omitempty"`
	QuadClass      int          `json:"quad_class,omitempty"`
	Actor1         string       `json:"actor1,omitempty"`
	Actor2         string       `json:"actor2,omitempty"`
	FatalitiesBest *int         `json:"fatalities_best,omitempty"`
	FatalitiesLow  *int         `json:"fatalities_low,omitempty"`
	FatalitiesHigh *int         `json:"fatalities_high,omitempty"`
	Goldstein      *float64     `json:"goldstein,omitempty"`
	Tone           *float64     `json:"tone,omitempty"`
	Electoral      bool         `json:"electoral,omitempty"`
	SourceRef      string       `json:"source_ref,omitempty"`
	File           string       `json:"file" doc:"The file the current version came from."`
	Line           int          `json:"line" doc:"The line of that file where the source row starts."`
}

// NewEvent is the API form of a stored event, without its source row.
func NewEvent(s event.Stored) Event {
	return Event{
		ID: s.ID, Source: sourceName(s.Source), SourceID: s.SourceID, SourceVersion: s.Version,
		DateStart: s.DateStart.Format(time.DateOnly), DateEnd: s.DateEnd.Format(time.DateOnly),
		DatePrecision: int(s.DatePrecision), Country: s.Country, Admin1: s.Admin1, Place: s.Place,
		Latitude: s.Latitude, Longitude: s.Longitude, GeoPrecision: int(s.GeoPrecision),
		Category: categoryName(s.Category), SourceType: s.SourceType, SourceSubType: s.SourceSubType,
		QuadClass: s.QuadClass, Actor1: s.Actor1, Actor2: s.Actor2,
		FatalitiesBest: s.Fatalities.Best, FatalitiesLow: s.Fatalities.Low, FatalitiesHigh: s.Fatalities.High,
		Goldstein: s.Goldstein, Tone: s.Tone, Electoral: s.Electoral, SourceRef: s.SourceRef,
		File: s.File, Line: s.Line,
	}
}

type listEventsInput struct {
	FilterParams
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Events per page."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type listEventsOutput struct {
	Body struct {
		Items      []Event `json:"items"`
		NextCursor string  `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

// page reads up to limit events after the cursor, and says whether there
// are more.
func (a *API) page(ctx context.Context, fp FilterParams, cursor string, limit int, fn func(event.Stored)) (next string, err error) {
	f, err := a.filter(fp)
	if err != nil {
		return "", err
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return "", err
	}
	n, last := 0, int64(0)
	more := false
	err = a.st.Events(ctx, f, store.Page{AfterID: after, Limit: limit + 1, NoRaw: true}, func(s event.Stored) error {
		if n == limit {
			more = true
			return nil
		}
		n++
		last = s.ID
		fn(s)
		return nil
	})
	if err != nil {
		return "", err
	}
	if more {
		next = encodeCursor(last)
	}
	return next, nil
}

func (a *API) listEvents(ctx context.Context, in *listEventsInput) (*listEventsOutput, error) {
	out := &listEventsOutput{}
	out.Body.Items = make([]Event, 0, min(in.Limit, 100))
	next, err := a.page(ctx, in.FilterParams, in.Cursor, in.Limit, func(s event.Stored) {
		out.Body.Items = append(out.Body.Items, NewEvent(s))
	})
	if err != nil {
		return nil, err
	}
	out.Body.NextCursor = next
	return out, nil
}

type geoJSONInput struct {
	FilterParams
	Limit  int    `query:"limit" minimum:"1" maximum:"10000" default:"1000" doc:"Events per page (those without coordinates count)."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

// FeatureCollection is a GeoJSON FeatureCollection (RFC 7946).
type FeatureCollection struct {
	Type       string    `json:"type" enum:"FeatureCollection"`
	Features   []Feature `json:"features"`
	NextCursor string    `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

// Feature is one event as a GeoJSON point.
type Feature struct {
	Type       string `json:"type" enum:"Feature"`
	Geometry   Point  `json:"geometry"`
	Properties Event  `json:"properties"`
}

// Point is a GeoJSON point: longitude, latitude.
type Point struct {
	Type        string     `json:"type" enum:"Point"`
	Coordinates [2]float64 `json:"coordinates" doc:"Longitude, latitude (WGS84)."`
}

type geoJSONOutput struct {
	ContentType string `header:"Content-Type"`
	Body        FeatureCollection
}

func (a *API) eventsGeoJSON(ctx context.Context, in *geoJSONInput) (*geoJSONOutput, error) {
	out := &geoJSONOutput{ContentType: "application/geo+json"}
	out.Body.Type = "FeatureCollection"
	out.Body.Features = []Feature{}
	next, err := a.page(ctx, in.FilterParams, in.Cursor, in.Limit, func(s event.Stored) {
		if s.Latitude == nil || s.Longitude == nil {
			return
		}
		out.Body.Features = append(out.Body.Features, Feature{
			Type:       "Feature",
			Geometry:   Point{Type: "Point", Coordinates: [2]float64{*s.Longitude, *s.Latitude}},
			Properties: NewEvent(s),
		})
	})
	if err != nil {
		return nil, err
	}
	out.Body.NextCursor = next
	return out, nil
}

type getEventInput struct {
	Source   sourceName `path:"source" doc:"Source data set."`
	SourceID string     `path:"source_id" maxLength:"200" doc:"The source's own id."`
}

// EventDetail is an event with its provenance.
type EventDetail struct {
	Event
	Raw        []string  `json:"raw" doc:"The source row's fields, exactly as published."`
	RawColumns []string  `json:"raw_columns,omitempty" doc:"The source file's column names; absent for headerless formats."`
	Versions   []Version `json:"versions" doc:"Previous versions of the record, oldest first."`
}

// Version is a previous version of an event, replaced by a newer source
// record.
type Version = store.Version

type getEventOutput struct {
	Body EventDetail
}

func (a *API) getEvent(ctx context.Context, in *getEventInput) (*getEventOutput, error) {
	k := event.Key{Source: event.Source(in.Source), SourceID: in.SourceID}
	s, err := a.st.Event(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound("no event " + k.String())
	}
	if err != nil {
		return nil, err
	}
	vs, err := a.st.Versions(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []Version{} // an empty list, not null
	}
	return &getEventOutput{Body: EventDetail{Event: NewEvent(s), Raw: s.Raw, RawColumns: s.Columns, Versions: vs}}, nil
}
