package roster

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/casework"
	"threshold/internal/geo"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound: no such person or deployment, or one the viewer may
	// not know of. The two are deliberately indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a request is incomplete or malformed.
	ErrInvalid = errors.New("invalid roster record")
	// ErrForbidden: the viewer sees the record but may not change it.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: someone else changed the record at the same time.
	ErrConflict = errors.New("concurrent change")
	// ErrDoubleBooked: the person is already held by another deployment
	// in an overlapping window.
	ErrDoubleBooked = errors.New("double-booked")
	// ErrUnavailable: the person has recorded themselves unavailable in
	// the window.
	ErrUnavailable = errors.New("unavailable")
	// ErrInvalidTransition: the deployment's status does not allow it.
	ErrInvalidTransition = errors.New("invalid deployment status change")
)

// Kind is what a person on the roster is.
type Kind string

// The kinds.
const (
	Envoy           Kind = "envoy"
	MediationExpert Kind = "mediation-expert"
	SupportStaff    Kind = "support-staff"
)

// Kinds lists the kinds.
func Kinds() []Kind { return []Kind{Envoy, MediationExpert, SupportStaff} }

// Area is an area of expertise.
type Area string

// The expertise areas of the UN standby team of mediation advisers.
const (
	ProcessDesign        Area = "process-design"
	PowerSharing         Area = "power-sharing"
	ConstitutionMaking   Area = "constitution-making"
	SecurityArrangements Area = "security-arrangements" // and ceasefires
	NaturalResources     Area = "natural-resources"     // and water
	GenderInclusion      Area = "gender-inclusion"
	Elections            Area = "elections"
	TransitionalJustice  Area = "transitional-justice"
)

// Areas lists the expertise areas; their order indexes Index's arrays.
func Areas() []Area {
	return []Area{ProcessDesign, PowerSharing, ConstitutionMaking, SecurityArrangements, NaturalResources,
		GenderInclusion, Elections, TransitionalJustice}
}

func areaIndex(a Area) int { return slices.Index(Areas(), a) }

// ParseArea parses an area name; spaces and underscores may stand for
// hyphens.
func ParseArea(s string) (Area, error) {
	a := Area(normalise(s))
	if areaIndex(a) < 0 {
		return "", fmt.Errorf("%w: unknown expertise area %q (want %s)", ErrInvalid, s, joinAreas())
	}
	return a, nil
}

func joinAreas() string {
	var b []string
	for _, a := range Areas() {
		b = append(b, string(a))
	}
	return strings.Join(b, ", ")
}

// Expertise is an area with a level: 1 working knowledge, 2 experienced,
// 3 leading expert.
type Expertise struct {
	Area  Area `json:"area"`
	Level int  `json:"level" minimum:"1" maximum:"3"`
}

// ParseExpertise parses "area" (level 2) or "area:level".
func ParseExpertise(s string) (Expertise, error) {
	name, lv, has := strings.Cut(s, ":")
	a, err := ParseArea(name)
	if err != nil {
		return Expertise{}, err
	}
	e := Expertise{Area: a, Level: 2}
	if has {
		n, err := strconv.Atoi(strings.TrimSpace(lv))
		if err != nil || n < 1 || n > 3 {
			return Expertise{}, fmt.Errorf("%w: expertise %q: level %q is not 1, 2 or 3", ErrInvalid, s, lv)
		}
		e.Level = n
	}
	return e, nil
}

// Level is a language level on the CEFR scale, or native.
type Level string

// The levels, lowest first.
const (
	A1     Level = "A1"
	A2     Level = "A2"
	B1     Level = "B1"
	B2     Level = "B2"
	C1     Level = "C1"
	C2     Level = "C2"
	Native Level = "native"
)

// Levels lists the language levels, lowest first.
func Levels() []Level { return []Level{A1, A2, B1, B2, C1, C2, Native} }

// Rank is the level's place on the scale, 1 (A1) to 7 (native); 0 for
// an unknown level.
func (l Level) Rank() int { return slices.Index(Levels(), l) + 1 }

