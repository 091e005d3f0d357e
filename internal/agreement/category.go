package agreement

// Category is a kind of provision, as the UCDP Peace Agreement Dataset
// codebook (v22.1) names its provision flags.
type Category struct {
	Code  string // the dataset's column, and the provision's category
	Label string // the codebook's meaning
	Group string // military, political, territorial, justice, implementation
	// Summary: a flag that is 1 when any provision of its group is; it
	// becomes a provision only when no specific flag of the group is set.
	Summary bool
}

// Categories lists the provision flags of the UCDP Peace Agreement
// Dataset that become provisions, in the dataset's column order. reaffirm
// is left out: it says the agreement reaffirms an earlier one. Codes are
// the dataset's column names verbatim (with "ref " and "return " trimmed);
// labels are short paraphrases of the codebook's descriptions, written
// without the codebook at hand (SOURCE.md lists the columns only): the
// codebook's wording decides what a flag means.
func Categories() []Category {
	return []Category{
		{Code: "cease", Label: "Ceasefire", Group: "military"},
		{Code: "intarmy", Label: "Integration of rebels into the army", Group: "military"},
		{Code: "ddr", Label: "Disarmament, demobilisation and reintegration (DDR)", Group: "military"},
		{Code: "withd", Label: "Withdrawal of foreign forces", Group: "military"},
		{Code: "mil_prov", Label: "Military provisions", Group: "military", Summary: true},
		{Code: "pp", Label: "Political power-sharing", Group: "political"},
		{Code: "intgov", Label: "Integration of rebels into government", Group: "political"},
		{Code: "intciv", Label: "Integration into the civil service", Group: "political"},
		{Code: "elections", Label: "Elections", Group: "political"},
		{Code: "interim", Label: "Interim government", Group: "political"},
		{Code: "natalks", Label: "National talks", Group: "political"},
		{Code: "shagov", Label: "Shared transitional government", Group: "political"},
		{Code: "pol_prov", Label: "Political provisions", Group: "political", Summary: true},
		{Code: "aut", Label: "Autonomy", Group: "territorial"},
		{Code: "fed", Label: "Federalism", Group: "territorial"},
		{Code: "ind", Label: "Independence", Group: "territorial"},
		{Code: "ref", Label: "Referendum", Group: "territorial"},
		{Code: "shaloc", Label: "Local power-sharing", Group: "territorial"},
		{Code: "regdev", Label: "Regional development", Group: "territorial"},
		{Code: "cul", Label: "Cultural freedoms", Group: "territorial"},
		{Code: "demarcation", Label: "Border demarcation", Group: "territorial"},
		{Code: "locgov", Label: "Local government", Group: "territorial"},
		{Code: "terr_prov", Label: "Territorial provisions", Group: "territorial", Summary: true},
		{Code: "amn", Label: "Amnesty", Group: "justice"},
		{Code: "pris", Label: "Release of prisoners", Group: "justice"},
		{Code: "recon", Label: "Reconciliation", Group: "justice"},
		{Code: "return", Label: "Return of refugees and displaced persons", Group: "justice"},
		{Code: "justice_prov", Label: "Justice provisions", Group: "justice", Summary: true},
		{Code: "outlin", Label: "Process for future negotiations", Group: "implementation"},
		{Code: "pko", Label: "Peacekeeping operation", Group: "implementation"},
		{Code: "gender", Label: "Gender provisions", Group: "implementation"},
		{Code: "co_impl", Label: "Commission or committee to implement the agreement", Group: "implementation"},
	}
}

// CategoryOf returns the category with code.
func CategoryOf(code string) (Category, bool) {
	for _, c := range Categories() {
		if c.Code == code {
			return c, true
		}
	}
	return Category{}, false
}
