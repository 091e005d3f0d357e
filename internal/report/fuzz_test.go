package report_test

import (
	"strings"
	"testing"

	"threshold/internal/report"
)

// FuzzParse checks that the format and trend parsers accept exactly the
// known names (any case, surrounding space) and never panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"pdf", " HTML ", "markdown", "md", "csv", "json", "docx", "", "deteriorated", "Improved ", "sideways", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := report.ParseFormat(s); err == nil {
			if got.ContentType() == "" {
				t.Errorf("ParseFormat(%q) = %q, which has no content type", s, got)
			}
			if again, err := report.ParseFormat(string(got)); err != nil || again != got {
				t.Errorf("ParseFormat(%q) = %q, which does not parse back: %v", s, got, err)
			}
		}
		if got, err := report.ParseTrend(s); err == nil && string(got) != strings.ToLower(strings.TrimSpace(s)) {
			t.Errorf("ParseTrend(%q) = %q", s, got)
		}
	})
}
