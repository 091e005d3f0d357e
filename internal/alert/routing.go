package alert

import (
	_ "embed"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"threshold/internal/geo"
)

// Routing is the routing table: the receivers (desks and regional
// offices) and the tree of routes that sends each alert to some of them,
// as in Alertmanager.
//
// Every alert enters at the root route, which matches everything. It
// then descends into the first child route whose matchers all match, and
// on down the same way; the deepest route reached names the receiver. A
// route with continue: true lets the alert go on to its later siblings
// too, so one alert can reach several receivers. An alert that matches
// no child stays with the route it reached. A route without a receiver
// inherits its parent's.
type Routing struct {
	Name      string     // the file it was parsed from, for messages
	Receivers []Receiver // in file order
	Root      *Route

	byName map[string]Receiver
	geo    *geo.Table
}

// Route is one node of the routing tree. Each matcher lists accepted
// values; an empty matcher accepts anything; all non-empty matchers must
// accept the alert. Region matchers compare the alert's country's UN M49
// region, sub-region and intermediate region, and World Bank region, as
// in package geo.
type Route struct {
	Receiver           string            `json:"receiver"`
	Country            []string          `json:"country,omitempty"`
	Region             []string          `json:"region,omitempty"`
	Subregion          []string          `json:"subregion,omitempty"`
	IntermediateRegion []string          `json:"intermediate_region,omitempty"`
	WBRegion           []string          `json:"wb_region,omitempty"`
	Severity           []Severity        `json:"severity,omitempty"`
	Rule               []string          `json:"rule,omitempty"`
	Labels             map[string]string `json:"labels,omitempty"`
	Continue           bool              `json:"continue,omitempty"`
	Routes             []*Route          `json:"routes,omitempty"`
	Line               int               `json:"-"` // where the route starts in its file
}

// defaultRoutes is the routing table used when a deployment gives none.
//
//go:embed routes.yaml
var defaultRoutes []byte

// DefaultRoutesYAML returns the embedded default routing file, for
// deployments to copy and fill in.
func DefaultRoutesYAML() []byte { return slices.Clone(defaultRoutes) }

// DefaultRouting parses the embedded default routing table: one receiver
// per regional desk, without subscribers.
func DefaultRouting() (*Routing, error) {
	return ParseRoutes("routes.yaml (embedded)", defaultRoutes)
}

// ReadRoutes reads and parses the routing file at path.
func ReadRoutes(path string) (*Routing, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read routing file: %w", err)
	}
	return ParseRoutes(path, b)
}

// Receiver returns the receiver with the given name.
func (r *Routing) Receiver(name string) (Receiver, bool) {
	rc, ok := r.byName[name]
	return rc, ok
}

// Match returns the receivers a routes to, in tree order, each once.
func (r *Routing) Match(a Alert) []Receiver {
	c, _ := r.geo.Lookup(a.Country)
	var out []Receiver
	for _, rt := range r.Root.match(a, c) {
		rc := r.byName[rt.Receiver]
		if !slices.ContainsFunc(out, func(x Receiver) bool { return x.Name == rc.Name }) {
			out = append(out, rc)
		}
	}
	return out
}

// match returns the routes a ends at below and including rt, or nil if rt
// does not match a.
func (rt *Route) match(a Alert, c geo.Country) []*Route {
	if !rt.matches(a, c) {
		return nil
	}
	var out []*Route
	for _, child := range rt.Routes {
		m := child.match(a, c)
		if len(m) == 0 {
			continue
		}
		out = append(out, m...)
		if !child.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []*Route{rt}
	}
	return out
}

func (rt *Route) matches(a Alert, c geo.Country) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	if !in(rt.Country, a.Country) || !in(rt.Region, c.Region) || !in(rt.Subregion, c.Subregion) ||
		!in(rt.IntermediateRegion, c.IntermediateRegion) || !in(rt.WBRegion, c.WBRegion) || !in(rt.Rule, a.Rule) {
		return false
	}
	if len(rt.Severity) > 0 && !slices.Contains(rt.Severity, a.Severity) {
		return false
	}
	for k, v := range rt.Labels {
		if got, ok := a.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// ParseError is one problem in a routing file, at a line, under a field
// path such as route.routes[2].severity.
type ParseError struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Path, e.Msg)
}