// credit is how much a level counts towards working in a language.
func (l Level) credit() float64 {
	switch r := l.Rank(); {
	case r >= C1.Rank():
		return 1
	case r == B2.Rank():
		return 0.75
	case r == B1.Rank():
		return 0.5
	case r > 0:
		return 0.25
	}
	return 0
}

// Language is a language (ISO 639-1 code, lower case) with a level.
type Language struct {
	Code  string `json:"code" pattern:"^[a-z]{2,3}$"`
	Level Level  `json:"level" enum:"A1,A2,B1,B2,C1,C2,native"`
}

// ParseLanguage parses "fr" (level C1) or "fr:B2".
func ParseLanguage(s string) (Language, error) {
	code, lv, has := strings.Cut(strings.TrimSpace(s), ":")
	code = strings.ToLower(strings.TrimSpace(code))
	if n := len(code); n < 2 || n > 3 || strings.IndexFunc(code, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return Language{}, fmt.Errorf("%w: language %q: %q is not an ISO 639 code such as fr or ar", ErrInvalid, s, code)
	}
	l := Language{Code: code, Level: C1}
	if has {
		lv = strings.TrimSpace(lv)
		if strings.EqualFold(lv, "native") {
			l.Level = Native
		} else {
			l.Level = Level(strings.ToUpper(lv))
		}
		if l.Level.Rank() == 0 {
			return Language{}, fmt.Errorf("%w: language %q: level %q is not A1, A2, B1, B2, C1, C2 or native", ErrInvalid, s, lv)
		}
	}
	return l, nil
}

// Contract is how a person is engaged.
type Contract string

// The contract types.
const (
	StaffContract Contract = "staff"
	Standby       Contract = "standby" // standby team: deployable within 72 hours
	Consultant    Contract = "consultant"
	Secondment    Contract = "secondment"
	ProBono       Contract = "pro-bono"
)

// Contracts lists the contract types.
func Contracts() []Contract {
	return []Contract{StaffContract, Standby, Consultant, Secondment, ProBono}
}

