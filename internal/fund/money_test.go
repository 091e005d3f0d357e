package fund

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		s, cur string
		want   int64
		err    string // part of the error; "" none
	}{
		{"100", "USD", 10000, ""},
		{"1250.5", "USD", 125050, ""},
		{"1250.50", "USD", 125050, ""},
		{"0.01", "USD", 1, ""},
		{"0.001", "KWD", 1, ""},
		{"5000", "JPY", 5000, ""},
		{"10000000000000", "USD", MaxMinor, ""},
		{"10000000000000.01", "USD", 0, "too large"},
		{"99999999999999999999", "USD", 0, "too large"},
		{"5000.5", "JPY", 0, "JPY has 0 decimal places"},
		{"1.234", "USD", 0, "USD has 2 decimal places"},
		{"0", "USD", 0, "more than zero"},
		{"0.00", "USD", 0, "more than zero"},
		{"-5", "USD", 0, "not a decimal number"},
		{"+5", "USD", 0, "not a decimal number"},
		{"1e3", "USD", 0, "not a decimal number"},
		{"1,000", "USD", 0, "not a decimal number"},
		{" 5", "USD", 0, "not a decimal number"},
		{"5.", "USD", 0, "digit after"},
		{".5", "USD", 0, "digit before"},
		{"1.2.3", "USD", 0, "not a decimal number"},
		{"007", "USD", 0, "leading zeros"},
		{"", "USD", 0, "required"},
		{"NaN", "USD", 0, "not a decimal number"},
		{"5", "usd", 0, "currency"},
		{"5", "XXX", 0, "currency"},
	} {
		got, err := ParseAmount("amount", tc.s, tc.cur)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseAmount(%q, %s): %v", tc.s, tc.cur, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("ParseAmount(%q, %s) = %d, want %d", tc.s, tc.cur, got, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want an error with %q", tc.s, tc.cur, got, err, tc.err)
		case tc.err != "" && !errors.Is(err, ErrInvalid):
			t.Errorf("ParseAmount(%q, %s): %v is not ErrInvalid", tc.s, tc.cur, err)
		}
	}
	// The error names the field.
	if _, err := ParseAmount("limit", "x", "USD"); err == nil || !strings.HasPrefix(err.Error(), "limit ") {
		t.Errorf("error %v does not name the field", err)
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{125050, "USD", "1250.50"}, {5, "USD", "0.05"}, {-5, "USD", "-0.05"}, {0, "USD", "0.00"},
		{-125050, "USD", "-1250.50"}, {5000, "JPY", "5000"}, {1, "KWD", "0.001"}, {MaxMinor, "USD", "10000000000000.00"},
	} {
		if got := FormatAmount(tc.minor, tc.cur); got != tc.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.minor, tc.cur, got, tc.want)
		}
	}
}

func TestParseRateAndConvert(t *testing.T) {
	for _, tc := range []struct {
		rate, canon string
		minor       int64
		cur, rep    string
		want        int64
		err         string
	}{
		{"1.0825", "1.0825", 10000, "EUR", "USD", 10825, ""},     // EUR 100.00 = USD 108.25
		{"1.08250000", "1.0825", 10000, "EUR", "USD", 10825, ""}, // trailing zeros dropped
		{"0.0067", "0.0067", 150000, "JPY", "USD", 100500, ""},   // JPY 150000 = USD 1005.00
		{"0.00165", "0.00165", 1, "XOF", "USD", 0, ""},           // 0.165 cents rounds to 0
		{"0.005", "0.005", 1, "USD", "USD", 0, ""},               // half to even: 0.5 → 0
		{"0.015", "0.015", 100, "USD", "USD", 2, ""},             // 1.5 → 2
		{"0.025", "0.025", 100, "USD", "USD", 2, ""},             // 2.5 → 2
		{"3.2612", "3.2612", 1000, "KWD", "USD", 326, ""},        // KWD 1.000 = USD 3.26
		{"150", "150", 100, "USD", "JPY", 150, ""},               // USD 1.00 = JPY 150
		{"0", "", 0, "", "", 0, "more than zero"},
		{"-1", "", 0, "", "", 0, "not a decimal"},
		{"1.0000000000001", "", 0, "", "", 0, "12 decimal places"},
		{"1e2", "", 0, "", "", 0, "not a decimal"},
		{"", "", 0, "", "", 0, "required"},
	} {
		canon, r, err := ParseRate("rate", tc.rate)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "rate ") {
				t.Errorf("ParseRate(%q) = %v; want an error naming rate with %q", tc.rate, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseRate(%q): %v", tc.rate, err)
		}
		if canon != tc.canon {
			t.Errorf("ParseRate(%q) = %q, want %q", tc.rate, canon, tc.canon)
		}
		if got := Convert(tc.minor, tc.cur, r, tc.rep); got != tc.want {
			t.Errorf("Convert(%d %s at %s to %s) = %d, want %d", tc.minor, tc.cur, tc.rate, tc.rep, got, tc.want)
		}
	}
}

func TestRoundHalfEvenNegative(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		want     int64
	}{{-3, 2, -2}, {-5, 2, -2}, {-7, 4, -2}, {-1, 4, 0}, {7, 2, 4}} {
		if got := roundHalfEven(big.NewRat(tc.num, tc.den)); got != tc.want {
			t.Errorf("roundHalfEven(%d/%d) = %d, want %d", tc.num, tc.den, got, tc.want)
		}
	}
}

// FuzzParseAmount checks that what parses formats back to the same
// number, and that nothing panics.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"100", "1250.50", "0.01", "1e3", "-5", "007", "5.", ".5", "99999999999999999999", "1.234"} {
		f.Add(s, "USD")
	}
	f.Add("5000", "JPY")
	f.Add("0.001", "KWD")
	f.Fuzz(func(t *testing.T, s, cur string) {
		n, err := ParseAmount("amount", s, cur)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q %q: error %v is not ErrInvalid", s, cur, err)
			}
			return
		}
		if n <= 0 || n > MaxMinor {
			t.Fatalf("%q %q: %d out of range", s, cur, n)
		}
		back, err := ParseAmount("amount", FormatAmount(n, cur), cur)
		if err != nil || back != n {
			t.Fatalf("%q %q: %d formats as %q, which parses as %d, %v", s, cur, n, FormatAmount(n, cur), back, err)
		}
	})
}

// FuzzParseRate checks that a parsed rate is positive and its canonical
// form parses to the same rate.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"1.0825", "0.0067", "150", "0", "1e2", "1.000", "00.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		canon, r, err := ParseRate("rate", s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v is not ErrInvalid", s, err)
			}
			return
		}
		if r.Sign() <= 0 {
			t.Fatalf("%q: rate %v not positive", s, r)
		}
		c2, r2, err := ParseRate("rate", canon)
		if err != nil || c2 != canon || r2.Cmp(r) != 0 {
			t.Fatalf("%q: canonical %q reparses as %q %v %v", s, canon, c2, r2, err)
		}
	})
}
