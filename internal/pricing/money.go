package pricing

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// HoursPerMonth is the month that projections use: 730 hours, which is
// 365 days x 24 hours / 12 months. AWS's own pricing pages and the AWS
// Pricing Calculator use the same convention, so a projected month here
// matches the figure a user sees on AWS's pages.
const HoursPerMonth = 730

// SecondsPerHour converts SageMaker's per-second billing to hourly prices.
const SecondsPerHour = 3600

// divisionPlaces is how many decimal places a division keeps (Money.MulRat):
// 12 places is a pico-dollar, so even a million rounded divisions move a
// total by less than a micro-dollar, far below the cent that users see.
const divisionPlaces = 12

// Money is an exact amount of US dollars.
//
// It wraps shopspring/decimal rather than integer micro-dollars because
// AWS publishes prices with up to 10 decimal places (the Price List API's
// pricePerUnit is "0.0500000000"; ml.p4d.24xlarge is 25.2512883 $/h), which
// micro-dollars would already round when the catalog is read. Addition and
// multiplication are exact; only MulRat divides, and it documents its
// rounding. This is also what infracost does. The zero value is $0.
type Money struct {
	d decimal.Decimal
}

// Zero is $0.
var Zero = Money{}

// ParseMoney reads a plain decimal amount of dollars such as "0.05",
// "25.2512883" or "0.0500000000", as found in the price CSVs and the Price
// List API. A leading "$" and thousands separators are accepted too.
func ParseMoney(s string) (Money, error) {
	t := strings.TrimSpace(s)
	t = strings.ReplaceAll(t, ",", "")
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	t = strings.TrimPrefix(t, "$")
	if t == "" || strings.ContainsAny(t, "eE+-") {
		return Money{}, fmt.Errorf("parse amount %q: not a plain decimal", s)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return Money{}, fmt.Errorf("parse amount %q: %w", s, err)
	}
	if neg {
		d = d.Neg()
	}
	return Money{d: d}, nil
}

// MustParseMoney is ParseMoney for constants in code and tests; it panics on
// a malformed amount.
func MustParseMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Dollars returns n whole dollars.
func Dollars(n int64) Money { return Money{d: decimal.NewFromInt(n)} }

// Add returns m + o, exactly.
func (m Money) Add(o Money) Money { return Money{d: m.d.Add(o.d)} }

// Sub returns m - o, exactly.
func (m Money) Sub(o Money) Money { return Money{d: m.d.Sub(o.d)} }

// Mul returns m x n, exactly: an hourly price times hours, or a unit price
// times a count.
func (m Money) Mul(n int64) Money { return Money{d: m.d.Mul(decimal.NewFromInt(n))} }

// MulRat returns m x num / den: a fraction of an amount, such as an hourly
// price for some seconds (MulRat(seconds, 3600)) or 10% of a price
// (MulRat(10, 100)). The product is exact; the division is rounded half away
// from zero to 12 decimal places, so it is exact whenever den divides
// m x num to that precision. It panics if den is 0.
func (m Money) MulRat(num, den int64) Money {
	if den == 0 {
		panic("pricing: MulRat by zero denominator")
	}
	p := m.d.Mul(decimal.NewFromInt(num))
	return Money{d: p.DivRound(decimal.NewFromInt(den), divisionPlaces)}
}

// Neg returns -m.
func (m Money) Neg() Money { return Money{d: m.d.Neg()} }

// Cmp compares m and o: -1 if m < o, 0 if equal, +1 if m > o.
func (m Money) Cmp(o Money) int { return m.d.Cmp(o.d) }

// Equal reports whether m and o are the same amount ("0.05" equals
// "0.0500000000"). go-cmp uses it.
func (m Money) Equal(o Money) bool { return m.d.Equal(o.d) }

// IsZero reports whether m is $0.
func (m Money) IsZero() bool { return m.d.IsZero() }

// Sign returns -1, 0 or +1.
func (m Money) Sign() int { return m.d.Sign() }

// Round returns m rounded half away from zero to places decimal places.
func (m Money) Round(places int32) Money { return Money{d: m.d.Round(places)} }

// Plain returns the exact amount as a plain decimal without trailing zeros
// ("1234.5", "0.0464", "0"): the form for JSON, CSV and the catalog files.
func (m Money) Plain() string { return m.d.String() }

// String formats m in dollars and cents with thousands separators:
// "$1,234.56", "-$0.05". The amount is rounded half away from zero.
func (m Money) String() string { return m.Format(2) }

// Format formats m in dollars with exactly places decimal places and
// thousands separators: Format(4) of 0.0464 is "$0.0464".
func (m Money) Format(places int32) string {
	return group(m.d.StringFixed(places))
}

// FormatRate formats a unit price: at least 2 decimal places and as many
// more as the exact amount has, so a rate is never shown rounded
// ("$0.05", "$0.0464", "$25.2512883").
func (m Money) FormatRate() string {
	var places int32
	if t := m.d.String(); strings.Contains(t, ".") {
		places = int32(len(t) - strings.IndexByte(t, '.') - 1)
	}
	if places < 2 {
		places = 2
	}
	return m.Format(places)
}

// group turns a fixed decimal such as "-1234567.5" into "-$1,234,567.5".
func group(fixed string) string {
	sign := ""
	if strings.HasPrefix(fixed, "-") {
		sign, fixed = "-", fixed[1:]
	}
	whole, frac, hasFrac := strings.Cut(fixed, ".")
	var b strings.Builder
	b.WriteString(sign)
	b.WriteByte('$')
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// MarshalJSON writes m as a JSON number with its exact decimal digits
// (1234.5, not "1234.5"), so that jq and spreadsheets can do arithmetic on
// it; a reader that wants exactness parses the number's text.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.Plain()), nil }

// UnmarshalJSON reads a JSON number or a string holding a plain decimal.
func (m *Money) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
