package panel

// The wide layouts. SOURCE.md in each folder of the shared data describes
// the files; variable names are the files' own, lower-cased.

var ewpBase = wide{
	name: "ewp-base", dataset: "ewp-base", scheme: EWP,
	description: "Early Warning Project base data: country-years with mass-killing onsets, offsets and ongoing episodes (basedata2025_*.csv)",
	code:        "ccode", year: "year",
	ids:     []string{"", "country", "ewp_name"},
	require: []string{"mk_onset", "mk_ongoing_code", "datastartyear"},
	roles: map[string]Role{
		"mk_onset": Outcome, "mk_onset_count": Outcome,
		"mk_offset": Outcome, "mk_offset_count": Outcome,
		// The last year of the country's data (1989, 1992, 1975 for
		// states that ended, else 2024): known only once it ends.
		"dataendyear": FutureOutcome,
	},
	text: []string{"mk_ongoing_code", "mk_ethnicflag"},
	descriptions: map[string]string{
		"mk_onset":         "1 if a new state-led or non-state-led mass killing episode (1,000+ civilians deliberately killed in a year or less) began in the country this year",
		"mk_onset_count":   "number of episodes that began this year",
		"mk_ongoing":       "1 if an episode was ongoing this year",
		"mk_ongoing_count": "number of episodes ongoing this year",
		"mk_ongoing_code":  "EWP's codes of the ongoing episodes, '; '-separated",
		"dataendyear":      "last year of the country's data: a state's end, known only once it comes; never a feature",
	},
}

var ewpPredictors = wide{
	name: "ewp-predictors", dataset: "ewp-predictors", scheme: EWP,
	description: "Early Warning Project prepared predictors with outcomes (prepared*predictors-*.csv)",
	code:        "ccode", year: "year",
	ids:     []string{"", "ewp_name"},
	require: []string{"mk_onset_1or2", "widetargeting"},
	roles: map[string]Role{
		"mk_onset":      Outcome,
		"mk_onset_1":    FutureOutcome,
		"mk_onset_2":    FutureOutcome,
		"mk_onset_1or2": FutureOutcome,
	},
	descriptions: map[string]string{
		"mk_onset":      "1 if a mass killing began this year",
		"mk_onset_1":    "1 if a mass killing began the next year: a future outcome, never a feature",
		"mk_onset_2":    "1 if a mass killing began two years later: a future outcome, never a feature",
		"mk_onset_1or2": "1 if a mass killing began in either of the next two years: a future outcome, never a feature",
	},
}

var ewpFOOS = wide{
	name: "ewp-foos", dataset: "ewp-foos", scheme: EWP,
	description: "Early Warning Project fully out-of-sample forecasts with realised outcomes, by outcome year (FOOSforecasts_*.csv)",
	code:        "ccode", year: "year",
	// prev_year and two_years_prior are year-1 and year-2.
	ids:     []string{"", "ewp_name", "prev_year", "two_years_prior"},
	require: []string{"risk_prev", "mk_onset"},
	roles: map[string]Role{
		"mk_onset":             Outcome,
		"risk_prev":            Forecast,
		"rank_prev":            Forecast,
		"risk_two_years_prior": Forecast,
		"rank_two_years_prior": Forecast,
		"maxrisk2":             Forecast,
		"minrank2":             Forecast,
	},
	descriptions: map[string]string{
		"mk_onset":             "1 if a mass killing began this year (the realised outcome)",
		"risk_prev":            "EWP's forecast, made from the previous year's data, of an onset this year",
		"risk_two_years_prior": "EWP's forecast made from data two years before",
	},
}

var ptCoups = wide{
	name: "pt-coups", dataset: "pt-coups", scheme: GW,
	description: "Powell & Thyne coup attempts per Gleditsch-Ward country-year (ptcoups_gw_country_year.csv)",
	code:        "gwcode", year: "year",
	require: []string{"pt_attempt", "pt_coup"},
}

var ewpCoups = wide{
	name: "ewp-coups", dataset: "ewp-coups", scheme: EWP,
	description: "Early Warning Project coup-attempt indicator per country-year (all-coups.csv)",
	code:        "ccode", year: "year",
	ids:     []string{"country"},
	require: []string{"cou.any"},
}

var population = wide{
	name: "population", dataset: "population", scheme: GW,
	description: "population per Gleditsch-Ward country-year, thousands (population_gw_year.csv)",
	code:        "gwcode", year: "year",
	require:      []string{"pop"},
	descriptions: map[string]string{"pop": "population, thousands"},
}

var gdp = wide{
	name: "gdp", dataset: "gdp", scheme: GW,
	description: "GDP and GDP per capita (WDI, gaps filled) per Gleditsch-Ward country-year (gdp_gw_year.csv)",
	code:        "gwcode", year: "year",
	require: []string{"ny.gdp.mktp.kd"},
}

var infmort = wide{
	name: "infmort", dataset: "infmort", scheme: GW,
	description: "infant mortality per 1,000 live births (WDI) per Gleditsch-Ward country-year (wdi_infmort_gw_year.csv)",
	code:        "gwcode", year: "year",
	require: []string{"infmort"},
}

var ewpWDI = wide{
	name: "ewp-wdi", dataset: "ewp-wdi", scheme: EWP,
	description: "World Development Indicators as the Early Warning Project pulled them (wdi.csv)",
	code:        "ccode", year: "year", iso3: "iso3c",
	ids:     []string{"country", "iso2c"},
	require: []string{"iso3c", "wdi.gdppc.new"},
}
