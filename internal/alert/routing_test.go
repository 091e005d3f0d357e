package alert_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/alert"
)

func receiverNames(rs []alert.Receiver) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// TestDefaultRouting routes alerts for real countries through the
// embedded routing table.
func TestDefaultRouting(t *testing.T) {
	r, err := alert.DefaultRouting()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		country  string
		severity alert.Severity
		want     []string
	}{
		{"CAF", alert.Warning, []string{"africa-central-east-desk"}},
		{"CAF", alert.Critical, []string{"crisis-centre", "africa-central-east-desk"}},
		{"COD", alert.Info, []string{"africa-central-east-desk"}},
		{"SSD", alert.Warning, []string{"africa-central-east-desk"}},
		{"SDN", alert.Warning, []string{"africa-central-east-desk"}}, // Northern Africa in M49, routed with the Horn
		{"SOM", alert.Warning, []string{"africa-central-east-desk"}},
		{"MLI", alert.Warning, []string{"africa-west-desk"}},
		{"NGA", alert.Warning, []string{"africa-west-desk"}},
		{"BFA", alert.Warning, []string{"africa-west-desk"}},
		{"ZAF", alert.Warning, []string{"africa-southern-desk"}},
		{"MEX", alert.Warning, []string{"americas-desk"}},
		{"COL", alert.Critical, []string{"crisis-centre", "americas-desk"}},
		{"HTI", alert.Warning, []string{"americas-desk"}},
		{"USA", alert.Warning, []string{"americas-desk"}},
		{"SYR", alert.Warning, []string{"middle-east-north-africa-desk"}},
		{"EGY", alert.Warning, []string{"middle-east-north-africa-desk"}},
		{"LBY", alert.Warning, []string{"middle-east-north-africa-desk"}},
		{"YEM", alert.Warning, []string{"middle-east-north-africa-desk"}},
		{"IRN", alert.Warning, []string{"middle-east-north-africa-desk"}},
		{"TUR", alert.Warning, []string{"europe-central-asia-desk"}},
		{"ARM", alert.Warning, []string{"europe-central-asia-desk"}},
		{"UKR", alert.Warning, []string{"europe-central-asia-desk"}},
		{"XKX", alert.Warning, []string{"europe-central-asia-desk"}},
		{"KGZ", alert.Warning, []string{"europe-central-asia-desk"}},
		{"AFG", alert.Warning, []string{"asia-pacific-desk"}},
		{"MMR", alert.Warning, []string{"asia-pacific-desk"}},
		{"PNG", alert.Warning, []string{"asia-pacific-desk"}},
		{"TWN", alert.Warning, []string{"asia-pacific-desk"}},
		{"ATA", alert.Warning, []string{"global-desk"}},
		{"ZZZ", alert.Warning, []string{"global-desk"}},
	}
	for _, tt := range tests {
		got := receiverNames(r.Match(alert.Alert{Rule: "fatalities-surge", Country: tt.country, Severity: tt.severity}))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Match(%s, %s) mismatch (-want +got):\n%s", tt.country, tt.severity, diff)
		}
	}
	// No receiver has subscribers: deployments add them.
	for _, rc := range r.Receivers {
		if len(rc.Webhooks)+len(rc.Emails) > 0 {
			t.Errorf("default receiver %s has subscribers", rc.Name)
		}
	}
}

// TestDefaultRoutingCoversEveryCountry checks that the default table sends
// every country in the code table, but Antarctica, to a regional desk.
func TestDefaultRoutingCoversEveryCountry(t *testing.T) {
	r, err := alert.DefaultRouting()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range countries(t) {
		got := receiverNames(r.Match(alert.Alert{Country: c, Severity: alert.Warning}))
		if len(got) != 1 {
			t.Errorf("%s routes to %v, want one desk", c, got)
			continue
		}
		counts[got[0]]++
		if got[0] == "global-desk" && c != "ATA" {
			t.Errorf("%s reaches only the catch-all", c)
		}
	}
	t.Logf("countries per desk: %v", counts)
}

