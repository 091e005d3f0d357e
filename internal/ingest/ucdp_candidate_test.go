package ingest

import (
	"strings"
	"testing"

	"threshold/internal/event"
)

func TestIsCandidateName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"GEDEvent_v25_0_1.csv", true},
		{"GEDEvent_v24_0_12.csv", true},
		{"GEDEvent_v24_01_24_03.csv", true},
		{"ged_candidate_2025_02.csv", true},
		{"UCDP_Candidate_Events.csv", true},
		{"candidate.zip/GEDEvent.csv", true},
		{"GEDEvent_v23_1_mexico.csv", false},
		{"GEDEvent_v25_1.csv", false},
		{"ged211_precise_location_subset_global.csv", false},
		{"GEDEvent_syria_652.1601.1911.csv", false},
		{"DECO_v1.0_excl_kenya_southsudan.csv", false},
		{"events.csv", false},
	}
	for _, tt := range tests {
		if got := isCandidateName(tt.name); got != tt.want {
			t.Errorf("isCandidateName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUCDPCandidateDecode(t *testing.T) {
	// Candidate rows decode as GED rows, with their own source and release.
	cand := ucdpTestDecoder(t, "ucdp-candidate", "GEDEvent_v25_0_1.csv", ucdpGED49Header)
	got, err := cand.Decode(ucdpRow(ucdpGED49Header, gedRow49))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := gedEvent49
	want.Source, want.Version = event.UCDPCandidate, "25.0.1"
	if got.Source != want.Source || got.Version != want.Version || got.SourceID != want.SourceID ||
		got.Country != want.Country || *got.Fatalities.Best != *want.Fatalities.Best {
		t.Errorf("Decode = %+v, want %+v", got, want)
	}
	_, err = cand.Decode(ucdpRow(ucdpGED49Header, ucdpWith(gedRow49, "date_start", "x")))
	ucdpWantFieldError(t, err, "date_start")
}

func TestUCDPCandidateMatch(t *testing.T) {
	ged := NewColumns(strings.Split(ucdpGED49Header, ","))
	tests := []struct {
		name string
		cols Columns
		want string
	}{
		{"GEDEvent_v25_0_1.csv", ged, "ucdp-candidate"},
		{"GEDEvent_v25_1.csv", ged, "ucdp-ged"},
		{"ged_candidate.csv", NewColumns(strings.Split(ucdpGED14Header, ",")), "ucdp-candidate"},
		{"ged_candidate.csv", NewColumns([]string{"id", "year"}), ""},
	}
	for _, tt := range tests {
		if got := ucdpDetect(File{Name: tt.name, Columns: tt.cols}); got != tt.want {
			t.Errorf("detect(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
