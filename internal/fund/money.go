package fund

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxMinor bounds any one amount, in minor units (10^15: ten trillion
// dollars), so that sums of many amounts stay far inside int64.
const MaxMinor = 1_000_000_000_000_000

// exponents are the ISO 4217 minor-unit exponents of the currencies the
// fund accepts: the major donor currencies and those of places where
// payments are commonly made.
var exponents = map[string]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "JPY": 0, "CAD": 2, "AUD": 2, "NZD": 2,
	"NOK": 2, "SEK": 2, "DKK": 2, "CNY": 2, "KRW": 0, "QAR": 2, "AED": 2, "SAR": 2,
	"KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
	"XOF": 0, "XAF": 0, "KES": 2, "ETB": 2, "NGN": 2, "ZAR": 2, "UGX": 0, "RWF": 0,
	"CDF": 2, "SDG": 2, "SSP": 2, "SOS": 2, "EGP": 2, "MAD": 2, "GHS": 2, "TZS": 2,
	"COP": 2, "MXN": 2, "BRL": 2, "VES": 2, "HTG": 2, "INR": 2, "PKR": 2, "AFN": 2,
	"MMK": 2, "IDR": 2, "PHP": 2, "UAH": 2, "GEL": 2, "AMD": 2, "AZN": 2, "TRY": 2,
	"LBP": 2, "SYP": 2, "YER": 2, "ILS": 2, "RUB": 2,
}

// Exponent returns the ISO 4217 minor-unit exponent of currency (2 for
// USD: cents) and whether the fund accepts it.
func Exponent(currency string) (int, bool) {
	e, ok := exponents[currency]
	return e, ok
}

// FieldError is bad input, naming the field at fault.
type FieldError struct {
	Field string
	Value string
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Msg)
}

// Is makes a FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// CheckCurrency refuses a code the fund does not accept.
func CheckCurrency(field, currency string) error {
	if _, ok := exponents[currency]; !ok {
		return &FieldError{field, currency, "not an ISO 4217 currency code the fund accepts (upper case, e.g. USD)"}
	}
	return nil
}

// ParseAmount parses a positive decimal amount of currency, given as a
// string such as "1250.50", into minor units. It is strict: digits with
// at most one point, no sign, exponent, grouping or spaces, no leading
// zeros, no more decimals than the currency has (two for USD, none for
// JPY), above zero and at most MaxMinor minor units. Errors name field.
func ParseAmount(field, s, currency string) (int64, error) {
	exp, ok := exponents[currency]
	if !ok {
		return 0, CheckCurrency("currency", currency)
	}
	bad := func(msg string) (int64, error) { return 0, &FieldError{field, s, msg} }
	if s == "" {
		return bad("required: a decimal string such as \"100.00\"")
	}
	if len(s) > 40 {
		return bad("too long")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" {
		return bad("needs a digit before the decimal point")
	}
	if hasPoint && frac == "" {
		return bad("needs a digit after the decimal point")
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad("not a decimal number: only digits and one decimal point (no sign, exponent, spaces or grouping)")
			}
		}
	}
	if len(whole) > 1 && whole[0] == '0' {
		return bad("leading zeros")
	}
	if len(frac) > exp {
		return bad(fmt.Sprintf("%s has %d decimal places", currency, exp))
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return bad("must be more than zero")
	}
	if len(digits) > 16 {
		return bad("too large")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > MaxMinor {
		return bad("too large")
	}
	return n, nil
}

// FormatAmount writes minor units of currency as a decimal string with
// the currency's decimals: 125050 USD is "1250.50", -5 USD "-0.05".
func FormatAmount(minor int64, currency string) string {
	exp := exponents[currency]
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor)
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseRate parses an exchange rate: how many units of the reporting
// currency one unit of the entry's currency buys, as a positive decimal
// string with at most 12 decimals ("1.0825"). It returns the rate in
// canonical form (no trailing zeros) and as an exact rational.
func ParseRate(field, s string) (string, *big.Rat, error) {
	bad := func(msg string) (string, *big.Rat, error) { return "", nil, &FieldError{field, s, msg} }
	if s == "" {
		return bad("required: a decimal string such as \"1.0825\"")
	}
	if len(s) > 30 {
		return bad("too long")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return bad("not a decimal number")
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad("not a decimal number: only digits and one decimal point")
			}
		}
	}
	if len(whole) > 1 && whole[0] == '0' {
		return bad("leading zeros")
	}
	if len(frac) > 12 {
		return bad("at most 12 decimal places")
	}
	if len(whole) > 12 {
		return bad("too large")
	}
	frac = strings.TrimRight(frac, "0")
	canon := whole
	if frac != "" {
		canon += "." + frac
	}
	r, ok := new(big.Rat).SetString(canon)
	if !ok {
		return bad("not a decimal number")
	}
	if r.Sign() <= 0 {
		return bad("must be more than zero")
	}
	return canon, r, nil
}

// Convert values minor units of currency in the reporting currency at
// rate (reporting units per unit), in the reporting currency's minor
// units, rounded half to even.
func Convert(minor int64, currency string, rate *big.Rat, reporting string) int64 {
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(minor), rate)
	shift := exponents[reporting] - exponents[currency]
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(shift))), nil))
	if shift >= 0 {
		v.Mul(v, p)
	} else {
		v.Quo(v, p)
	}
	return roundHalfEven(v)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func roundHalfEven(v *big.Rat) int64 {
	num, den := v.Num(), v.Denom()
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncates toward zero
	twice := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2))
	switch twice.Cmp(den) {
	case 1:
		q.Add(q, big.NewInt(int64(num.Sign())))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(int64(num.Sign())))
		}
	}
	return q.Int64()
}
