package election

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseCSV(t *testing.T) {
	in := "# synthetic test calendar\n" +
		"country,date,kind,round,source,note\n" +
		"CAF,2011-01-23,general,1,https://example.org/synthetic,first\n" +
		"Ivory Coast,2010-11-28,Presidential,2,Synthetic citation for tests,\n" +
		"mex,2012-07-01,general,,https://example.org/synthetic-2,\n"
	got, err := ParseCSV("synthetic.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Election{
		{Country: "CAF", Date: time.Date(2011, 1, 23, 0, 0, 0, 0, time.UTC), Kind: General, Round: 1, Source: "https://example.org/synthetic", Note: "first"},
		{Country: "CIV", Date: time.Date(2010, 11, 28, 0, 0, 0, 0, time.UTC), Kind: Presidential, Round: 2, Source: "Synthetic citation for tests"},
		{Country: "MEX", Date: time.Date(2012, 7, 1, 0, 0, 0, 0, time.UTC), Kind: General, Round: 1, Source: "https://example.org/synthetic-2"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d elections, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("election %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Optional columns may be left out.
	got, err = ParseCSV("min.csv", strings.NewReader("date,country,kind,source\n2011-01-23,CAF,general,https://example.org/s\n"))
	if err != nil || len(got) != 1 || got[0].Round != 1 || got[0].Country != "CAF" {
		t.Errorf("minimal columns: %+v, %v", got, err)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const head = "country,date,kind,round,source,note\n"
	tests := []struct {
		name string
		in   string
		want []string // every problem, in order
	}{
		{"empty", "", []string{"bad.csv: empty file: want a header row country,date,kind,round,source,note"}},
		{"unknown and missing columns", "country,day,kind,source\n", []string{
			`bad.csv:1: header: unknown column "day" (want country, date, kind, round, source, note)`,
			`bad.csv:1: header: missing column "date"`}},
		{"repeated column", "country,date,kind,source,kind\n", []string{`bad.csv:1: header: repeated column "kind"`}},
		{"bad date", head + "CAF,2011-02-30,general,1,https://example.org/s,\n", []string{`bad.csv:2: date: "2011-02-30" is not a date YYYY-MM-DD`}},
		{"missing date", head + "CAF,,general,1,https://example.org/s,\n", []string{`bad.csv:2: date: missing`}},
		{"unknown country", head + "Atlantis,2011-01-23,general,1,https://example.org/s,\n", []string{
			`bad.csv:2: country: unknown country "Atlantis": want an ISO 3166-1 alpha-3 code such as CIV, or an English name`}},
		{"missing source", head + "CAF,2011-01-23,general,1,,\n", []string{
			`bad.csv:2: source: missing: every election needs its public source (a URL or a citation)`}},
		{"vague source", head + "CAF,2011-01-23,general,1,wikipedia,\n", []string{
			`bad.csv:2: source: "wikipedia": want a URL or a citation of at least three words`}},
		{"bad URL", head + "CAF,2011-01-23,general,1,https://,\n", []string{`bad.csv:2: source: "https://" is not a valid URL`}},
		{"bad kind and round", head + "CAF,2011-01-23,mayoral,0,https://example.org/s,\n", []string{
			`bad.csv:2: kind: unknown election kind "mayoral" (want presidential, legislative, general, referendum or local)`,
			`bad.csv:2: round: "0": want a whole number from 1 to 9`}},
		{"duplicate", head + "CAF,2011-01-23,general,1,https://example.org/s,\n# comment\nCentral African Republic,2011-01-23,general,,https://example.org/t,\n", []string{
			`bad.csv:4: row: repeats the election on line 2 (CAF 2011-01-23 general 1)`}},
		{"too many fields", head + "CAF,2011-01-23,general,1,https://example.org/s,,extra\n", []string{`bad.csv:2: row: 7 fields, the header has 6`}},
		{"every bad row at once", head + "CAF,2011-01-23,general,1,,\nMEX,x,general,1,https://example.org/s,\n", []string{
			`bad.csv:2: source: missing: every election needs its public source (a URL or a citation)`,
			`bad.csv:3: date: "x" is not a date YYYY-MM-DD`}},
		{"bad quoting", head + "CAF,\"2011-01-23,general\n", []string{`bad.csv:2: row: extraneous or missing " in quoted-field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV("bad.csv", strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ParseError
			var got []string
			if errors.As(err, &pe) {
				got = pe.Problems
			} else {
				got = []string{err.Error()}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// FuzzParseCSV checks that ParseCSV never panics and that what it accepts
// is valid.
func FuzzParseCSV(f *testing.F) {
	f.Add("country,date,kind,round,source,note\nCAF,2011-01-23,general,1,https://example.org/s,\n")
	f.Add("country,date,kind,source\nCIV,2010-11-28,presidential,Synthetic citation here\n")
	f.Add(string(CalendarCSV()))
	f.Fuzz(func(t *testing.T, in string) {
		els, err := ParseCSV("fuzz.csv", strings.NewReader(in))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, e := range els {
			if len(e.Country) != 3 || e.Date.IsZero() || !e.Kind.Valid() || e.Round < 1 || e.Source == "" {
				t.Fatalf("accepted an invalid election %+v", e)
			}
		}
	})
}