// Period is a span of days, first and last included, in which a person is
// unavailable.
type Period struct {
	ID         int64     `json:"id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Note       string    `json:"note"`
	RecordedBy string    `json:"recorded_by"`
}

// overlaps reports whether p shares a day with [start, end].
func overlaps(aStart, aEnd, bStart, bEnd time.Time) bool {
	return !aStart.After(bEnd) && !bStart.After(aEnd)
}

// Person is one person on the roster.
type Person struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Email     string      `json:"email"` // lower-case; "" if they have no account
	Kind      Kind        `json:"kind"`
	OrgID     int64       `json:"-"`
	Org       string      `json:"organisation"`
	Expertise []Expertise `json:"expertise"`
	Languages []Language  `json:"languages"`
	Countries []string    `json:"countries"`
	// Regions are the UN M49 regions and sub-regions the person knows:
	// those of their countries and any named outright.
	Regions   []string                 `json:"regions"`
	Clearance casework.Confidentiality `json:"clearance"`
	Contract  Contract                 `json:"contract"`
	Notes     string                   `json:"notes"`
	CreatedBy string                   `json:"created_by"`
	CreatedAt time.Time                `json:"created_at"`
	UpdatedAt time.Time                `json:"updated_at"`
	Version   int64                    `json:"version"`
	// Unavailable and Deployments (newest first) are filled when one
	// record is read, and for matching.
	Unavailable []Period     `json:"unavailable,omitempty"`
	Deployments []Deployment `json:"deployments,omitempty"`
}

// Level returns the person's level in area, 0 if they lack it.
func (p Person) Level(a Area) int {
	for _, e := range p.Expertise {
		if e.Area == a {
			return e.Level
		}
	}
	return 0
}

// Normalize checks p and puts it in canonical form: trimmed and
// lower-cased where it matters, lists sorted and deduplicated, regions
// completed from the countries. g is the country table.
func (p *Person) Normalize(g *geo.Table) error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...))
	}
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 200 {
		bad("name: must be 1 to 200 characters")
	}
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			bad("email: %q is not an email address", p.Email)
		}
	}
	if p.Kind == "" {
		p.Kind = MediationExpert
	}
	if !slices.Contains(Kinds(), p.Kind) {
		bad("kind: %q is not envoy, mediation-expert or support-staff", p.Kind)
	}
	if p.Contract == "" {
		p.Contract = Consultant
	}
	if !slices.Contains(Contracts(), p.Contract) {
		bad("contract: %q is not staff, standby, consultant, secondment or pro-bono", p.Contract)
	}
	if p.Clearance == "" {
		p.Clearance = casework.Internal
	}
	if !slices.Contains(casework.Levels(), p.Clearance) {
		bad("clearance: %q is not public, internal, confidential or strictly-confidential", p.Clearance)
	}
	seen := map[Area]bool{}
	for i, e := range p.Expertise {
		if areaIndex(e.Area) < 0 {
			bad("expertise[%d]: unknown area %q (want %s)", i, e.Area, joinAreas())
		} else if e.Level < 1 || e.Level > 3 {
			bad("expertise[%d]: %s level %d is not 1, 2 or 3", i, e.Area, e.Level)
		} else if seen[e.Area] {
			bad("expertise[%d]: %s given twice", i, e.Area)
		}
		seen[e.Area] = true
	}
	slices.SortFunc(p.Expertise, func(a, b Expertise) int { return areaIndex(a.Area) - areaIndex(b.Area) })
	langs := map[string]bool{}
	for i := range p.Languages {
		l := &p.Languages[i]
		l.Code = strings.ToLower(strings.TrimSpace(l.Code))
		if _, err := ParseLanguage(l.Code); err != nil {
			bad("languages[%d]: %q is not an ISO 639 code", i, l.Code)
		} else if l.Level.Rank() == 0 {
			bad("languages[%d]: %s level %q is not A1, A2, B1, B2, C1, C2 or native", i, l.Code, l.Level)
		} else if langs[l.Code] {
			bad("languages[%d]: %s given twice", i, l.Code)
		}
		langs[l.Code] = true
	}
	slices.SortFunc(p.Languages, func(a, b Language) int { return strings.Compare(a.Code, b.Code) })
	regions := map[string]bool{}
	known := map[string]bool{}
	for _, c := range g.Countries() {
		known[c.Region], known[c.Subregion], known[c.IntermediateRegion] = true, true, true
	}
	for i, r := range p.Regions {
		r = strings.TrimSpace(r)
		if r == "" || !known[r] {
			bad("regions[%d]: %q is not a UN M49 region or sub-region (such as Africa or Western Africa)", i, r)
		}
		regions[r] = true
	}
	for i, cc := range p.Countries {
		cc = strings.ToUpper(strings.TrimSpace(cc))
		p.Countries[i] = cc
		if _, ok := g.Lookup(cc); !ok {
			bad("countries[%d]: %q is not a country code Threshold knows", i, cc)
		}
	}
	for r := range regionsOf(g, p.Countries) {
		regions[r] = true
	}
	slices.Sort(p.Countries)
	p.Countries = slices.Compact(p.Countries)
	p.Regions = p.Regions[:0]
	for r := range regions {
		p.Regions = append(p.Regions, r)
	}
	slices.Sort(p.Regions)
	if p.Expertise == nil {
		p.Expertise = []Expertise{}
	}
	if p.Languages == nil {
		p.Languages = []Language{}
	}
	if p.Countries == nil {
		p.Countries = []string{}
	}
	return errors.Join(errs...)
}

// regionsOf is the set of UN M49 regions, sub-regions and intermediate
// regions of countries.
func regionsOf(g *geo.Table, countries []string) map[string]bool {
	out := map[string]bool{}
	for _, cc := range countries {
		if c, ok := g.Lookup(cc); ok {
			for _, r := range []string{c.Region, c.Subregion, c.IntermediateRegion} {
				if r != "" {
					out[r] = true
				}
			}
		}
	}
	return out
}

func normalise(s string) string {
	return strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// Day is t's civil date (midnight UTC).
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
