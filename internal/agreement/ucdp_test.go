package agreement_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/geo"
	"threshold/internal/testenv"
)

func loadGeo(t testing.TB) *geo.Table {
	t.Helper()
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// readUCDP parses the real UCDP Peace Agreement Dataset v22.1.
func readUCDP(t testing.TB) []agreement.Agreement {
	t.Helper()
	path := testenv.SharedData(t, "ucdp-peace", "ucdp-peace-agreements-221.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	as, err := agreement.ParseUCDP("ucdp-peace-agreements-221.csv", f, loadGeo(t))
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func categories(a agreement.Agreement) []string {
	var out []string
	for _, p := range a.Provisions {
		out = append(out, p.Category)
	}
	return out
}

// TestParseUCDPReal checks the whole file's counts (computed from the CSV
// with Python's csv module) and agreements against their rows.
func TestParseUCDPReal(t *testing.T) {
	as := readUCDP(t)
	if len(as) != 374 {
		t.Fatalf("ParseUCDP read %d agreements, want 374", len(as))
	}
	provisions, ended, caf := 0, 0, 0
	byID := map[string]agreement.Agreement{}
	for _, a := range as {
		provisions += len(a.Provisions)
		if a.Ended {
			ended++
		}
		if slices.Contains(a.Countries, "CAF") {
			caf++
		}
		byID[a.SourceID] = a
		for _, p := range a.Provisions {
			if p.Status != agreement.NotStarted || !p.Deadline.IsZero() {
				t.Errorf("agreement %s provision %s: status %s deadline %v, want not-started without deadline",
					a.SourceID, p.Category, p.Status, p.Deadline)
			}
		}
	}
	if provisions != 1879 || ended != 134 || caf != 12 {
		t.Errorf("provisions %d, ended %d, CAR agreements %d; want 1879, 134, 12", provisions, ended, caf)
	}
	tests := []struct {
		paid       string
		name       string
		signed     string
		countries  []string
		conflicts  []int64
		ended      string // "" not ended
		parties    int
		categories []string
	}{
		{paid: "1641", name: "Political Agreement for Peace and Reconciliation in the Cent", signed: "2019-02-06",
			countries: []string{"CAF"}, conflicts: []int64{416, 15283}, ended: "2020-12-15", parties: 12,
			categories: []string{"cease", "intarmy", "ddr", "pp", "intgov", "intciv", "elections", "regdev", "recon", "return", "gender", "co_impl"}},
		{paid: "1355", name: "Birao Agreement", signed: "2007-04-01", countries: []string{"CAF"}, conflicts: []int64{416},
			ended: "2012-12-16", categories: []string{"cease", "intarmy", "ddr", "natalks", "amn", "pris"}},
		{paid: "1454", name: "Acte d’Adhésion", signed: "2012-08-25", countries: []string{"CAF"}, conflicts: []int64{416},
			categories: nil}, // only reaffirm: no provision
		{paid: "1013", name: "Lomé Peace Agreement", signed: "1999-07-07", countries: []string{"SLE"}},
		{paid: "29", name: "Agreement on the Resolution of the Conflict in the Republic of South Sudan", signed: "2015-08-17",
			countries: []string{"SSD"}},
	}
	for _, tt := range tests {
		a, ok := byID[tt.paid]
		if !ok {
			t.Errorf("no agreement %s", tt.paid)
			continue
		}
		if !strings.HasPrefix(a.Name, tt.name) || !a.Signed.Equal(day(tt.signed)) || !slices.Equal(a.Countries, tt.countries) {
			t.Errorf("agreement %s: %q %v %v, want %q… %s %v", tt.paid, a.Name, a.Signed, a.Countries, tt.name, tt.signed, tt.countries)
		}
		if tt.conflicts != nil && !slices.Equal(a.ConflictIDs, tt.conflicts) {
			t.Errorf("agreement %s conflicts %v, want %v", tt.paid, a.ConflictIDs, tt.conflicts)
		}
		if tt.ended != "" && (!a.Ended || !a.EndedOn.Equal(day(tt.ended))) {
			t.Errorf("agreement %s ended %v on %v, want on %s", tt.paid, a.Ended, a.EndedOn, tt.ended)
		}
		if tt.parties > 0 && len(a.Parties) != tt.parties {
			t.Errorf("agreement %s has %d parties %q, want %d", tt.paid, len(a.Parties), a.Parties, tt.parties)
		}
		if tt.categories != nil || tt.paid == "1454" {
			if got := categories(a); !slices.Equal(got, tt.categories) {
				t.Errorf("agreement %s provisions %v, want %v", tt.paid, got, tt.categories)
			}
		}
	}
	// The Algiers Agreement between Chad and Libya (gwno "483, 620") has
	// both countries.
	if a := byID["1420"]; !slices.Equal(a.Countries, []string{"LBY", "TCD"}) || !a.Signed.Equal(day("1989-08-31")) {
		t.Errorf("agreement 1420: countries %v signed %v, want [LBY TCD] 1989-08-31", a.Countries, a.Signed)
	}
}

// TestParseUCDPErrors checks that bad input names the file, the line and
// the column, on synthetic rows in the real header's layout.
func TestParseUCDPErrors(t *testing.T) {
	header := "paid,gwno,conflict_id,conflict_name,actor_name,pa_name,pa_date,ended,duration,cease,pp,ref \n"
	tests := []struct {
		name string
		body string
		want string
	}{
		{"not UCDP", "a,b,c\n1,2,3\n", "synthetic.csv:1: not a UCDP Peace Agreement Dataset file"},
		{"empty", "", "synthetic.csv:1: empty file"},
		{"bad date", header + "1,482,416,CAR,\"A, B\",Synthetic accord,2019-02-31,False,,1,0,0\n",
			`synthetic.csv:2: column pa_date: want a date YYYY-MM-DD "2019-02-31"`},
		{"bad flag on line 3", header + "1,482,416,CAR,A,Synthetic accord,2019-02-06,False,,1,0,0\n" +
			"2,482,416,CAR,A,\"Synthetic\naccord\",2019-02-06,False,,1,2,0\n", `synthetic.csv:4: column pp: want 0 or 1 "2"`},
		{"unknown GW code", header + "1,999,416,CAR,A,Synthetic accord,2019-02-06,False,,1,0,0\n",
			`synthetic.csv:2: column gwno: Gleditsch-Ward code 999`},
		{"South Sudan before independence", header + "1,626,416,SSD,A,Synthetic accord,2005-01-09,False,,1,0,0\n",
			`column gwno: Gleditsch-Ward code 626 on 2005-01-09`},
		{"duplicate", header + "1,482,416,CAR,A,Synthetic accord,2019-02-06,False,,1,0,0\n" +
			"1,482,416,CAR,A,Synthetic accord,2019-02-06,False,,1,0,0\n", `synthetic.csv:3: column paid: duplicate agreement id (also on line 2)`},
		{"ended", header + "1,482,416,CAR,A,Synthetic accord,2019-02-06,maybe,,1,0,0\n", `column ended: want True or False "maybe"`},
	}
	g := loadGeo(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, err := agreement.ParseUCDP("synthetic.csv", strings.NewReader(tt.body), g)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseUCDP = %d agreements, %v; want error containing %q", len(as), err, tt.want)
			}
			var pe *agreement.ParseError
			if !errors.As(err, &pe) || pe.File != "synthetic.csv" {
				t.Errorf("error %v is not a *ParseError naming the file", err)
			}
		})
	}
	// The trailing-space header "ref " is read as ref.
	as, err := agreement.ParseUCDP("synthetic.csv", strings.NewReader(header+"7,482,416,CAR,A,Synthetic,2019-02-06,False,,0,0,1\n"), g)
	if err != nil || len(as) != 1 || !slices.Equal(categories(as[0]), []string{"ref"}) {
		t.Errorf("ref column: %v, %v", as, err)
	}
}

// FuzzParseUCDP checks that no input panics and that whatever parses
// normalizes.
func FuzzParseUCDP(f *testing.F) {
	header := "paid,gwno,conflict_id,conflict_name,actor_name,pa_name,pa_date,ended,duration,cease,pp,ref \n"
	f.Add([]byte(header + "1,482,416,CAR,\"A, B\",Synthetic accord,2019-02-06,True,2020-12-15,1,0,1\n"))
	f.Add([]byte(header + "1,\"483, 620\",\"1, 2\",X,A,S,1990-01-01,,,0,0,0\n"))
	f.Add([]byte("paid\n\"\n"))
	g := loadGeo(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := agreement.ParseUCDP("fuzz.csv", bytes.NewReader(data), g)
		if err != nil {
			return
		}
		for _, a := range as {
			if err := a.Normalize(); err != nil && len(a.Countries) > 0 && strings.TrimSpace(a.Name) != "" {
				t.Errorf("parsed agreement %s does not normalize: %v", a.SourceID, err)
			}
		}
	})
}
