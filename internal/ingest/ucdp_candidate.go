package ingest

import (
	"strings"

	"threshold/internal/event"
)

// ucdpCandidateFormat is UCDP Candidate Events: the preliminary monthly (and
// quarterly) GED releases that lag about a month. They have GED's header,
// so they are told apart by file name only (see isCandidateName), and are
// decoded exactly as GED.
func ucdpCandidateFormat() Format {
	return Format{
		Name:   "ucdp-candidate",
		Source: event.UCDPCandidate,
		Match: func(f File) bool {
			return isCandidateName(f.Name) && isUCDPEventHeader(f.Columns)
		},
		New: func(f File) (Decoder, error) {
			return newUCDPDecoder(f, event.UCDPCandidate, false)
		},
	}
}

// isCandidateName reports whether a file name is that of a Candidate
// release: it says "candidate" (ged_candidate_2025_01.csv), or its release
// has minor version 0 and a month (GEDEvent_v25_0_1.csv is 25.0.1; yearly
// GED releases are YY.1), or it is a quarterly release
// (GEDEvent_v24_01_24_03.csv).
func isCandidateName(name string) bool {
	if strings.Contains(strings.ToLower(name), "candidate") {
		return true
	}
	v := ucdpVersion(name)
	if strings.Count(v, ".") == 3 { // quarterly, 24.01.24.03
		return true
	}
	major, rest, ok := strings.Cut(v, ".")
	if !ok || major == "" {
		return false
	}
	minor, month, ok := strings.Cut(rest, ".")
	return ok && minor == "0" && month != "" && !strings.Contains(month, ".")
}
