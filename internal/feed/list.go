package feed

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// namePattern matches the export files of GDELT 2.0's 15-minute feed
// (and of its translingual twin): YYYYMMDDHHMMSS.export.CSV.zip and
// YYYYMMDDHHMMSS.translation.export.CSV.zip. Names sort in time order.
var namePattern = regexp.MustCompile(`^[0-9]{14}\.(translation\.)?export\.CSV\.zip$`)

// IsExportName reports whether name is a GDELT 2.0 export file's name.
func IsExportName(name string) bool { return namePattern.MatchString(name) }

// Listed is one line of a GDELT file listing.
type Listed struct {
	Size int64  // bytes
	MD5  string // hex
	URL  string
}

// Name returns the base name of the listed file.
func (l Listed) Name() string {
	u, err := url.Parse(l.URL)
	if err != nil {
		return path.Base(l.URL)
	}
	return path.Base(u.Path)
}

// ParseList reads a GDELT file listing, lastupdate.txt or
// masterfilelist.txt: one file a line, "<size> <md5> <url>" separated by
// spaces. Blank lines are skipped. A malformed line is an error naming
// source, line and field; every line is returned, exports or not (see
// IsExportName).
func ParseList(source string, r io.Reader) ([]Listed, error) {
	var out []Listed
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s: line %d: want 3 fields (size md5 url), got %d", source, line, len(f))
		}
		size, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%s: line %d: field size: %q is not a byte count", source, line, f[0])
		}
		if !isHexMD5(f[1]) {
			return nil, fmt.Errorf("%s: line %d: field md5: %q is not 32 hex digits", source, line, f[1])
		}
		u, err := url.Parse(f[2])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s: line %d: field url: %q is not an http(s) URL", source, line, f[2])
		}
		out = append(out, Listed{Size: size, MD5: strings.ToLower(f[1]), URL: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return out, nil
}

func isHexMD5(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
