package roster

import (
	"errors"
	"strings"
	"testing"

	"threshold/internal/casework"
)

func TestParseExpertise(t *testing.T) {
	tests := []struct {
		in   string
		want Expertise
		err  string
	}{
		{"power-sharing:3", Expertise{PowerSharing, 3}, ""},
		{"Power Sharing", Expertise{PowerSharing, 2}, ""},
		{"natural_resources:1", Expertise{NaturalResources, 1}, ""},
		{"elections:4", Expertise{}, `level "4"`},
		{"elections:x", Expertise{}, `level "x"`},
		{"cooking:2", Expertise{}, `unknown expertise area "cooking"`},
	}
	for _, tt := range tests {
		got, err := ParseExpertise(tt.in)
		if tt.err != "" {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseExpertise(%q) err = %v, want ErrInvalid naming %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseExpertise(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		in   string
		want Language
		err  string
	}{
		{"fr", Language{"fr", C1}, ""},
		{"AR:b2", Language{"ar", B2}, ""},
		{"sw:Native", Language{"sw", Native}, ""},
		{"fra:A1", Language{"fra", A1}, ""},
		{"f", Language{}, "not an ISO 639 code"},
		{"fr:D1", Language{}, `level "D1"`},
		{"f1:B2", Language{}, "not an ISO 639 code"},
	}
	for _, tt := range tests {
		got, err := ParseLanguage(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseLanguage(%q) err = %v, want one naming %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLanguage(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseExpertise(f *testing.F) {
	for _, s := range []string{"power-sharing:3", "elections", "gender inclusion:1", ":", "x:9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpertise(s)
		if err != nil {
			return
		}
		if areaIndex(e.Area) < 0 || e.Level < 1 || e.Level > 3 {
			t.Fatalf("ParseExpertise(%q) = %+v, outside the scale", s, e)
		}
	})
}

func FuzzParseLanguage(f *testing.F) {
	for _, s := range []string{"fr", "ar:B2", "sw:native", "x", "fr:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLanguage(s)
		if err != nil {
			return
		}
		if l.Level.Rank() == 0 || len(l.Code) < 2 || len(l.Code) > 3 {
			t.Fatalf("ParseLanguage(%q) = %+v, not a language with a level", s, l)
		}
		again, err := ParseLanguage(l.Code + ":" + string(l.Level))
		if err != nil || again != l {
			t.Fatalf("ParseLanguage(%q) = %+v does not parse back: %+v, %v", s, l, again, err)
		}
	})
}

func TestNormalize(t *testing.T) {
	g := loadGeo(t)
	p := Person{Name: "  Synthetic Person ", Email: "Synthetic@Example.ORG", Countries: []string{"mli", "NER", "MLI"},
		Expertise: []Expertise{{Elections, 1}, {ProcessDesign, 3}}, Languages: []Language{{"FR", B2}}}
	if err := p.Normalize(g); err != nil {
		t.Fatal(err)
	}
	if p.Name != "Synthetic Person" || p.Email != "synthetic@example.org" || p.Kind != MediationExpert ||
		p.Contract != Consultant || p.Clearance != casework.Internal || strings.Join(p.Countries, ",") != "MLI,NER" ||
		strings.Join(p.Regions, ",") != "Africa,Sub-Saharan Africa,Western Africa" || p.Expertise[0].Area != ProcessDesign || p.Languages[0].Code != "fr" {
		t.Fatalf("normalised = %+v", p)
	}
	bad := Person{Name: "", Email: "nope", Kind: "pilot", Countries: []string{"XXX"}, Regions: []string{"Atlantis"},
		Expertise: []Expertise{{"cooking", 2}, {Elections, 5}}, Languages: []Language{{"fr", "Z9"}}}
	err := bad.Normalize(g)
	for _, want := range []string{"name:", "email:", "kind:", "countries[0]", "regions[0]", "expertise[0]", "expertise[1]", "languages[0]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Normalize error %v does not name %s", err, want)
		}
	}
}

func TestTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{Requested, Approved}: true, {Requested, Rejected}: true, {Requested, Cancelled}: true,
		{Approved, Active}: true, {Approved, Cancelled}: true, {Active, Completed}: true,
	}
	for _, from := range Statuses() {
		for _, to := range Statuses() {
			err := CheckTransition(from, to)
			if allowed[[2]Status{from, to}] != (err == nil) {
				t.Errorf("CheckTransition(%s, %s) = %v", from, to, err)
			}
		}
	}
}

func TestCalendar(t *testing.T) {
	p := Person{
		Deployments: []Deployment{{ID: 7, Start: date("2025-01-03"), Days: 2, Status: Approved},
			{ID: 8, Start: date("2025-01-06"), Days: 2, Status: Cancelled}},
		Unavailable: []Period{{Start: date("2025-01-04"), End: date("2025-01-06")}},
	}
	got := Calendar(p, date("2025-01-01"), date("2025-01-08"))
	want := []Span{
		{date("2025-01-01"), date("2025-01-02"), Available, 0},
		{date("2025-01-03"), date("2025-01-04"), OnDeployment, 7},
		{date("2025-01-05"), date("2025-01-06"), Away, 0},
		{date("2025-01-07"), date("2025-01-08"), Available, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("Calendar = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].Status != want[i].Status ||
			got[i].DeploymentID != want[i].DeploymentID {
			t.Errorf("span %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
