package fieldreport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// syntheticImage is a small made-up picture.
func syntheticImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 90, 255})
		}
	}
	return img
}

// gpsExif is an APP1 segment holding a minimal valid EXIF block whose
// IFD0 points to a GPS IFD with latitude reference N and a marker string.
func gpsExif() []byte {
	var t bytes.Buffer
	t.WriteString("MM\x00\x2a\x00\x00\x00\x08") // big-endian TIFF, IFD0 at 8
	be := binary.BigEndian
	w16 := func(v uint16) { binary.Write(&t, be, v) }
	w32 := func(v uint32) { binary.Write(&t, be, v) }
	w16(1) // IFD0: one entry
	w16(0x8825)
	w16(4)
	w32(1)
	w32(26) // GPSInfo, LONG, offset of the GPS IFD
	w32(0)  // no next IFD
	w16(2)  // GPS IFD at 26: two entries
	w16(0x0001)
	w16(2)
	w32(2)
	t.WriteString("N\x00\x00\x00") // GPSLatitudeRef "N"
	w16(0x001b)
	w16(7)
	w32(16)
	w32(56) // GPSProcessingMethod, UNDEFINED, at 56
	w32(0)
	t.WriteString("SYNTHETIC-GPS-FIX")
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

func TestClean(t *testing.T) {
	var jpg, pngb bytes.Buffer
	if err := jpeg.Encode(&jpg, syntheticImage(), nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pngb, syntheticImage()); err != nil {
		t.Fatal(err)
	}
	// A JPEG with GPS EXIF: APP1 right after the SOI marker.
	exifJPEG := append(append([]byte{0xFF, 0xD8}, gpsExif()...), jpg.Bytes()[2:]...)
	if !bytes.Contains(exifJPEG, []byte("SYNTHETIC-GPS-FIX")) {
		t.Fatal("test image has no GPS block")
	}
	if _, _, err := image.Decode(bytes.NewReader(exifJPEG)); err != nil {
		t.Fatalf("test JPEG does not decode: %v", err)
	}
	// A PNG with a text chunk naming a place, inserted after IHDR.
	p := pngb.Bytes()
	text := pngChunk("tEXt", []byte("Location\x00SYNTHETIC-GPS-FIX"))
	pngText := append(append(append([]byte{}, p[:33]...), text...), p[33:]...)

	tests := []struct {
		name     string
		up       Upload
		max      int
		wantType string
		wantErr  string
	}{
		{name: "JPEG with GPS EXIF comes out without it", up: Upload{Name: "photo.jpg", Data: exifJPEG}, wantType: "image/jpeg"},
		{name: "PNG with a location text chunk comes out without it", up: Upload{Name: "map.png", Data: pngText}, wantType: "image/png"},
		{name: "PDF kept with a note", up: Upload{Name: "statement.pdf", Data: []byte("%PDF-1.4\nsynthetic\n%%EOF")}, wantType: "application/pdf"},
		{name: "HTML named .png refused", up: Upload{Name: "photo.png", Data: []byte("<html><script>alert(1)</script></html>")}, wantErr: "text/html"},
		{name: "PNG signature with garbage refused", up: Upload{Name: "x.png", Data: append([]byte("\x89PNG\r\n\x1a\n"), []byte("<script>")...)}, wantErr: "not a readable image"},
		{name: "oversized refused", up: Upload{Name: "big.jpg", Data: exifJPEG}, max: 100, wantErr: "at most 100"},
		{name: "empty refused", up: Upload{Name: "e.jpg"}, wantErr: "empty"},
		{name: "executable refused", up: Upload{Name: "a.pdf", Data: []byte("MZ\x90\x00synthetic")}, wantErr: "only JPEG, PNG and PDF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, out, err := Clean(tt.up, tt.max)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Clean(%s) err = %v, want ErrInvalid containing %q", tt.up.Name, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Clean(%s): %v", tt.up.Name, err)
			}
			if a.Type != tt.wantType || a.Size != len(out) || len(a.SHA256) != 64 || a.Note == "" {
				t.Errorf("Clean(%s) = %+v, want type %s", tt.up.Name, a, tt.wantType)
			}
			if tt.wantType != "application/pdf" {
				for _, leak := range []string{"SYNTHETIC-GPS-FIX", "Exif", "tEXt"} {
					if bytes.Contains(out, []byte(leak)) {
						t.Errorf("Clean(%s) kept %q", tt.up.Name, leak)
					}
				}
				if _, _, err := image.Decode(bytes.NewReader(out)); err != nil {
					t.Errorf("cleaned image does not decode: %v", err)
				}
			}
		})
	}
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32IEEE(append([]byte(typ), data...))
	binary.Write(&b, binary.BigEndian, crc)
	return b.Bytes()
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{"../../etc/passwd": "passwd", `C:\x\photo.jpg`: "photo.jpg", "": "attachment", "a\x00b.png": "ab.png"} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, syntheticImage(), nil)
	f.Add(jpg.Bytes())
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, out, err := Clean(Upload{Name: "f", Data: data}, 1<<20)
		if err != nil {
			return
		}
		if a.Type != "image/jpeg" && a.Type != "image/png" && a.Type != "application/pdf" {
			t.Fatalf("accepted type %s", a.Type)
		}
		if a.Size != len(out) {
			t.Fatalf("size %d, data %d", a.Size, len(out))
		}
	})
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
