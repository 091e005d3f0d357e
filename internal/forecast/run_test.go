package forecast

import "testing"

// Every monthly feature has a plain-language label for the factors
// forecast run stores; a feature without one would show its code name.
func TestFeatureTextCoversFeatures(t *testing.T) {
	for _, n := range append(append([]string(nil), monthlyFeatures...), covNames...) {
		if ft, ok := featureText[n]; !ok || ft.label == "" {
			t.Errorf("feature %q has no label in featureText", n)
		}
	}
}
