package rules

import "testing"

func TestDefaultParses(t *testing.T) {
	f := Default()
	if len(f.Rules) < 8 || f.Version == "" {
		t.Fatalf("default rules: %d rules, version %q", len(f.Rules), f.Version)
	}
	for _, r := range f.Rules {
		if r.Kind() == "" || r.Level == "" || r.Period == "" {
			t.Errorf("rule %s: kind %q level %q period %q", r.ID, r.Kind(), r.Level, r.Period)
		}
	}
}
