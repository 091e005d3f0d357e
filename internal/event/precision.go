package event

// DatePrecision says how exactly an event's dates are known, on UCDP's
// date_prec scale. ACLED's time_precision maps 1 -> Day, 2 -> Week,
// 3 -> Month; GDELT and ICEWS dates are Day.
type DatePrecision int

// The date precisions.
const (
	DateUnknown DatePrecision = 0
	Day         DatePrecision = 1 // the exact day
	Days        DatePrecision = 2 // within two to six days
	Week        DatePrecision = 3 // within a week
	Month       DatePrecision = 4 // within a month
	Year        DatePrecision = 5 // within a year
)

// GeoPrecision says how exactly an event's place is known, on UCDP's
// where_prec scale. Admin-1 aggregates should use events up to Admin1Area;
// grid cells need Exact or Near.
//
// ACLED geo_precision maps 1 -> Exact, 2 -> Near, 3 -> Region. GDELT
// ActionGeo_Type maps 1 (country) -> CountryWide, 2 and 5 (state or
// first-level division) -> Admin1Area, 3 and 4 (city or landmark) -> Exact.
type GeoPrecision int

// The geographic precisions.
const (
	GeoUnknown  GeoPrecision = 0
	Exact       GeoPrecision = 1 // the exact place
	Near        GeoPrecision = 2 // within about 25 km of a known place
	Admin2Area  GeoPrecision = 3 // second-level administrative area (its centroid)
	Admin1Area  GeoPrecision = 4 // first-level administrative area (its centroid)
	Region      GeoPrecision = 5 // a larger or vaguer area
	CountryWide GeoPrecision = 6 // only the country is known (its centroid)
	SeaOrAir    GeoPrecision = 7 // international waters or airspace
)