func TestRoutingTree(t *testing.T) {
	const file = `
receivers:
  - name: root
  - name: sahel
    webhooks:
      - url: https://hooks.example.org/sahel
        secret_env: SAHEL_SECRET
    emails: [sahel@example.org]
  - name: coups
  - name: west
route:
  receiver: root
  routes:
    - receiver: coups
      rule: [coup]
      continue: true
    - receiver: west
      intermediate_region: Western Africa
      routes:
        - receiver: sahel
          country: [MLI, BFA, NER]
          labels: {theme: violence}
    - labels: {team: x}
`
	r, err := alert.ParseRoutes("synthetic.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    alert.Alert
		want []string
	}{
		{"no match stays at root", alert.Alert{Rule: "x", Country: "FRA"}, []string{"root"}},
		{"region", alert.Alert{Rule: "x", Country: "SEN"}, []string{"west"}},
		{"nested without label stays with parent", alert.Alert{Rule: "x", Country: "MLI"}, []string{"west"}},
		{"nested with label", alert.Alert{Rule: "x", Country: "MLI", Labels: map[string]string{"theme": "violence"}}, []string{"sahel"}},
		{"continue", alert.Alert{Rule: "coup", Country: "NER", Labels: map[string]string{"theme": "violence"}}, []string{"coups", "sahel"}},
		{"continue alone", alert.Alert{Rule: "coup", Country: "FRA"}, []string{"coups"}},
		{"inherited receiver", alert.Alert{Rule: "x", Country: "FRA", Labels: map[string]string{"team": "x"}}, []string{"root"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, receiverNames(r.Match(tt.a))); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
	}
	sahel, ok := r.Receiver("sahel")
	if !ok || len(sahel.Webhooks) != 1 || sahel.Webhooks[0].SecretEnv != "SAHEL_SECRET" || sahel.Emails[0] != "sahel@example.org" {
		t.Errorf("Receiver(sahel) = %+v, %v", sahel, ok)
	}
}

func TestParseRoutesErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // substrings of the error, each required
	}{
		{"empty", ``, []string{"synthetic.yaml:0: empty routing file"}},
		{"syntax", "route: [", []string{"synthetic.yaml: yaml:"}},
		{"not a mapping", "- a\n- b\n", []string{"synthetic.yaml:1: want a mapping, got a list"}},
		{"missing parts", "receivers: []\n", []string{"synthetic.yaml:1: route: required"}},
		{"unknown receiver and field, all at once", `
receivers:
  - name: a
route:
  receiver: a
  routes:
    - receiver: b
      severity: urgent
      contry: CAF
    - receiver: a
      region: Afrika
      country: [CAF, XYZ]
`, []string{
			"synthetic.yaml:7: route.routes[0].receiver: unknown receiver \"b\"",
			"synthetic.yaml:8: route.routes[0].severity[0]: unknown severity \"urgent\"",
			"synthetic.yaml:9: route.routes[0].contry: unknown field",
			"synthetic.yaml:11: route.routes[1].region[0]: unknown region \"Afrika\"",
			"synthetic.yaml:12: route.routes[1].country[1]: \"XYZ\" is not an ISO 3166-1 alpha-3 code",
		}},
		{"root with matchers", `
receivers: [{name: a}]
route: {receiver: a, country: CAF}
`, []string{"synthetic.yaml:3: route: the root route matches every alert"}},
		{"root without receiver", `
receivers: [{name: a}]
route: {routes: [{receiver: a}]}
`, []string{"route.receiver: the root route needs a receiver"}},
		{"bad receivers", `
receivers:
  - name: Desk One
    webhooks: [{url: "ftp://x", secret_env: "MY SECRET"}]
    emails: [not-an-address]
  - name: a
  - name: a
route: {receiver: a}
`, []string{
			"synthetic.yaml:3: receivers[0].name: \"Desk One\": want lower-case",
			"synthetic.yaml:4: receivers[0].webhooks[0].url: \"ftp://x\" is not an http or https URL",
			"receivers[0].webhooks[0].secret_env: \"MY SECRET\" is not an environment variable name",
			"synthetic.yaml:5: receivers[0].emails[0]: \"not-an-address\" is not an email address",
			"synthetic.yaml:7: receivers[2].name: receiver \"a\" defined twice",
		}},
		{"continue not a bool", `
receivers: [{name: a}]
route: {receiver: a, routes: [{continue: maybe}]}
`, []string{"route.routes[0].continue: want true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alert.ParseRoutes("synthetic.yaml", []byte(tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// Each problem is a *ParseError.
	_, err := alert.ParseRoutes("synthetic.yaml", []byte("receivers: []\nroute: {receiver: nobody}\n"))
	var pe *alert.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Path != "route.receiver" {
		t.Errorf("ParseError = %+v from %v", pe, err)
	}
}

func FuzzParseRoutes(f *testing.F) {
	f.Add(alert.DefaultRoutesYAML())
	f.Add([]byte("receivers: [{name: a}]\nroute: {receiver: a, routes: [{country: CAF, continue: true, routes: [{labels: {x: y}}]}]}\n"))
	f.Add([]byte("route: [\n"))
	f.Add([]byte("receivers: [{name: a, webhooks: [{url: 'http://x'}], emails: [a@b.c]}]\nroute: {receiver: a}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := alert.ParseRoutes("fuzz.yaml", data)
		if err != nil {
			if r != nil {
				t.Fatal("routing and error")
			}
			return
		}
		// A parsed table routes every alert somewhere it defines.
		for _, c := range []string{"CAF", "MEX", "ZZZ", ""} {
			got := r.Match(alert.Alert{Country: c, Severity: alert.Critical, Rule: "coup", Labels: map[string]string{"x": "y"}})
			if len(got) == 0 {
				t.Fatalf("Match(%s) = nothing", c)
			}
			for _, rc := range got {
				if !slices.ContainsFunc(r.Receivers, func(x alert.Receiver) bool { return x.Name == rc.Name }) {
					t.Fatalf("Match(%s) = undefined receiver %q", c, rc.Name)
				}
			}
		}
	})
}
