package geo_test

import (
	"errors"
	"testing"

	"threshold/internal/geo"
)

// checkFuzzResult requires that a resolver either returns a 3-letter code
// the table knows, or an error wrapping ErrUnknown.
func checkFuzzResult(t *testing.T, tb *geo.Table, call, input string, got string, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, geo.ErrUnknown) {
			t.Errorf("%s(%q) error %v does not wrap ErrUnknown", call, input, err)
		}
		if got != "" {
			t.Errorf("%s(%q) = %q with error %v, want \"\"", call, input, got, err)
		}
		return
	}
	if len(got) != 3 {
		t.Errorf("%s(%q) = %q, want a 3-letter code", call, input, got)
	}
	if _, ok := tb.Lookup(got); !ok {
		t.Errorf("%s(%q) = %q, which Lookup does not know", call, input, got)
	}
}

func FuzzFromName(f *testing.F) {
	tb := load(f)
	for _, s := range []string{
		"DR Congo (Zaire)", "Ivory Coast", "Myanmar (Burma)", "Yemen (North Yemen)",
		"Serbia (Yugoslavia)", "Kingdom of eSwatini (Swaziland)", "Korea, Democratic People's Republic Of",
		"Côte d’Ivoire", "Türkiye", "Sudan and Chad", "", "  ", "\x00", "\xff\xfe", "((((", `\b`,
		"united states minor outlying islands", "korea korea korea korea korea dpr",
	} {
		f.Add(s)
	}
	for _, c := range tb.Countries() {
		f.Add(c.Name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := tb.FromName(name)
		checkFuzzResult(t, tb, "FromName", name, got, err)
	})
}

func FuzzFromFIPS(f *testing.F) {
	tb := load(f)
	for _, s := range []string{"OD", "SU", "KV", "CG", "CF", "OS", "YI", "", "od", " RS ", "\x00\x00", "ÄÖ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		got, err := tb.FromFIPS(code)
		checkFuzzResult(t, tb, "FromFIPS", code, got, err)
	})
}
