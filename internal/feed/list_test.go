package feed

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Listed
		wantErr string
	}{
		{
			name: "lastupdate.txt layout (synthetic sizes and hashes)",
			in: "150383 297a16b493de7cf6ca809a7cc31d0b93 http://gdelt.example/gdeltv2/20191024143000.export.CSV.zip\n" +
				"318084 bb27f78ba45f69a17ea6ed7755e9f8ff http://gdelt.example/gdeltv2/20191024143000.mentions.CSV.zip\n\n",
			want: []Listed{
				{Size: 150383, MD5: "297a16b493de7cf6ca809a7cc31d0b93", URL: "http://gdelt.example/gdeltv2/20191024143000.export.CSV.zip"},
				{Size: 318084, MD5: "bb27f78ba45f69a17ea6ed7755e9f8ff", URL: "http://gdelt.example/gdeltv2/20191024143000.mentions.CSV.zip"},
			},
		},
		{name: "empty", in: ""},
		{name: "two fields", in: "1 297a16b493de7cf6ca809a7cc31d0b93\n", wantErr: "list: line 1: want 3 fields"},
		{name: "bad size", in: "x 297a16b493de7cf6ca809a7cc31d0b93 http://h/a.zip\n", wantErr: "line 1: field size"},
		{name: "negative size", in: "-1 297a16b493de7cf6ca809a7cc31d0b93 http://h/a.zip\n", wantErr: "line 1: field size"},
		{name: "bad md5", in: "\n1 297a16b4 http://h/a.zip\n", wantErr: "line 2: field md5"},
		{name: "not http", in: "1 297a16b493de7cf6ca809a7cc31d0b93 ftp://h/a.zip\n", wantErr: "line 1: field url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseList("list", strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseList(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseList mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsExportName(t *testing.T) {
	for name, want := range map[string]bool{
		"20191024143000.export.CSV.zip":             true,
		"20191024143000.translation.export.CSV.zip": true,
		"20191024143000.mentions.CSV.zip":           false,
		"20191024143000.gkg.csv.zip":                false,
		"2019102414300.export.CSV.zip":              false,
		"20191024143000.export.CSV":                 false,
	} {
		if got := IsExportName(name); got != want {
			t.Errorf("IsExportName(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzParseList(f *testing.F) {
	f.Add("150383 297a16b493de7cf6ca809a7cc31d0b93 http://gdelt.example/gdeltv2/20191024143000.export.CSV.zip\n")
	f.Add("1 2 3\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		ls, err := ParseList("fuzz", strings.NewReader(in))
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Size < 0 || len(l.MD5) != 32 || l.URL == "" {
				t.Fatalf("ParseList(%q) accepted %+v", in, l)
			}
			_ = l.Name()
		}
	})
}
