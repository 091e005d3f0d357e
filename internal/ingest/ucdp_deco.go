package ingest

import "threshold/internal/event"

// ucdpDECOFormat is the UCDP Deadly Electoral Conflict dataset (DECO v1.0):
// lethal events linked to elections, 41 columns in GED's vocabulary plus
// the electoral_* codes, dates written M/D/YYYY. Its events have no
// where_prec, date_prec or adm_1, so their precisions are unknown. Every
// event is Electoral. Besides GED's three violence types DECO has a
// fourth (see ucdpCategory).
func ucdpDECOFormat() Format {
	return Format{
		Name:   "ucdp-deco",
		Source: event.UCDPDECO,
		Match: func(f File) bool {
			return f.Columns.Has("electoral_vio") && isUCDPEventHeader(f.Columns)
		},
		New: func(f File) (Decoder, error) {
			return newUCDPDecoder(f, event.UCDPDECO, true)
		},
	}
}
