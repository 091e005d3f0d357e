package rules

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/indicator"
)

// Problem is one thing wrong with a rules file, at a position in it.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`   // 1-based; 0 if unknown
	Column int    `json:"column"` // 1-based; 0 if unknown
	Path   string `json:"path"`   // e.g. "rules[3].detector.config.window"; "" for the whole file
	Msg    string `json:"message"`
}

// String formats the problem as "file:line:col: path: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem Parse found in a rules file.
type Error struct {
	Problems []Problem
}

// Error lists the problems, one a line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxRules bounds a rules file; more rules than this is a mistake, and the
// bound keeps evaluation time predictable.
const maxRules = 500

// Parse decodes and validates a rules file, YAML or JSON (JSON is YAML).
// name is the file's name for error messages. It reports every problem at
// once as an *Error, each as "name:line:col: rules[3].field: message".
// Unknown fields, duplicate rule ids and missing or contradictory
// conditions are errors; defaults (level country, period month) are filled
// in.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.syntax(err)
		return nil, &Error{p.problems}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.errorf(nil, "", "empty file: want a mapping with version and rules")
		return nil, &Error{p.problems}
	}
	f := p.file(doc.Content[0])
	if len(p.problems) > 0 {
		return nil, &Error{p.problems}
	}
	return f, nil
}

type parser struct {
	name     string
	geo      *geo.Table
	problems []Problem
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	pr := Problem{File: p.name, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax turns a YAML decoding error into problems, one per line of it.
func (p *parser) syntax(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		pr := Problem{File: p.name, Msg: m}
		if s := syntaxLine.FindStringSubmatch(m); s != nil {
			pr.Line, _ = strconv.Atoi(s[1])
			pr.Msg = s[2]
		} else {
			pr.Msg = strings.TrimPrefix(m, "yaml: ")
		}
		p.problems = append(p.problems, pr)
	}
}

// fields walks a mapping node, checking for unknown and repeated keys,
// and calls set for each known key with its value node.
func (p *parser) fields(n *yaml.Node, path string, known []string, set func(key string, v *yaml.Node)) bool {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "must be a mapping, not %s", describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		kp := join(path, key)
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k, path, "keys must be plain names")
		case k.Value == "<<":
			p.errorf(k, path, "merge keys (<<) are not supported")
		case !contains(known, key):
			p.errorf(k, kp, "unknown field (want one of %s)", strings.Join(known, ", "))
		case seen[key]:
			p.errorf(k, kp, "repeated field")
		default:
			seen[key] = true
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			set(key, v)
		}
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// describe names a node's kind for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "an empty node"
}

// str reads a string scalar. Numbers are accepted as their text (a rule
// called 2024 is a fine name); mappings, lists and null are not.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, path, "must be a string, not %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// number reads a finite number.
func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		p.errorf(n, path, "must be a number, not %s", describe(n))
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errorf(n, path, "must be a finite number, not %s", n.Value)
		return 0, false
	}
	return v, true
}

// integer reads a whole number within [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		p.errorf(n, path, "must be a whole number, not %s", describe(n))
		return 0, false
	}
	var v int
	if err := n.Decode(&v); err != nil {
		p.errorf(n, path, "must be a whole number, not %s", n.Value)
		return 0, false
	}
	if v < lo || v > hi {
		p.errorf(n, path, "must be between %d and %d, not %d", lo, hi, v)
		return 0, false
	}
	return v, true
}

