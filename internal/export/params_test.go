package export

import (
	"errors"
	"testing"

	"threshold/internal/indicator"
)

func TestIndicatorParams(t *testing.T) {
	for _, tt := range []struct {
		name      string
		p         IndicatorParams
		wantField string // "" for valid
		check     func(t *testing.T, p IndicatorParams)
	}{
		{name: "empty selects everything", p: IndicatorParams{}},
		{name: "all periods", p: IndicatorParams{Period: "all"}},
		{name: "full", p: IndicatorParams{Country: "caf", Admin1: "Ouham", Period: "Month", Name: "fatalities_best",
			From: "2013", To: "2014-06"}},
		{name: "bad country", p: IndicatorParams{Country: "CA"}, wantField: "country"},
		{name: "digits are no country", p: IndicatorParams{Country: "C4F"}, wantField: "country"},
		{name: "bad period", p: IndicatorParams{Period: "year"}, wantField: "period"},
		{name: "bad from", p: IndicatorParams{From: "2013-13"}, wantField: "from"},
		{name: "to before from", p: IndicatorParams{From: "2014", To: "2013"}, wantField: "to"},
		{name: "admin1 not UTF-8", p: IndicatorParams{Admin1: "\xff"}, wantField: "admin1"},
	} {
		q, err := tt.p.Query()
		var fe *FieldError
		switch {
		case tt.wantField == "" && err != nil:
			t.Errorf("%s: Query(%+v): %v", tt.name, tt.p, err)
		case tt.wantField != "" && (!errors.As(err, &fe) || fe.Field != tt.wantField):
			t.Errorf("%s: Query(%+v) = %v, want an error on %s", tt.name, tt.p, err, tt.wantField)
		}
		if tt.name == "full" && (q.Country != "CAF" || q.Kind != indicator.Month || *q.Admin1 != "Ouham" ||
			q.From.Format("2006-01-02") != "2013-01-01" || q.To.Format("2006-01-02") != "2014-06-30") {
			t.Errorf("Query(%+v) = %+v", tt.p, q)
		}
		if tt.name == "all periods" && q.Kind != "" {
			t.Errorf("period all: kind %q, want every kind", q.Kind)
		}
	}
}

func FuzzIndicatorParams(f *testing.F) {
	f.Add("CAF", "Ouham", "month", "fatalities_best", "2013", "2014-06")
	f.Add("", "", "all", "", "", "")
	f.Add("c4f", "\xff", "YEAR", "nb.events", "2013-02-30", "0999")
	f.Fuzz(func(t *testing.T, country, admin1, period, name, from, to string) {
		p := IndicatorParams{Country: country, Admin1: admin1, Period: period, Name: name, From: from, To: to}
		q, err := p.Query()
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Errorf("Query(%+v): error %v names no field", p, err)
			}
			return
		}
		if q.Country != "" && len(q.Country) != 3 {
			t.Errorf("Query(%+v): country %q", p, q.Country)
		}
		if q.Kind != "" && !q.Kind.Valid() {
			t.Errorf("Query(%+v): kind %q", p, q.Kind)
		}
		if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
			t.Errorf("Query(%+v): to %v before from %v", p, q.To, q.From)
		}
	})
}
