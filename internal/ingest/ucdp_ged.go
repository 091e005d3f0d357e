package ingest

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"threshold/internal/event"
)

// ucdpGEDFormat is the UCDP Georeferenced Event Dataset in every layout
// UCDP and its redistributors have published:
//
//   - the full yearly release (49 columns, as in GED 23.1: id, relid,
//     year, ..., date_start, date_end, deaths_*, best, high, low, gwnoa,
//     gwnob);
//   - the older 41-column layout of the GED 19.1-era country releases
//     such as "652.1601.1911" (no relid, code_status, *_dset_id columns
//     or where_description);
//   - the 14-column extract (id, year, month, day, country,
//     type_of_violence as text, ..., low_death, best_death, high_death).
//     It gives only the start day, so its events are one-day, Day
//     precision events; its places have no precision (GeoUnknown: the
//     extract keeps essentially where_prec 1-2 events but does not say
//     which) and no admin-1 area of their own: each event gets the
//     Natural Earth admin-1 area containing its coordinates (see
//     geo.Admin1Table), or none when its country has no area there.
//
// Columns are found by name, so any other subset or order that keeps the
// needed columns reads too. The header also matches UCDP DECO and
// Candidate files; Formats tries those first.
func ucdpGEDFormat() Format {
	return Format{
		Name:   "ucdp-ged",
		Source: event.UCDPGED,
		Match:  func(f File) bool { return isUCDPEventHeader(f.Columns) },
		New: func(f File) (Decoder, error) {
			return newUCDPDecoder(f, event.UCDPGED, false)
		},
	}
}

// Column name spellings across UCDP releases. The first spelling present
// wins. GED 1.x-5.0 wrote best_est, low_est and high_est; the 14-column
// extract writes best_death and so on.
var (
	ucdpBestNames = []string{"best", "best_death", "best_est"}
	ucdpLowNames  = []string{"low", "low_death", "low_est"}
	ucdpHighNames = []string{"high", "high_death", "high_est"}
)

// isUCDPEventHeader reports whether a header has what newUCDPDecoder needs
// (an event id, the violence type, a best estimate, dates as date_start or
// year, month and day, and a country code or name) and side_a, which every
// UCDP event layout has and UCDP's conflict-level tables lack.
func isUCDPEventHeader(c Columns) bool {
	return c.Has("id", "type_of_violence", "side_a") &&
		firstColumn(c, ucdpBestNames) >= 0 &&
		(c.Has("date_start") || c.Has("year", "month", "day")) &&
		(c.Has("country_id") || c.Has("country"))
}

// firstColumn returns the index of the first of names present in c, or -1.
func firstColumn(c Columns, names []string) int {
	for _, n := range names {
		if i := c.Index(n); i >= 0 {
			return i
		}
	}
	return -1
}

// firstColumnName returns the first of names present in c, or names[0].
func firstColumnName(c Columns, names []string) string {
	for _, n := range names {
		if c.Index(n) >= 0 {
			return n
		}
	}
	return names[0]
}

// Release names in file names.
var (
	// UCDP's own downloads: GEDEvent_v23_1.csv (GED 23.1),
	// GEDEvent_v25_0_1.csv (Candidate 25.0.1), DECO_v1.0.csv, DECO_v.1.0.csv.
	ucdpReleaseRE = regexp.MustCompile(`(?i)_v\.?(\d+)[._](\d+)(?:[._](\d+))?`)
	// Quarterly Candidate releases: GEDEvent_v24_01_24_03.csv (24.01.24.03).
	ucdpQuarterRE = regexp.MustCompile(`(?i)_v(\d\d)_(\d\d)_(\d\d)_(\d\d)(?:\D|$)`)
	// Compact names of the yearly zip contents: ged211.csv (GED 21.1).
	ucdpCompactRE = regexp.MustCompile(`(?i)^ged(\d\d)(\d)(?:\D|$)`)
	// Country releases: GEDEvent_syria_652.1601.1911 (GW code, first and
	// last month as YYMM).
	ucdpCountryReleaseRE = regexp.MustCompile(`(?:^|[_\-. ])(\d{2,3}\.\d{4}\.(\d\d)(\d\d))(?:\D|$)`)
)

// ucdpVersion reads the release from a file name, or gives "".
//
//	GEDEvent_v23_1_mexico.csv          -> 23.1
//	GEDEvent_v25_0_1.csv               -> 25.0.1 (Candidate, January 2025)
//	GEDEvent_v24_01_24_03.csv          -> 24.01.24.03 (Candidate, quarterly)
//	ged211_precise_location_subset.csv -> 21.1
//	GEDEvent_syria_652.1601.1911.csv   -> 19.1.652.1601.1911
//	DECO_v1.0_excl_kenya.csv           -> 1.0
//
// The Syria file is a country release: all clear events of GW 652 from
// 2016-01 to 2019-11, on the codebook of GED 19.1, the yearly release
// before its end month (yearly releases come out mid-year, so an end month
// from July on means that year's release, earlier the previous year's).
// Its version is that release followed by its own name. It is not GED
// 19.1, whose events it does not match one to one (it keeps events below
// the 25-death threshold), but it sorts as releases compare, number by
// number: after 19.1 and the 19.0.x Candidate releases, before 20.1.
func ucdpVersion(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if m := ucdpQuarterRE.FindStringSubmatch(base); m != nil {
		return m[1] + "." + m[2] + "." + m[3] + "." + m[4]
	}
	if m := ucdpReleaseRE.FindStringSubmatch(base); m != nil {
		v := m[1] + "." + m[2]
		if m[3] != "" {
			v += "." + m[3]
		}
		return v
	}
	if m := ucdpCompactRE.FindStringSubmatch(base); m != nil {
		return m[1] + "." + m[2]
	}
	if m := ucdpCountryReleaseRE.FindStringSubmatch(base); m != nil {
		yy, _ := strconv.Atoi(m[2])
		if mm, _ := strconv.Atoi(m[3]); mm < 7 {
			yy = (yy + 99) % 100
		}
		return fmt.Sprintf("%02d.1.%s", yy, m[1])
	}
	return ""
}