// ParseRoutes parses a routing file (YAML) named name, for messages:
//
//	receivers:
//	  - name: africa-west-desk
//	    webhooks: [{url: https://example.org/hook, secret_env: WEST_DESK_SECRET}]
//	    emails: [west-desk@example.org]
//	route:
//	  receiver: global-desk        # the root: no matchers
//	  routes:
//	    - receiver: africa-west-desk
//	      intermediate_region: Western Africa
//	    - receiver: americas-desk
//	      region: Americas
//	      severity: [warning, critical]
//
// Matchers take one value or a list: country (ISO alpha-3), region,
// subregion, intermediate_region, wb_region (names as in package geo),
// severity, rule; labels takes a map. Unknown fields, unknown receivers,
// countries and region names, and bad webhook URLs are errors; every
// problem found is reported, each as a *ParseError with its line and
// field path, joined with errors.Join.
func ParseRoutes(name string, data []byte) (*Routing, error) {
	g, err := geo.Load()
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &routeParser{file: name, geo: g, regions: knownRegions(g)}
	r := &Routing{Name: name, byName: map[string]Receiver{}, geo: g}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorf(&doc, "", "empty routing file: want receivers and route")
		return nil, errors.Join(p.errs...)
	}
	top := doc.Content[0]
	fields := p.mapping(top, "", "receivers", "route")
	if n := fields["receivers"]; n == nil {
		p.errorf(top, "receivers", "required")
	} else {
		r.Receivers = p.receivers(n, "receivers")
	}
	for _, rc := range r.Receivers {
		r.byName[rc.Name] = rc
	}
	if n := fields["route"]; n == nil {
		p.errorf(top, "route", "required")
	} else {
		r.Root = p.route(n, "route", nil)
		if r.Root != nil {
			if r.Root.Receiver == "" {
				p.errorf(n, "route.receiver", "the root route needs a receiver: the catch-all for alerts no other route takes")
			}
			if r.Root.hasMatchers() {
				p.errorf(n, "route", "the root route matches every alert; put matchers on its child routes")
			}
			if r.Root.Continue {
				p.errorf(n, "route.continue", "the root route has no siblings to continue to")
			}
			p.checkReceivers(r.Root, "route", "", r.byName)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return r, nil
}

func (rt *Route) hasMatchers() bool {
	return len(rt.Country)+len(rt.Region)+len(rt.Subregion)+len(rt.IntermediateRegion)+len(rt.WBRegion)+
		len(rt.Severity)+len(rt.Rule)+len(rt.Labels) > 0
}

// regionSets are the region names the geo table knows, by matcher.
type regionSets map[string]map[string]bool

func knownRegions(g *geo.Table) regionSets {
	rs := regionSets{"region": {}, "subregion": {}, "intermediate_region": {}, "wb_region": {}}
	for _, c := range g.Countries() {
		for k, v := range map[string]string{"region": c.Region, "subregion": c.Subregion,
			"intermediate_region": c.IntermediateRegion, "wb_region": c.WBRegion} {
			if v != "" {
				rs[k][v] = true
			}
		}
	}
	return rs
}

type routeParser struct {
	file    string
	geo     *geo.Table
	regions regionSets
	errs    []error
}

func (p *routeParser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{File: p.file, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// mapping returns the fields of a mapping node by key, reporting unknown
// and repeated keys.
func (p *routeParser) mapping(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping, got %s", kindName(n))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		switch {
		case !slices.Contains(known, k.Value):
			p.errorf(k, kp, "unknown field (known: %s)", strings.Join(known, ", "))
		case out[k.Value] != nil:
			p.errorf(k, kp, "repeated field")
		default:
			out[k.Value] = v
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (p *routeParser) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, path, "want a string, got %s", kindName(n))
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// strs reads one string or a list of strings.
func (p *routeParser) strs(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode {
		if s := p.str(n, path); s != "" {
			return []string{s}
		}
		p.errorf(n, path, "empty value")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "want a string or a list of strings, got %s", kindName(n))
		return nil
	}
	var out []string
	for i, c := range n.Content {
		if s := p.str(c, fmt.Sprintf("%s[%d]", path, i)); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		p.errorf(n, path, "empty list")
	}
	return out
}

var (
	receiverName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *routeParser) receivers(n *yaml.Node, path string) []Receiver {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "want a list of receivers, got %s", kindName(n))
		return nil
	}
	var out []Receiver
	seen := map[string]bool{}
	for i, rn := range n.Content {
		rp := fmt.Sprintf("%s[%d]", path, i)
		f := p.mapping(rn, rp, "name", "webhooks", "emails")
		var rc Receiver
		if f["name"] == nil {
			p.errorf(rn, rp+".name", "required")
		} else if rc.Name = p.str(f["name"], rp+".name"); !receiverName.MatchString(rc.Name) {
			p.errorf(f["name"], rp+".name", "%q: want lower-case letters, digits, '.', '_' and '-'", rc.Name)
		} else if seen[rc.Name] {
			p.errorf(f["name"], rp+".name", "receiver %q defined twice", rc.Name)
		}
		seen[rc.Name] = true
		if wn := f["webhooks"]; wn != nil {
			if wn.Kind != yaml.SequenceNode {
				p.errorf(wn, rp+".webhooks", "want a list, got %s", kindName(wn))
			} else {
				for j, w := range wn.Content {
					wp := fmt.Sprintf("%s.webhooks[%d]", rp, j)
					wf := p.mapping(w, wp, "url", "secret_env")
					var hook Webhook
					if wf["url"] == nil {
						p.errorf(w, wp+".url", "required")
					} else {
						hook.URL = p.str(wf["url"], wp+".url")
						if u, err := url.Parse(hook.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
							p.errorf(wf["url"], wp+".url", "%q is not an http or https URL", hook.URL)
						}
					}
					if sn := wf["secret_env"]; sn != nil {
						hook.SecretEnv = p.str(sn, wp+".secret_env")
						if !envName.MatchString(hook.SecretEnv) {
							p.errorf(sn, wp+".secret_env", "%q is not an environment variable name (the secret itself never goes in this file)", hook.SecretEnv)
						}
					}
					rc.Webhooks = append(rc.Webhooks, hook)
				}
			}
		}
		if en := f["emails"]; en != nil {
			for j, e := range p.strs(en, rp+".emails") {
				if a, err := mail.ParseAddress(e); err != nil || a.Name != "" {
					line := en
					if en.Kind == yaml.SequenceNode && j < len(en.Content) {
						line = en.Content[j]
					}
					p.errorf(line, fmt.Sprintf("%s.emails[%d]", rp, j), "%q is not an email address", e)
					continue
				}
				rc.Emails = append(rc.Emails, e)
			}
		}
		out = append(out, rc)
	}
	return out
}

