// Package export writes events and indicators for the wider ecosystem:
// spreadsheets and humanitarian tools (CSV, optionally with an HXL
// hashtag row), maps (GeoJSON) and analysts working in Python or R
// (Parquet).
//
// # Formats
//
//	csv      RFC 4180 CSV, one header row of column names; a text cell
//	         starting with =, +, -, @, a tab or a carriage return gets a
//	         leading apostrophe so that spreadsheets do not run it as a
//	         formula (CSV injection: sources and field reports are text
//	         from outside)
//	hxl      the same CSV with a second row of HXL hashtags under the
//	         header (the Humanitarian Exchange Language,
//	         https://hxlstandard.org), so that HDX and HXL tools can
//	         filter, join and chart it without a data dictionary
//	geojson  a GeoJSON FeatureCollection (RFC 7946) of Point features,
//	         coordinates [longitude, latitude] in WGS84; events without
//	         coordinates are left out and counted in the collection's
//	         foreign member "omitted" (written last); events only
//	parquet  Apache Parquet with a typed schema: dates as DATE, deaths
//	         as INT32, coordinates and scores as DOUBLE, text as UTF8
//	         strings, optional columns nullable (null where the source
//	         gives no value, which is not zero), Zstandard-compressed row
//	         groups of RowGroupRows rows
//
// # Hashtags
//
// The hashtags follow the HXL hashtag dictionary and the conventions of
// HDX's own UCDP and ACLED feeds: #date+start and #date+end for an
// event's days, #country+code for ISO 3166-1 alpha-3, #adm1+name,
// #loc+name, #geo+lat and #geo+lon, #event+code for the source's own id,
// #event+type (+sub) for the source's own type and #event+category for
// Threshold's normalised category, #group+name+first and
// #group+name+second for the two sides (UCDP side_a and side_b, ACLED
// actor1 and actor2), #affected+killed with +best, +low and +high for
// the death estimates, and #meta for provenance (#meta+id Threshold's row
// id, #meta+source the data set, #meta+ref where the source learned of
// the event). Indicators are #indicator+name and #indicator+value+num per
// #country+code, #adm1+name and period (#date+start, #date+end).
//
// # Streaming
//
// Exports never load a selection whole: events are read in keyset pages
// of PageSize (store.Page) and indicators in keyset pages over their
// primary key (store.IndicatorsAfter); no database cursor stays open
// while a page is written out, so a slow HTTP client holds no read
// transaction. Memory is bounded by one page and, for Parquet, one row
// group.
//
// # Confidentiality
//
// An export holds only what the event store and the indicators table
// hold: never a source row, the file it came from, cases, alerts or
// field reports. Events of source field-report (verified reports of
// Threshold's own monitors) carry no reporter by construction
// (fieldreport.Event); their source reference, which names the channel
// the report came in by (such as a partner's messaging gateway), is left
// out as well, so that nothing in an export points back to a reporter.
package export
