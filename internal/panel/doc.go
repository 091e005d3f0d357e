// Package panel reads the published country-year datasets Threshold's
// forecasts are built on and hands their values to a Store: the Early
// Warning Project's base data, prepared predictors and fully out-of-sample
// forecasts, the UCDP/PRIO Armed Conflict Dataset, UCDP Battle-Related
// Deaths, the Powell & Thyne coups panels and the structural covariates
// (population, GDP, infant mortality, WDI). Read detects the format from a
// file's header; Formats lists them.
//
// # The long table
//
// Every value is one Value: (dataset, variable, country, year). A country is
// the source's own state number (Code, in the dataset's Scheme: Gleditsch-Ward,
// Correlates of War, or the Early Warning Project's COW-based ccode) with the
// ISO 3166-1 alpha-3 code it resolves to through the project's code table
// (package geo) beside it. The number is kept because ISO codes are coarser:
// both German states are DEU and both Yemens YEM before 1990.
//
// Datasets are named by format ("ewp-base", "pt-coups", "population") and,
// for UCDP, by release as well ("ucdp-acd-25.1"): UCDP revises earlier years
// between releases, and a conflict-year table read from one release must not
// be patched with another's rows.
//
// # Countries
//
// A state number resolves through geo for the year of its row: the state
// in the list on 1 July, else 31 December, else 1 January. Two fallbacks:
// a GW number the code table does not know is read as the COW number of
// the same state (Gleditsch's microstates carry their COW numbers: 54
// Dominica, 403 São Tomé and Príncipe), and a number whose state was not in
// the list that year resolves to its state's latest meaning, because WDI,
// EWP and UCDP record territories before independence under the later
// state's number (COW 702 Tajikistan in 1960, GW 540 Angola in 1961). A
// number the table does not know at all (Czechoslovakia, 315; Monaco, GW
// 221; Hyderabad, GW 751; nineteenth-century states) is a rejected row;
// WDI's regional aggregates (no number, ISO-like codes such as ARB) too.
//
// # Conflict-year and dyad-year sources
//
// ACD has one row per conflict and year; its gwno_loc lists the countries
// whose territory the conflict is fought on ("490, 516"). Read expands each
// row to its location countries and aggregates per country-year (see
// ACDVariables). BRD has one row per dyad and year; its battle deaths are
// summed per country of battle location, a dyad-year fought in several
// countries counted apart (see BRDVariables). Only country-years with at
// least one conflict appear; within the dataset's years, a missing
// country-year means none. Because a missing row would silently lower the
// aggregates, a bad row in these files refuses the whole file.
//
// # Roles
//
// Each variable has a Role. Outcome columns hold what happened in the
// row's own year (EWP's mk_onset, ACD's conflicts: what targets are built
// from; a lag of them may be a feature); FutureOutcome columns (the EWP predictors' mk_onset_1,
// mk_onset_2, mk_onset_1or2) what happened later, and Forecast columns
// (the FOOS file's risk_prev, ...) a published forecast. Feature code must
// refuse the last two as inputs: Role.Leaks reports them.
//
// # Integrity
//
// A row that cannot be read (wrong column count, a number that is not one,
// a year out of range, a country the code table does not know) becomes a
// Reject naming file, line, column and reason, and the rest of the file is
// stored; ACD and BRD files are refused instead (above), except for a
// location the code table does not know, which is left out of its row's
// list and noted as a partial reject. Importing the same
// file again changes nothing; a different file of the same dataset updates
// values whose content differs and keeps the replaced ones (the store's
// panel_value_versions).
package panel