// strList reads a list of strings.
func (p *parser) strList(n *yaml.Node, path string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "must be a list, not %s", describe(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		s, good := p.str(c, fmt.Sprintf("%s[%d]", path, i))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	labelPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

func (p *parser) file(n *yaml.Node) *File {
	f := &File{}
	var version, rules *yaml.Node
	if !p.fields(n, "", []string{"version", "rules"}, func(key string, v *yaml.Node) {
		switch key {
		case "version":
			version = v
		case "rules":
			rules = v
		}
	}) {
		return nil
	}
	if version == nil {
		p.errorf(n, "version", "missing: name this version of the rules, e.g. \"2026-11-26\"")
	} else if s, ok := p.str(version, "version"); ok {
		if strings.TrimSpace(s) == "" || len(s) > 100 {
			p.errorf(version, "version", "must be 1 to 100 characters")
		}
		f.Version = s
	}
	if rules == nil {
		p.errorf(n, "rules", "missing: want a list of rules")
		return f
	}
	if rules.Kind != yaml.SequenceNode {
		p.errorf(rules, "rules", "must be a list, not %s", describe(rules))
		return f
	}
	if len(rules.Content) > maxRules {
		p.errorf(rules, "rules", "too many rules: %d, at most %d", len(rules.Content), maxRules)
		return f
	}
	ids := map[string]int{} // id → line of first use
	for i, rn := range rules.Content {
		path := fmt.Sprintf("rules[%d]", i)
		r, idNode := p.rule(rn, path)
		if r.ID != "" && idNode != nil {
			if line, dup := ids[r.ID]; dup {
				p.errorf(idNode, path+".id", "duplicate id %q (first used on line %d)", r.ID, line)
			} else {
				ids[r.ID] = idNode.Line
			}
		}
		f.Rules = append(f.Rules, r)
	}
	return f
}

var ruleFields = []string{"id", "name", "description", "severity", "labels", "scope", "level", "period",
	"include_unverified", "indicator", "detector", "forecast", "coup", "first_fatal", "election", "spread_admin1", "spread_border"}

func (p *parser) rule(n *yaml.Node, path string) (Rule, *yaml.Node) {
	r := Rule{}
	var idNode, levelNode, periodNode, unverifiedNode *yaml.Node
	var conds []string
	condNodes := map[string]*yaml.Node{}
	if !p.fields(n, path, ruleFields, func(key string, v *yaml.Node) {
		kp := join(path, key)
		switch key {
		case "id":
			idNode = v
			if s, ok := p.str(v, kp); ok {
				if !idPattern.MatchString(s) {
					p.errorf(v, kp, "%q: want letters, digits, '-', '_' or '.', starting with a letter or digit, at most 100", s)
				} else {
					r.ID = s
				}
			}
		case "name":
			if s, ok := p.str(v, kp); ok {
				if strings.TrimSpace(s) == "" {
					p.errorf(v, kp, "must not be empty")
				}
				r.Name = s
			}
		case "description":
			r.Description, _ = p.str(v, kp)
		case "severity":
			if s, ok := p.str(v, kp); ok {
				sev, err := alert.ParseSeverity(s)
				if err != nil {
					p.errorf(v, kp, "%v", err)
				}
				r.Severity = sev
			}
		case "labels":
			r.Labels = p.labels(v, kp)
		case "scope":
			r.Scope = p.scope(v, kp)
		case "level":
			levelNode = v
			if s, ok := p.str(v, kp); ok {
				switch Level(s) {
				case CountryLevel, Admin1Level:
					r.Level = Level(s)
				default:
					p.errorf(v, kp, "unknown level %q (want country or admin1)", s)
				}
			}
		case "period":
			periodNode = v
			if s, ok := p.str(v, kp); ok {
				k, err := indicator.ParseKind(s)
				if err != nil {
					p.errorf(v, kp, "%v", err)
				}
				r.Period = k
			}
		case "include_unverified":
			unverifiedNode = v
			r.IncludeUnverified, _ = p.boolean(v, kp)
		default: // a condition
			conds = append(conds, key)
			condNodes[key] = v
		}
	}) {
		return r, nil
	}
	if idNode == nil {
		p.errorf(n, path+".id", "missing")
	}
	if r.Name == "" && !hasKey(n, "name") {
		p.errorf(n, path+".name", "missing")
	}
	if r.Severity == "" && !hasKey(n, "severity") {
		p.errorf(n, path+".severity", "missing (want info, warning or critical)")
	}
	if r.Period == "" && periodNode == nil {
		r.Period = indicator.Month
	}
	switch len(conds) {
	case 0:
		p.errorf(n, path, "no condition: want exactly one of indicator, detector, forecast, coup, first_fatal, election, spread_admin1, spread_border")
		return r, idNode
	case 1:
	default:
		p.errorf(condNodes[conds[1]], join(path, conds[1]), "a rule has exactly one condition; this one also has %s", conds[0])
		return r, idNode
	}
	key := conds[0]
	v, cp := condNodes[key], join(path, key)
	switch key {
	case "indicator":
		r.Indicator = p.indicatorCond(v, cp, &r)
	case "detector":
		r.Detector = p.detectorCond(v, cp, &r)
	case "forecast":
		r.Forecast = p.forecastCond(v, cp)
	case "coup":
		r.Coup = p.coupCond(v, cp)
	case "first_fatal":
		r.FirstFatal = p.firstFatalCond(v, cp)
	case "election":
		r.Election = p.electionCond(v, cp, &r)
	case "spread_admin1":
		r.SpreadAdmin1 = p.spreadAdmin1Cond(v, cp)
		if r.Level == CountryLevel {
			p.errorf(levelNode, path+".level", "spread_admin1 watches admin-1 areas: leave level out or set it to admin1")
		}
		r.Level = Admin1Level
	case "spread_border":
		r.SpreadBorder = p.spreadBorderCond(v, cp)
		if r.Level == Admin1Level {
			p.errorf(levelNode, path+".level", "spread_border watches countries: leave level out or set it to country")
		}
	}
	if r.Level == "" {
		r.Level = CountryLevel
	}
	if r.Coup != nil && r.Level == Admin1Level {
		p.errorf(levelNode, path+".level", "coups are national events: leave level out or set it to country")
	}
	if r.IncludeUnverified {
		p.checkUnverified(unverifiedNode, path+".include_unverified", &r)
	}
	return r, idNode
}

// checkUnverified refuses include_unverified where reports cannot be
// counted: forecasts, and indicators that are not counts (a share or a
// mean cannot take one more report in without the events behind it).
func (p *parser) checkUnverified(n *yaml.Node, path string, r *Rule) {
	var name string
	switch {
	case r.Forecast != nil:
		p.errorf(n, path, "forecast rules read forecasts, not field reports: leave include_unverified out")
		return
	case r.Indicator != nil:
		name = r.Indicator.Name
	case r.Detector != nil:
		name = r.Detector.Indicator
	case r.Election != nil:
		name = r.Election.Indicator
	}
	if name != "" && checkIndicator(name, false) == nil && !isCount(name) {
		p.errorf(n, path, "%s is not a count: unverified field reports can be added only to counts (events, events.<category>, violent_events, fatal_events, fatalities_best, ...)", name)
	}
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(n, path, "must be true or false, not %s", describe(n))
		return false, false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		p.errorf(n, path, "must be true or false, not %s", n.Value)
		return false, false
	}
	return v, true
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (p *parser) labels(n *yaml.Node, path string) map[string]string {
	out := map[string]string{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "must be a mapping of names to values, not %s", describe(n))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		switch {
		case !labelPattern.MatchString(k.Value):
			p.errorf(k, kp, "label names are letters, digits and '_', not starting with a digit")
		case k.Value == "kind":
			p.errorf(k, kp, "the label kind is set by evaluation to the rule's condition kind")
		default:
			if _, dup := out[k.Value]; dup {
				p.errorf(k, kp, "repeated label")
			}
			if s, ok := p.str(v, kp); ok {
				out[k.Value] = s
			}
		}
	}
	return out
}

func (p *parser) scope(n *yaml.Node, path string) []string {
	list, _ := p.strList(n, path)
	if p.geo == nil { // loaded on first use: most rules have no scope
		tab, err := geo.Load()
		if err != nil {
			p.errorf(n, path, "%v", err)
			return nil
		}
		p.geo = tab
	}
	var out []string
	for i, s := range list {
		c := strings.ToUpper(strings.TrimSpace(s))
		if _, ok := p.geo.Lookup(c); !ok {
			p.errorf(n.Content[i], fmt.Sprintf("%s[%d]", path, i), "unknown country %q: want an ISO 3166-1 alpha-3 code such as CAF", s)
			continue
		}
		if !contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (p *parser) indicatorName(n *yaml.Node, path string, r *Rule, countOnly bool) string {
	s, ok := p.str(n, path)
	if !ok {
		return ""
	}
	if err := checkIndicator(s, countOnly); err != nil {
		p.errorf(n, path, "%v", err)
		return s
	}
	if strings.HasPrefix(s, indicator.NeighbourPrefix) {
		if r.Level == Admin1Level {
			p.errorf(n, path, "%s: neighbour (nb.) indicators exist for countries only, not admin1", s)
		}
		if r.Period == indicator.Day {
			p.errorf(n, path, "%s: neighbour (nb.) indicators exist for weeks and months only, not days", s)
		}
	}
	return s
}

// checkIndicator reports whether name is an indicator (package indicator)
// and, with countOnly, a count that a detector or ratio can work on.
func checkIndicator(name string, countOnly bool) error {
	base, nb := strings.CutPrefix(name, indicator.NeighbourPrefix)
	counts := []string{indicator.Events, indicator.ViolentEvents, indicator.FatalEvents, indicator.FatalitiesBest,
		indicator.FatalitiesLow, indicator.FatalitiesHigh, indicator.GoldsteinEvents}
	others := []string{indicator.ViolentShare, indicator.GoldsteinMean, indicator.DaysSinceFatal}
	if nb {
		counts = []string{indicator.ViolentEvents, indicator.FatalitiesBest, indicator.Protests, indicator.Riots, indicator.GoldsteinEvents}
		others = []string{indicator.GoldsteinMean}
	}
	isCount := contains(counts, base)
	if c, ok := strings.CutPrefix(base, "events."); ok && !nb {
		if !event.Category(c).Valid() {
			return fmt.Errorf("%s: unknown event category %q", name, c)
		}
		isCount = true
	}
	switch {
	case isCount:
		return nil
	case contains(others, base) && countOnly:
		return fmt.Errorf("%s is not a count: want a count such as fatalities_best, violent_events or events.protest", name)
	case contains(others, base):
		return nil
	case nb:
		return fmt.Errorf("unknown neighbour indicator %q (want nb. followed by violent_events, fatalities_best, events.protest, events.riot, goldstein_events or goldstein_mean)", name)
	}
	return fmt.Errorf("unknown indicator %q (see go doc threshold/internal/indicator: events, events.<category>, violent_events, violent_share, fatal_events, fatalities_best, ..., nb.<name>)", name)
}

// isCount reports whether a valid indicator name is a count (absent means
// zero) rather than a share, mean or duration.
func isCount(name string) bool { return checkIndicator(name, true) == nil }

func (p *parser) indicatorCond(n *yaml.Node, path string, r *Rule) *IndicatorCond {
	c := &IndicatorCond{For: 1}
	var seen []string
	p.fields(n, path, []string{"name", "op", "value", "for"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "name":
			c.Name = p.indicatorName(v, kp, r, false)
		case "op":
			if s, ok := p.str(v, kp); ok {
				switch Op(s) {
				case GT, GE, LT, LE:
					c.Op = Op(s)
				default:
					p.errorf(v, kp, "unknown operator %q (want >, >=, < or <=)", s)
				}
			}
		case "value":
			c.Value, _ = p.number(v, kp)
		case "for":
			c.For, _ = p.integer(v, kp, 1, 120)
		}
	})
	p.required(n, path, seen, "name", "op", "value")
	return c
}

// required reports each of keys missing from seen.
func (p *parser) required(n *yaml.Node, path string, seen []string, keys ...string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for _, k := range keys {
		if !contains(seen, k) {
			p.errorf(n, join(path, k), "missing")
		}
	}
}

func (p *parser) detectorCond(n *yaml.Node, path string, r *Rule) *DetectorCond {
	c := &DetectorCond{}
	var seen []string
	var cfgNode *yaml.Node
	p.fields(n, path, []string{"method", "indicator", "min_value", "config"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "method":
			if s, ok := p.str(v, kp); ok {
				switch Method(s) {
				case Surprise, CUSUM, ChangePoint:
					c.Method = Method(s)
				default:
					p.errorf(v, kp, "unknown method %q (want surprise, cusum or changepoint)", s)
				}
			}
		case "indicator":
			c.Indicator = p.indicatorName(v, kp, r, true)
		case "min_value":
			if x, ok := p.number(v, kp); ok {
				if x < 0 {
					p.errorf(v, kp, "must be >= 0")
				}
				c.MinValue = x
			}
		case "config":
			cfgNode = v
			c.Config = map[string]float64{}
			keys := []string{"baseline", "min_history", "window", "mean_floor", "surprise_threshold",
				"cusum_span", "cusum_shift", "cusum_threshold", "change_hazard", "change_span", "change_threshold"}
			p.fields(v, kp, keys, func(key string, v *yaml.Node) {
				if configKeys[key] {
					if x, ok := p.integer(v, join(kp, key), 1, 10000); ok {
						c.Config[key] = float64(x)
					}
				} else if x, ok := p.number(v, join(kp, key)); ok {
					c.Config[key] = x
				}
			})
		}
	})
	p.required(n, path, seen, "method", "indicator")
	if cfgNode != nil && r.Period.Valid() {
		if err := c.detectConfig(r.Period).Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				p.errorf(cfgNode, join(path, "config"), "%s", strings.TrimPrefix(strings.TrimSpace(line), "detect: config: "))
			}
		}
	}
	return c
}