// maxRouteDepth bounds the routing tree, so a hostile file cannot
// exhaust the stack.
const maxRouteDepth = 16

func (p *routeParser) route(n *yaml.Node, path string, parent *Route) *Route {
	if depth := strings.Count(path, ".routes["); depth > maxRouteDepth {
		p.errorf(n, path, "routes nested deeper than %d", maxRouteDepth)
		return nil
	}
	f := p.mapping(n, path, "receiver", "country", "region", "subregion", "intermediate_region", "wb_region",
		"severity", "rule", "labels", "continue", "routes")
	rt := &Route{Line: n.Line}
	if parent != nil {
		rt.Receiver = parent.Receiver
	}
	if v := f["receiver"]; v != nil {
		rt.Receiver = p.str(v, join(path, "receiver"))
	}
	if v := f["country"]; v != nil {
		for i, c := range p.strs(v, join(path, "country")) {
			up := strings.ToUpper(c)
			if _, ok := p.geo.Lookup(up); !ok || len(up) != 3 {
				p.errorf(v, fmt.Sprintf("%s.country[%d]", path, i), "%q is not an ISO 3166-1 alpha-3 code in the country table", c)
				continue
			}
			rt.Country = append(rt.Country, up)
		}
	}
	for _, m := range []struct {
		key string
		dst *[]string
	}{{"region", &rt.Region}, {"subregion", &rt.Subregion}, {"intermediate_region", &rt.IntermediateRegion}, {"wb_region", &rt.WBRegion}} {
		key, dst := m.key, m.dst
		v := f[key]
		if v == nil {
			continue
		}
		for i, s := range p.strs(v, join(path, key)) {
			if !p.regions[key][s] {
				p.errorf(v, fmt.Sprintf("%s.%s[%d]", path, key, i), "unknown %s %q (known: %s)", key, s, strings.Join(sortedKeys(p.regions[key]), ", "))
				continue
			}
			*dst = append(*dst, s)
		}
	}
	if v := f["severity"]; v != nil {
		for i, s := range p.strs(v, join(path, "severity")) {
			sev, err := ParseSeverity(s)
			if err != nil {
				p.errorf(v, fmt.Sprintf("%s.severity[%d]", path, i), "%v", err)
				continue
			}
			rt.Severity = append(rt.Severity, sev)
		}
	}
	if v := f["rule"]; v != nil {
		rt.Rule = p.strs(v, join(path, "rule"))
	}
	if v := f["labels"]; v != nil {
		if v.Kind != yaml.MappingNode {
			p.errorf(v, join(path, "labels"), "want a mapping of label names to values, got %s", kindName(v))
		} else {
			rt.Labels = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k := v.Content[i].Value
				rt.Labels[k] = p.str(v.Content[i+1], join(path, "labels."+k))
			}
		}
	}
	if v := f["continue"]; v != nil {
		b, err := strconv.ParseBool(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil {
			p.errorf(v, join(path, "continue"), "want true or false, got %q", v.Value)
		}
		rt.Continue = b
	}
	if v := f["routes"]; v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errorf(v, join(path, "routes"), "want a list of routes, got %s", kindName(v))
		} else {
			for i, c := range v.Content {
				if child := p.route(c, fmt.Sprintf("%s.routes[%d]", path, i), rt); child != nil {
					rt.Routes = append(rt.Routes, child)
				}
			}
		}
	}
	return rt
}

// checkReceivers reports routes whose receiver is not defined.
// An inherited receiver is reported once, where it is named.
func (p *routeParser) checkReceivers(rt *Route, path, inherited string, byName map[string]Receiver) {
	if _, ok := byName[rt.Receiver]; !ok && rt.Receiver != "" && rt.Receiver != inherited {
		p.errs = append(p.errs, &ParseError{File: p.file, Line: rt.Line, Path: join(path, "receiver"),
			Msg: fmt.Sprintf("unknown receiver %q (define it under receivers)", rt.Receiver)})
	}
	for i, c := range rt.Routes {
		p.checkReceivers(c, fmt.Sprintf("%s.routes[%d]", path, i), rt.Receiver, byName)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
