package geo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dlclark/regexp2"
)

const (
	// maxName is the longest name FromName tries to match, in bytes. The
	// longest English country names are about 50; the limit keeps regex
	// work on hostile input small.
	maxName = 128
	// maxCache bounds the FromName cache, so a stream of distinct junk
	// names cannot grow it without limit.
	maxCache = 4096
)

// namePattern is one countrycode English-name regex.
type namePattern struct {
	iso3   string
	entity string // concordance entity the regex is for, e.g. "Yugoslavia"
	re     *regexp2.Regexp
}

// nameResult is a cached FromName outcome.
type nameResult struct {
	iso3 string
	err  error
}

// FromName resolves an English country name as UCDP, ACLED or ICEWS write
// it ("DR Congo (Zaire)", "Ivory Coast", "Myanmar (Burma)").
//
// Names are matched case-insensitively, first against a short alias table
// and then against the countrycode regexes (see SOURCE.md). A name matching
// regexes of two different countries is an error wrapping ErrUnknown, as is
// a name matching none. Results are cached.
func (t *Table) FromName(name string) (string, error) {
	key := normalize(name)
	if v, ok := t.cache.Load(key); ok {
		r := v.(nameResult)
		return r.iso3, r.err
	}
	iso3, err := t.matchName(name, key)
	if t.cacheSize.Load() < maxCache {
		if _, loaded := t.cache.LoadOrStore(key, nameResult{iso3, err}); !loaded {
			t.cacheSize.Add(1)
		}
	}
	return iso3, err
}

func (t *Table) matchName(name, key string) (string, error) {
	if key == "" || len(key) > maxName {
		return "", fmt.Errorf("country name %q: %w", name, ErrUnknown)
	}
	if iso3, ok := t.aliases[key]; ok {
		return iso3, nil
	}
	runes := []rune(key)
	var found []string
	for _, p := range t.names {
		ok, err := p.re.MatchRunes(runes)
		if err != nil {
			return "", fmt.Errorf("country name %q: match %s: %w", name, p.entity, err)
		}
		if ok && !slices.Contains(found, p.iso3) {
			found = append(found, p.iso3)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("country name %q: %w", name, ErrUnknown)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("country name %q: ambiguous, matches %s: %w", name, strings.Join(found, ", "), ErrUnknown)
	}
}

// normalize lower-cases name and collapses runs of white space, so that
// "Ivory  Coast " and "ivory coast" share a cache entry.
func normalize(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}
