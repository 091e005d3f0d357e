// Package geo is Threshold's spatial vocabulary: countries keyed by ISO
// 3166-1 alpha-3, and the resolution of every code scheme the event sources
// use (Gleditsch-Ward, Correlates of War, FIPS 10-4, ISO numeric, English
// names) onto it.
//
// # Conventions
//
// Every country is identified by its ISO 3166-1 alpha-3 code. Kosovo, which
// has no ISO code, is XKX, the user-assigned code the European Commission
// and the World Bank use.
//
// States that no longer exist resolve to the ISO code of the state that
// continues them, because ISO withdrew their own codes (YUG, SCG, YMD, DDR,
// SUN):
//
//   - Yugoslavia and Serbia and Montenegro (GW and COW 345, FIPS YI, "Serbia
//     (Yugoslavia)") are SRB, so a Serbia series runs through 2006 without a
//     break. Montenegro (341) and Kosovo (347) are separate only from their
//     independence (2006-06-03 and 2008-02-17 in GW).
//   - North Yemen (GW and COW 678) and South Yemen (680) are YEM, as is
//     unified Yemen (GW 678, COW 679 from 1990-05-22).
//   - The Soviet Union is RUS (365), both German states are DEU (GW 260 and
//     265, COW 255, 260 and 265), South Vietnam is VNM (817) and Zanzibar is
//     TZA (511).
//
// States that dissolved into several equals (Czechoslovakia, Austria-Hungary,
// the United Provinces of Central America) and nineteenth-century states
// absorbed before ISO existed (Bavaria, Tuscany, Transvaal ...), and Tibet,
// have no code here and resolve to ErrUnknown.
//
// Sudan (625, FIPS SU) is SDN for every date; its figures before 2011-07-09
// include the south. South Sudan (626, FIPS OD) is SSD and exists only from
// 2011-07-09: FromGW and FromCOW report ErrNoStateOnDate (which also matches
// ErrUnknown) for 626 before that date.
//
// FIPS 10-4 codes are read as GDELT writes them, not as ISO alpha-2 codes:
// CG is the Democratic Republic of the Congo (COD), CF the Republic of the
// Congo (COG), SU Sudan, RS Russia, NG Niger, NI Nigeria, GM Germany, AU
// Austria, CH China, UP Ukraine, KV Kosovo. GDELT's OS (oceans) is not a
// country and is left unknown.
//
// # Dates
//
// FromGW and FromCOW take the date the code is used for, read as a calendar
// date in its own location: a code resolves only on dates its state is in
// the state list (membership intervals from Gleditsch & Ward and COW, with
// "still a member at the end of the list" read as open-ended), and
// otherwise returns ErrNoStateOnDate. So GW 680 (South Yemen) fails after
// 1990-05-21, COW 255 (Germany) fails between 1945 and 1990, when COW uses
// 260 and 265. GW 345 stays valid after 2006-06-04 because UCDP keeps coding
// Serbia as 345. A zero time.Time skips the date check and gives the code's
// latest meaning.
//
// # Data
//
// The code table is generated from the countrycode concordance (Arel-Bundock
// et al. 2018) and the GW and COW state lists by internal/gentable and
// embedded; SOURCE.md lists its origin, licence and every manual override.
package geo

//go:generate go run ./internal/gentable -shared ../../../shared/data -out .
