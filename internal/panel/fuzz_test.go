package panel

import (
	"context"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary files, seeded with each format's header, to the
// format detection and row decoders: no panic, every value has a country
// and a year in range, every reject a line and a reason, and an aggregate
// format with a structurally bad row is refused.
func FuzzRead(f *testing.F) {
	seeds := []string{
		"gwcode,year,pop\n2,2020,335942.004\n2,2021,NA\n",
		"gwcode,year,infmort,infmort_yearadj,infmort_imputed\n2,1960,25.9,-1.2,FALSE\n",
		"ccode,country,year,cou.any\n700,Afghanistan,1945,0\n",
		"country,iso2c,iso3c,year,wdi.trade.new,wdi.gdppc.new,ccode\nAfghanistan,AF,AFG,1960,,,700\nArab World,1A,ARB,1960,1,2,NA\n",
		"\"\",\"year\",\"ewp_name\",\"ccode\",\"mk_onset\",\"prev_year\",\"two_years_prior\",\"risk_prev\"\n\"1\",1994,\"United States of America\",2,0,1993,1992,0.0245\n",
		"\"\",\"year\",\"country\",\"ccode\",\"datastartyear\",\"mk_onset\",\"mk_ongoing_code\",\"ewp_name\"\n\"1\",1934,\"USA\",2,1934,0,\"; usa1\",\"USA\"\n",
		"conflict_id;location;incompatibility;year;intensity_level;type_of_conflict;gwno_a;gwno_b;gwno_loc;version\n1;India;1;2012;1;3;750;;750;25.1\n",
		"conflict_id,location,incompatibility,year,intensity_level,type_of_conflict,gwno_a,gwno_b,gwno_loc,version\n1,X,2,1948,2,2,750,751,\"750, 751\",22.1\n",
		"conflict_id,dyad_id,year,bd_best,bd_low,bd_high,gwno_battle,version\n1,2,1998,284,200,300,\"490, 500\",25.1\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	codes := loadCodes(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(context.Background(), strings.NewReader(string(data)), "fuzz.csv", codes)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, v := range file.Values {
			if v.ISO3 == "" || v.Year < minYear || v.Year > maxYear || v.Dataset != file.Dataset {
				t.Fatalf("bad value %+v", v)
			}
		}
		for _, r := range file.Rejects {
			if r.Line < 1 || r.Reason == "" {
				t.Fatalf("bad reject %+v", r)
			}
		}
		if file.Refused != nil && len(file.Rejects) == 0 {
			t.Fatal("refused without a reject")
		}
	})
}

// FuzzParseCodes checks UCDP's lists of state numbers: what parses is
// positive, three digits at most, and survives being written back.
func FuzzParseCodes(f *testing.F) {
	for _, s := range []string{"490, 516", "750", "", " 2 ,3,", "490.0", "a,1", "-1", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		codes, err := parseCodes(s)
		if err != nil {
			return
		}
		var parts []string
		for _, c := range codes {
			if c <= 0 || c > 999 {
				t.Fatalf("parseCodes(%q) = %v", s, codes)
			}
			parts = append(parts, itoa(c))
		}
		again, err := parseCodes(strings.Join(parts, ", "))
		if err != nil || len(again) != len(codes) {
			t.Fatalf("parseCodes(%q) = %v, round trip %v, %v", s, codes, again, err)
		}
	})
}

// FuzzParseNumber checks that numbers are finite and that NA-like fields
// are never numbers.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "NA", "", "TRUE", "NaN", "Inf", "0x10", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := parseNumber(s)
		if err != nil {
			return
		}
		if x != x || x > 1e300 || x < -1e300 {
			t.Fatalf("parseNumber(%q) = %g", s, x)
		}
		if isNA(s) {
			t.Fatalf("parseNumber(%q) = %g for an NA field", s, x)
		}
	})
}
