package geo_test

import (
	"errors"
	"fmt"
	"time"

	"threshold/internal/geo"
)

func Example() {
	tb, err := geo.Load()
	if err != nil {
		panic(err)
	}
	// The same country as four sources write it.
	byGW, _ := tb.FromGW(490, time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)) // UCDP country_id
	byName, _ := tb.FromName("DR Congo (Zaire)")                           // UCDP country
	byFIPS, _ := tb.FromFIPS("CG")                                         // GDELT ActionGeo_CountryCode
	byISO, _ := tb.FromISONumeric(180)                                     // ACLED iso
	c, _ := tb.Lookup(byGW)
	fmt.Println(byGW, byName, byFIPS, byISO, c.Name)
	// Output: COD COD COD COD Congo - Kinshasa
}

func ExampleTable_FromGW() {
	tb, err := geo.Load()
	if err != nil {
		panic(err)
	}
	for _, on := range []string{"2011-07-08", "2011-07-09"} {
		d, _ := time.Parse(time.DateOnly, on)
		iso3, err := tb.FromGW(626, d)
		fmt.Println(on, iso3, errors.Is(err, geo.ErrNoStateOnDate))
	}
	// Output:
	// 2011-07-08  true
	// 2011-07-09 SSD false
}

func ExampleTable_FromFIPS() {
	tb, err := geo.Load()
	if err != nil {
		panic(err)
	}
	for _, code := range []string{"SU", "OD", "NI", "NG", "OS"} {
		iso3, err := tb.FromFIPS(code)
		fmt.Println(code, iso3, err)
	}
	// Output:
	// SU SDN <nil>
	// OD SSD <nil>
	// NI NGA <nil>
	// NG NER <nil>
	// OS  FIPS code "OS": unknown country
}