func (p *parser) forecastCond(n *yaml.Node, path string) *ForecastCond {
	c := &ForecastCond{}
	var seen []string
	p.fields(n, path, []string{"target", "probability"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "target":
			if s, ok := p.str(v, kp); ok {
				if !idPattern.MatchString(s) {
					p.errorf(v, kp, "%q: want a forecast target name such as fatalities_25", s)
				}
				c.Target = s
			}
		case "probability":
			if x, ok := p.number(v, kp); ok {
				if x <= 0 || x > 1 {
					p.errorf(v, kp, "must be > 0 and <= 1")
				}
				c.Probability = x
			}
		}
	})
	p.required(n, path, seen, "target", "probability")
	return c
}

// emptyCond accepts an empty value (coup: {} or coup: with nothing) as a
// condition with defaults.
func emptyCond(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (p *parser) coupCond(n *yaml.Node, path string) *CoupCond {
	c := &CoupCond{MinSources: 1}
	if emptyCond(n) {
		return c
	}
	p.fields(n, path, []string{"min_sources"}, func(key string, v *yaml.Node) {
		c.MinSources, _ = p.integer(v, join(path, key), 1, 10)
	})
	return c
}

func (p *parser) firstFatalCond(n *yaml.Node, path string) *FirstFatalCond {
	c := &FirstFatalCond{MinFatalities: 1}
	var seen []string
	p.fields(n, path, []string{"quiet_months", "min_fatalities"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "quiet_months":
			c.QuietMonths, _ = p.integer(v, kp, 1, 120)
		case "min_fatalities":
			c.MinFatalities, _ = p.integer(v, kp, 1, 1_000_000)
		}
	})
	p.required(n, path, seen, "quiet_months")
	return c
}

