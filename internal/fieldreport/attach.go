package fieldreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"path"
	"strings"
)

// MaxAttachment is the default limit on one attachment, in bytes.
const MaxAttachment = 5 << 20

// maxPixels bounds a decoded image (width × height), so a small file
// declaring a huge image cannot exhaust memory when decoded.
const maxPixels = 40_000_000

// Upload is an attachment as sent.
type Upload struct {
	Name string // as the sender named it; only its base is kept, never trusted for the type
	Data []byte
}

// Clean checks an upload by its content and returns what may be stored:
// JPEG and PNG re-encoded (which drops EXIF, GPS and all other metadata),
// PDF as sent with a note, anything else refused. max <= 0 is
// MaxAttachment. Errors wrap ErrInvalid and name the attachment.
func Clean(u Upload, max int) (Attached, []byte, error) {
	if max <= 0 {
		max = MaxAttachment
	}
	name := cleanName(u.Name)
	bad := func(format string, args ...any) (Attached, []byte, error) {
		return Attached{}, nil, fmt.Errorf("%w: attachment %q: %s", ErrInvalid, name, fmt.Sprintf(format, args...))
	}
	if len(u.Data) == 0 {
		return bad("empty")
	}
	if len(u.Data) > max {
		return bad("%d bytes, at most %d", len(u.Data), max)
	}
	typ := http.DetectContentType(u.Data)
	var (
		out  []byte
		note string
	)
	switch typ {
	case "image/jpeg", "image/png":
		cfg, format, err := image.DecodeConfig(bytes.NewReader(u.Data))
		if err != nil {
			return bad("not a readable image: %v", err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
			return bad("image of %d×%d pixels is too large", cfg.Width, cfg.Height)
		}
		img, _, err := image.Decode(bytes.NewReader(u.Data))
		if err != nil {
			return bad("not a readable image: %v", err)
		}
		var b bytes.Buffer
		if format == "png" {
			err = png.Encode(&b, img)
		} else {
			err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
		}
		if err != nil {
			return bad("re-encode: %v", err)
		}
		out, note = b.Bytes(), "re-encoded: metadata (EXIF, GPS) removed"
	case "application/pdf":
		out, note = u.Data, "stored as sent: PDF metadata is not removed"
	default:
		return bad("content is %s; only JPEG, PNG and PDF are accepted", typ)
	}
	sum := sha256.Sum256(out)
	return Attached{Name: name, Type: typ, Size: len(out), Note: note, SHA256: hex.EncodeToString(sum[:])}, out, nil
}

// cleanName keeps the base of a sent file name, printable and short.
func cleanName(n string) string {
	n = path.Base(strings.ReplaceAll(n, `\`, "/"))
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	if len(n) > 100 {
		n = n[:100]
	}
	if n == "" || n == "." || n == "/" {
		n = "attachment"
	}
	return strings.ToValidUTF8(n, "")
}
