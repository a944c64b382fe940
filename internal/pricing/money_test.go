package pricing

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMoneySumIsExact(t *testing.T) {
	tenth := MustParseMoney("0.1")
	var sum Money
	for range 1000 {
		sum = sum.Add(tenth)
	}
	if !sum.Equal(Dollars(100)) {
		t.Errorf("0.1 added 1000 times = %s, want exactly 100", sum.Plain())
	}
	// The float64 sum is not 100; Money must not behave like it.
	f := 0.0
	for range 1000 {
		f += 0.1
	}
	if f == 100 {
		t.Fatal("float64 sum happened to be exact; the test proves nothing")
	}
}

func TestMoneyArithmetic(t *testing.T) {
	tests := []struct {
		name string
		got  Money
		want string
	}{
		{"mul hours", MustParseMoney("0.0464").Mul(730), "33.872"},
		{"monthly p4d keeps all digits", MustParseMoney("25.2512883").Mul(HoursPerMonth), "18433.440459"},
		{"per second: 90 s of $0.05/h", MustParseMoney("0.05").MulRat(90, SecondsPerHour), "0.00125"},
		{"per second: 1 s of $1/h rounds at 12 places", Dollars(1).MulRat(1, 3600), "0.000277777778"},
		{"fraction 10%", MustParseMoney("1.408").MulRat(10, 100), "0.1408"},
		{"sub", MustParseMoney("0.257").Sub(MustParseMoney("0.23")), "0.027"},
		{"trailing zeros of the Price List", MustParseMoney("0.0500000000"), "0.05"},
		{"neg", MustParseMoney("1.5").Neg(), "-1.5"},
		{"parse dollar sign and separators", MustParseMoney("$1,234.56"), "1234.56"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got.Plain(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMoneyPerSecondSumsToHour(t *testing.T) {
	// Where the division terminates, slices add up exactly: $0.72/h is
	// $0.012 a minute.
	exact := MustParseMoney("0.72")
	var minutes Money
	for range 60 {
		minutes = minutes.Add(exact.MulRat(60, SecondsPerHour))
	}
	if !minutes.Equal(exact) {
		t.Errorf("60 minutes = %s, want %s", minutes.Plain(), exact.Plain())
	}
	// Where it does not, each slice is rounded at 12 places, so 3600
	// one-second slices stay within 3600 x 5e-13 of the hourly price.
	p := MustParseMoney("0.7364")
	var seconds Money
	for range 3600 {
		seconds = seconds.Add(p.MulRat(1, SecondsPerHour))
	}
	bound := MustParseMoney("0.0000000000005").Mul(3600)
	if d := seconds.Sub(p); d.Cmp(bound) > 0 || d.Neg().Cmp(bound) > 0 {
		t.Errorf("3600 seconds = %s, off from %s by %s", seconds.Plain(), p.Plain(), d.Plain())
	}
	if seconds.String() != p.String() {
		t.Errorf("3600 seconds shows %s, the hour %s", seconds, p)
	}
}

func TestParseMoneyRejects(t *testing.T) {
	for _, s := range []string{"", "abc", "1e3", "0.1.2", "$", "--1", "1-"} {
		if _, err := ParseMoney(s); err == nil {
			t.Errorf("ParseMoney(%q) succeeded, want an error", s)
		}
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		in, cents, rate string
	}{
		{"0", "$0.00", "$0.00"},
		{"0.05", "$0.05", "$0.05"},
		{"0.0464", "$0.05", "$0.0464"},
		{"0.005", "$0.01", "$0.005"}, // half away from zero
		{"1234.567", "$1,234.57", "$1,234.567"},
		{"1234567.5", "$1,234,567.50", "$1,234,567.50"},
		{"999.995", "$1,000.00", "$999.995"},
		{"-1234.5", "-$1,234.50", "-$1,234.50"},
		{"25.2512883", "$25.25", "$25.2512883"},
		{"100", "$100.00", "$100.00"},
	}
	for _, tt := range tests {
		m := MustParseMoney(tt.in)
		if got := m.String(); got != tt.cents {
			t.Errorf("String(%s) = %s, want %s", tt.in, got, tt.cents)
		}
		if got := m.FormatRate(); got != tt.rate {
			t.Errorf("FormatRate(%s) = %s, want %s", tt.in, got, tt.rate)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	type doc struct {
		USD Money `json:"usd"`
	}
	b, err := json.Marshal(doc{USD: MustParseMoney("25.2512883")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"usd":25.2512883}`; got != want {
		t.Errorf("marshal = %s, want %s", got, want)
	}
	for _, in := range []string{`{"usd":25.2512883}`, `{"usd":"25.2512883"}`} {
		var d doc
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatalf("unmarshal %s: %v", in, err)
		}
		if !d.USD.Equal(MustParseMoney("25.2512883")) {
			t.Errorf("unmarshal %s = %s", in, d.USD.Plain())
		}
	}
}

func TestPriceUnknownIsNotZero(t *testing.T) {
	if Unknown.Known {
		t.Fatal("Unknown is known")
	}
	if got := Unknown.Monthly().String(); got != "unknown" {
		t.Errorf("Unknown.Monthly() = %q, want unknown", got)
	}
	zero := Price{Known: true}
	if zero.String() != "$0.00" {
		t.Errorf("known $0 = %q", zero.String())
	}
}

func TestPriceMonthly(t *testing.T) {
	p := Price{Amount: MustParseMoney("0.115"), Known: true, Basis: "hosting", Source: "F", AsOf: "2026-07-30"}
	m := p.Monthly()
	if want := MustParseMoney("0.115").Mul(730); !m.Amount.Equal(want) || m.Amount.Plain() != "83.95" {
		t.Errorf("monthly = %s, want 83.95 (0.115 x 730)", m.Amount.Plain())
	}
	if m.Source != "F" || m.Basis != "hosting" || !m.Known {
		t.Errorf("monthly lost its provenance: %+v", m)
	}
	if got := p.ForSeconds(7200).Amount.Plain(); got != "0.23" {
		t.Errorf("ForSeconds(7200) = %s, want 0.23", got)
	}
}

func TestTotal(t *testing.T) {
	known := Price{Amount: MustParseMoney("0.05"), Known: true}
	est := Price{Amount: MustParseMoney("0.23"), Known: true, Estimate: true}
	tests := []struct {
		name     string
		terms    []Price
		want     Total
		text     string
		complete bool
	}{
		{"empty", nil, Total{}, "$0.00", true},
		{"known", []Price{known, known}, Total{Sum: MustParseMoney("0.1"), Items: 2}, "$0.10", true},
		{"estimate", []Price{known, est}, Total{Sum: MustParseMoney("0.28"), Items: 2, Estimated: 1}, "~$0.28", true},
		{"unknown is counted, not zero", []Price{known, Unknown, Unknown}, Total{Sum: MustParseMoney("0.05"), Items: 3, Unknown: 2}, "≥ $0.05 (2 unknown)", false},
		{"all unknown", []Price{Unknown}, Total{Items: 1, Unknown: 1}, "unknown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Total
			for _, p := range tt.terms {
				got.Add(p)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("total (-want +got):\n%s", diff)
			}
			if got.String() != tt.text {
				t.Errorf("String() = %q, want %q", got.String(), tt.text)
			}
			if got.Complete() != tt.complete {
				t.Errorf("Complete() = %v", got.Complete())
			}
			var merged Total
			merged.Merge(got)
			merged.Merge(got)
			if merged.Items != 2*got.Items || !merged.Sum.Equal(got.Sum.Mul(2)) {
				t.Errorf("merge twice = %+v", merged)
			}
		})
	}
}
