package text

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Rate is how often something happens, as a range of times per day: "2-3 a
// week" is 2/7 to 3/7. Vague marks a frequency in words that says nothing
// exact ("sometimes", "a lot"): it is asked about, never placed.
type Rate struct {
	Lo, Hi float64
	Vague  bool
}

// Never is a rate of zero.
var Never = Rate{}

// ParseRate reads a rate as flow files write it: "0", "vague", "7 a week",
// "2-4 a month", "1-7 a fortnight". The period is one of PeriodNames.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "0":
		return Never, nil
	case "vague":
		return Rate{Vague: true}, nil
	}
	nums, period, ok := strings.Cut(s, " a ")
	if !ok {
		return Rate{}, fmt.Errorf("%q: write a rate as N a PERIOD or N-M a PERIOD (\"2-3 a week\"), 0, or vague", s)
	}
	days, ok := PeriodNames[strings.TrimSpace(period)]
	if !ok {
		return Rate{}, fmt.Errorf("%q: the period is one of %s", s, strings.Join(sortedNames(PeriodNames), ", "))
	}
	lo, hi, err := parseRange(nums)
	if err != nil {
		return Rate{}, fmt.Errorf("%q: %v", s, err)
	}
	return Rate{Lo: lo / days, Hi: hi / days}, nil
}

// parseRange reads "N" or "N-M".
func parseRange(s string) (lo, hi float64, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	lo, err = strconv.ParseFloat(strings.TrimSpace(a), 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a number", a)
	}
	hi = lo
	if isRange {
		hi, err = strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%q is not a number", b)
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("the range %v-%v is empty", lo, hi)
	}
	return lo, hi, nil
}

// ParseRange reads a range of numbers as flow files write it: "4" or "4-5".
func ParseRange(s string) (lo, hi float64, err error) { return parseRange(s) }

// PerWeek returns r in times per week, for people to read.
func (r Rate) PerWeek() (lo, hi float64) { return r.Lo * 7, r.Hi * 7 }

// Overlaps reports whether two rates share a point, allowing for rounding.
func (r Rate) Overlaps(o Rate) bool {
	const eps = 1e-9
	return r.Lo <= o.Hi+eps && o.Lo <= r.Hi+eps
}

// Within reports whether r lies entirely inside o, allowing for rounding.
func (r Rate) Within(o Rate) bool {
	const eps = 1e-9
	return r.Lo >= o.Lo-eps && r.Hi <= o.Hi+eps
}

// IsNever reports whether r is zero.
func (r Rate) IsNever() bool { return !r.Vague && r.Hi == 0 }

func (r Rate) String() string {
	switch {
	case r.Vague:
		return "vague"
	case r.IsNever():
		return "never"
	}
	lo, hi := r.PerWeek()
	if math.Abs(lo-hi) < 1e-9 {
		return fmt.Sprintf("%.3g a week", lo)
	}
	return fmt.Sprintf("%.3g-%.3g a week", lo, hi)
}
