package store_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"threshold/internal/geo"
	"threshold/internal/panel"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

func readPanel(t *testing.T, codes *geo.Table, name string, data []byte) *panel.File {
	t.Helper()
	f, err := panel.Read(context.Background(), strings.NewReader(string(data)), name, codes)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestImportPanelIdempotentAndVersioned(t *testing.T) {
	codes, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := testenv.SharedData(t, "ewp-sra", "basedata2025_4august2025.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := readPanel(t, codes, "basedata2025_4august2025.csv", data)
		res, err := db.ImportPanel(ctx, f, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := (panel.Result{Inserted: len(f.Values)}); res != want {
			t.Errorf("first import = %+v, want %+v", res, want)
		}
		// The same file again: skipped, nothing changes.
		res, err = db.ImportPanel(ctx, f, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := (panel.Result{Unchanged: len(f.Values), Skipped: true}); res != want {
			t.Errorf("second import = %+v, want %+v", res, want)
		}
		all, err := db.PanelValues(ctx, panel.Query{Dataset: "ewp-base"})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(f.Values) {
			t.Errorf("stored %d values, want %d", len(all), len(f.Values))
		}

		// A revised file under another name: Rwanda (517) 1994's
		// mk_onset_count changed from 1 to 2 -> one update, the old value
		// kept as a version.
		lines := strings.Split(string(data), "\n")
		changed := false
		for i, l := range lines {
			if strings.Contains(l, ",1994,\"Rwanda\",517,") {
				fields := strings.Split(l, ",")
				if fields[7] != "1" {
					t.Fatalf("Rwanda 1994 mk_onset_count = %s, want 1 in the published file", fields[7])
				}
				fields[7] = "2"
				lines[i] = strings.Join(fields, ",")
				changed = true
			}
		}
		if !changed {
			t.Fatal("no Rwanda 1994 row")
		}
		g := readPanel(t, codes, "basedata-revised.csv", []byte(strings.Join(lines, "\n")))
		res, err = db.ImportPanel(ctx, g, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if want := (panel.Result{Updated: 1, Unchanged: len(g.Values) - 1}); res != want {
			t.Errorf("revised import = %+v, want %+v", res, want)
		}
		got, err := db.PanelValues(ctx, panel.Query{Dataset: "ewp-base", Variables: []string{"mk_onset_count", "mk_ongoing_code"}, ISO3: "RWA", From: 1994, To: 1994})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1].Variable != "mk_onset_count" || got[1].Num != 2 || got[1].Code != 517 ||
			got[0].Variable != "mk_ongoing_code" || !strings.Contains(got[0].Text, "rwa1994s1") {
			t.Errorf("Rwanda 1994 after the revision = %+v", got)
		}

		vers, err := db.PanelValueVersions(ctx, panel.Key{Dataset: "ewp-base", Variable: "mk_onset_count", ISO3: "RWA", Code: 517, Year: 1994})
		if err != nil {
			t.Fatal(err)
		}
		if len(vers) != 1 || vers[0].Num != 1 || vers[0].File != "basedata2025_4august2025.csv" || vers[0].ReplacedBy != "basedata-revised.csv" || vers[0].Line != got[1].Line {
			t.Errorf("versions of Rwanda 1994 mk_onset_count = %+v, want the published 1 replaced by the revision", vers)
		}

		ds, err := db.PanelDatasets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (panel.Dataset{Name: "ewp-base", Format: "ewp-base", Scheme: panel.EWP, FirstYear: 1934, LastYear: 2024}); len(ds) != 1 || ds[0] != want {
			t.Errorf("datasets = %+v, want [%+v]", ds, want)
		}
		vars, err := db.PanelVariables(ctx, "ewp-base")
		if err != nil {
			t.Fatal(err)
		}
		roles := map[string]panel.Role{}
		for _, v := range vars {
			roles[v.Name] = v.Role
		}
		if roles["mk_onset"] != panel.Outcome || roles["mk_ongoing"] != panel.Input || len(vars) != len(f.Variables) {
			t.Errorf("variables = %+v", vars)
		}
		rejects, err := db.PanelRejects(ctx, "basedata2025_4august2025.csv")
		if err != nil {
			t.Fatal(err)
		}
		if len(rejects) != len(f.Rejects) || len(rejects) == 0 {
			t.Fatalf("stored %d rejects, want %d", len(rejects), len(f.Rejects))
		}
		if r := rejects[0]; r.Column != "ccode" || r.Value != "315" || len(r.Raw) != len(f.Header) {
			t.Errorf("first reject = %+v, want Czechoslovakia's ccode 315 with its raw row", r)
		}
	})
}

func TestImportPanelRefusesAndChecksDataset(t *testing.T) {
	codes, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		// An ACD file with a row whose intensity is unreadable is refused whole.
		acd := "conflict_id,location,side_a,side_a_id,side_a_2nd,side_b,side_b_id,side_b_2nd,incompatibility,territory_name,year,intensity_level,cumulative_intensity,type_of_conflict,start_date,start_prec,start_date2,start_prec2,ep_end,ep_end_date,ep_end_prec,gwno_a,gwno_a_2nd,gwno_b,gwno_b_2nd,gwno_loc,region,version\n" +
			"200,Colombia,Government of Colombia,90,,FARC,286,,2,,2015,1,1,3,1964-05-27,1,1964-05-27,1,0,,,100,,,,100,5,25.1\n" +
			"201,Colombia,Government of Colombia,90,,ELN,287,,2,,2015,x,1,3,1964-05-27,1,1964-05-27,1,0,,,100,,,,100,5,25.1\n"
		f := readPanel(t, codes, "acd.csv", []byte(acd))
		_, err := db.ImportPanel(ctx, f, time.Now())
		if !errors.Is(err, panel.ErrRefused) || !strings.Contains(err.Error(), "acd.csv:3: column intensity_level") {
			t.Errorf("ImportPanel(bad ACD) = %v, want refused naming acd.csv:3 and intensity_level", err)
		}
		if vs, err := db.PanelValues(ctx, panel.Query{}); err != nil || len(vs) != 0 {
			t.Errorf("after a refused file: %d values, %v; want none", len(vs), err)
		}
		// A file whose every row is rejected records the dataset without
		// years; the next one sets them.
		lines := strings.SplitAfter(acd, "\n")
		hyderabad := strings.NewReplacer(",2015,", ",1948,", ",100,,,,100,", ",751,,,,751,").Replace(lines[1])
		empty := readPanel(t, codes, "acd-empty.csv", []byte(lines[0]+hyderabad))
		if res, err := db.ImportPanel(ctx, empty, time.Now()); err != nil || res.Inserted != 0 || len(empty.Rejects) != 1 {
			t.Fatalf("ImportPanel(all rejected) = %+v, %v, %d rejects; want nothing inserted, 1 reject", res, err, len(empty.Rejects))
		}
		good := readPanel(t, codes, "acd.csv", []byte(strings.Replace(acd, ",x,", ",2,", 1)))
		res, err := db.ImportPanel(ctx, good, time.Now())
		if err != nil || res.Inserted != len(panel.ACDVariables) {
			t.Fatalf("ImportPanel(good ACD) = %+v, %v; want %d inserted", res, err, len(panel.ACDVariables))
		}
		ds, err := db.PanelDatasets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].FirstYear != 2015 || ds[0].LastYear != 2015 {
			t.Errorf("datasets %+v, want ucdp-acd-25.1 covering 2015", ds)
		}
		vs, err := db.PanelValues(ctx, panel.Query{Dataset: "ucdp-acd-25.1", Variables: []string{"conflicts", "wars"}, ISO3: "COL"})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].Num != 2 || vs[1].Num != 1 || vs[0].Code != 100 || vs[0].Year != 2015 {
			t.Errorf("Colombia 2015 = %+v, want 2 conflicts, 1 war", vs)
		}
	})
}
