// Package event defines Threshold's one event model: a political-violence or
// political-event record that every source (UCDP GED, UCDP Candidate, UCDP
// DECO, ACLED, GDELT, ICEWS, the Powell & Thyne coups list) maps onto.
//
// An event is identified by its source and the source's own identifier, so
// the same published record always has the same Key. Where it happened is an
// ISO 3166-1 alpha-3 country code plus the first-level administrative area's
// name as the source spells it; when it happened is a date range with a
// precision; what happened is a Category from a small documented taxonomy,
// with the source's own type codes kept beside it. Precision scales follow
// UCDP's codebook (see DatePrecision and GeoPrecision), and every source's
// own scale is mapped onto them by the ingest package.
//
// Dates are civil dates (no time of day, no zone) held as time.Time at
// midnight UTC.
package event