func (p *parser) electionCond(n *yaml.Node, path string, r *Rule) *ElectionCond {
	c := &ElectionCond{Baseline: 12, MinValue: 1}
	var seen []string
	p.fields(n, path, []string{"within_days", "indicator", "ratio", "baseline", "min_value"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "within_days":
			c.WithinDays, _ = p.integer(v, kp, 1, 366)
		case "indicator":
			c.Indicator = p.indicatorName(v, kp, r, true)
		case "ratio":
			if x, ok := p.number(v, kp); ok {
				if x <= 1 {
					p.errorf(v, kp, "must be > 1: the rise over the baseline mean")
				}
				c.Ratio = x
			}
		case "baseline":
			c.Baseline, _ = p.integer(v, kp, 1, 120)
		case "min_value":
			if x, ok := p.number(v, kp); ok {
				if x < 0 {
					p.errorf(v, kp, "must be >= 0")
				}
				c.MinValue = x
			}
		}
	})
	p.required(n, path, seen, "within_days", "indicator", "ratio")
	return c
}

func (p *parser) spreadAdmin1Cond(n *yaml.Node, path string) *SpreadAdmin1Cond {
	c := &SpreadAdmin1Cond{}
	var seen []string
	p.fields(n, path, []string{"quiet_months", "min_fatalities"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "quiet_months":
			c.QuietMonths, _ = p.integer(v, kp, 1, 120)
		case "min_fatalities":
			c.MinFatalities, _ = p.integer(v, kp, 0, 1_000_000)
		}
	})
	p.required(n, path, seen, "quiet_months")
	return c
}

func (p *parser) spreadBorderCond(n *yaml.Node, path string) *SpreadBorderCond {
	c := &SpreadBorderCond{}
	var seen []string
	p.fields(n, path, []string{"quiet_months", "neighbour_months", "min_fatalities"}, func(key string, v *yaml.Node) {
		seen = append(seen, key)
		kp := join(path, key)
		switch key {
		case "quiet_months":
			c.QuietMonths, _ = p.integer(v, kp, 1, 120)
		case "neighbour_months":
			c.NeighbourMonths, _ = p.integer(v, kp, 1, 120)
		case "min_fatalities":
			c.MinFatalities, _ = p.integer(v, kp, 0, 1_000_000)
		}
	})
	p.required(n, path, seen, "quiet_months", "neighbour_months")
	return c
}
