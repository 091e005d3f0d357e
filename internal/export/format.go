package export

import (
	"errors"
	"fmt"
	"strings"
)

// Format is an export file format.
type Format string

// The formats.
const (
	CSV     Format = "csv"     // CSV with a header row
	HXL     Format = "hxl"     // CSV with a header row and an HXL hashtag row
	GeoJSON Format = "geojson" // GeoJSON FeatureCollection of points (events only)
	Parquet Format = "parquet" // Apache Parquet
)

// Formats lists the formats.
func Formats() []Format { return []Format{CSV, HXL, GeoJSON, Parquet} }

// ErrUnsupported is returned for a format a data set cannot be written
// in: indicators have no coordinates, so no GeoJSON.
var ErrUnsupported = errors.New("format not supported for this data")

// ParseFormat parses a format name, in any case.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, g := range Formats() {
		if f == g {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown export format %q (want csv, hxl, geojson or parquet)", s)
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case HXL:
		// HXL is CSV with a hashtag row; it has no media type of its own.
		return "text/csv; charset=utf-8; header=present"
	case GeoJSON:
		return "application/geo+json"
	case Parquet:
		return "application/vnd.apache.parquet"
	}
	return "application/octet-stream"
}

// Ext is the file name extension for the format, with its dot.
func (f Format) Ext() string {
	switch f {
	case HXL:
		return ".hxl.csv"
	case GeoJSON:
		return ".geojson"
	case Parquet:
		return ".parquet"
	}
	return ".csv"
}
