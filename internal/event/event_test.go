package event

import (
	"math"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func valid() Event {
	d := time.Date(2011, 7, 9, 0, 0, 0, 0, time.UTC)
	return Event{
		Source: UCDPGED, SourceID: "1", DateStart: d, DateEnd: d, DatePrecision: Day,
		Country: "SSD", Category: Battle, Latitude: ptr(7.5), Longitude: ptr(31.2),
		Fatalities: Fatalities{Best: ptr(3), Low: ptr(2), High: ptr(5)},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(e *Event)
		wantErr string // "" for a valid event
	}{
		{"valid", func(e *Event) {}, ""},
		{"no coordinates is fine", func(e *Event) { e.Latitude, e.Longitude = nil, nil }, ""},
		{"no source", func(e *Event) { e.Source = "" }, "source is empty"},
		{"no id", func(e *Event) { e.SourceID = "" }, "source id is empty"},
		{"no date", func(e *Event) { e.DateStart = time.Time{} }, "start date is missing"},
		{"end before start", func(e *Event) { e.DateEnd = e.DateStart.AddDate(0, 0, -1) }, "before start date"},
		{"country not alpha-3", func(e *Event) { e.Country = "SS" }, "not an ISO 3166-1 alpha-3"},
		{"category outside taxonomy", func(e *Event) { e.Category = "war" }, "not in the taxonomy"},
		{"latitude without longitude", func(e *Event) { e.Longitude = nil }, "both be given"},
		{"latitude out of range", func(e *Event) { e.Latitude = ptr(91.0) }, "latitude 91 is out of range"},
		{"longitude out of range", func(e *Event) { e.Longitude = ptr(-180.5) }, "longitude -180.5 is out of range"},
		{"NaN latitude", func(e *Event) { e.Latitude = ptr(math.NaN()) }, "not a finite number"},
		{"infinite tone", func(e *Event) { e.Tone = ptr(math.Inf(1)) }, "not a finite number"},
		{"negative deaths", func(e *Event) { e.Fatalities.Low = ptr(-1) }, "negative"},
	}
	for _, tt := range tests {
		e := valid()
		tt.edit(&e)
		err := e.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: Validate() = %v, want an error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestCategories(t *testing.T) {
	violent := map[Category]bool{Battle: true, ViolenceAgainstCivilians: true, ExplosionRemoteViolence: true, Riot: true, Coup: true}
	seen := map[Category]bool{}
	for _, c := range Categories() {
		if seen[c] {
			t.Errorf("category %q listed twice", c)
		}
		seen[c] = true
		if !c.Valid() {
			t.Errorf("%q.Valid() = false", c)
		}
		if c.Violent() != violent[c] {
			t.Errorf("%q.Violent() = %v, want %v", c, c.Violent(), violent[c])
		}
	}
	if len(seen) != 10 {
		t.Errorf("%d categories, want the 10 documented ones", len(seen))
	}
	if Category("Battles").Valid() {
		t.Error(`"Battles" (ACLED's spelling) is valid; the taxonomy has its own names`)
	}
	if got := (Key{Source: GDELT, SourceID: "881990832"}).String(); got != "gdelt:881990832" {
		t.Errorf("Key.String() = %q", got)
	}
}

func TestParseDay(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct {
		in      string
		end     bool
		want    time.Time
		wantErr bool
	}{
		{"", false, time.Time{}, false},
		{"2013-12-05", false, d("2013-12-05"), false},
		{"2013-12-05", true, d("2013-12-05"), false},
		{"2013-12", false, d("2013-12-01"), false},
		{"2013-12", true, d("2013-12-31"), false},
		{"2012-02", true, d("2012-02-29"), false},
		{"2013", false, d("2013-01-01"), false},
		{"2013", true, d("2013-12-31"), false},
		{"0999", false, time.Time{}, true},
		{"2013-13", false, time.Time{}, true},
		{"2013-02-30", false, time.Time{}, true},
		{"June", false, time.Time{}, true},
		{"2013-1-5", false, time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDay(tt.in, tt.end)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseDay(%q, %v) = %v, %v; want %v, error %v", tt.in, tt.end, got, err, tt.want, tt.wantErr)
		}
	}
}
