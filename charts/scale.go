package charts

import (
	"math"
	"sort"
	"time"
)

// niceStep is the 1-2-5 step (times a power of ten) that cuts a span
// into at most about n parts. It is given half the span, which a float64
// always holds.
func niceStep(half float64, n int) float64 {
	if half <= 0 || math.IsNaN(half) || math.IsInf(half, 0) {
		return 1
	}
	raw := half / float64(max(n, 1)) * 2
	if math.IsInf(raw, 0) {
		return math.MaxFloat64 / 2
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p*(1+1e-9) {
			return math.Min(m*p, math.MaxFloat64) // 2e308 is +Inf
		}
	}
	return math.MaxFloat64
}

// domain is a value axis: from lo to hi, with ticks at step.
type domain struct {
	lo, hi, step float64
	ticks        []float64
}

// niceDomain spans lo..hi (widened to hold zero when zero is asked for)
// with round ticks. Equal values get a band around them; spans too wide
// for a float64 are halved before they are measured.
// With whole, the values are counts and no step is less than one.
func niceDomain(lo, hi float64, zero bool, n int, whole bool) domain {
	if zero {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	if lo == hi {
		pad := math.Abs(lo) * 0.1
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
		if zero && lo < 0 && hi > 0 {
			if hi == pad {
				lo = 0
			} else {
				hi = 0
			}
		}
	}
	step := niceStep(hi/2-lo/2, n) // no overflow for ±MaxFloat64
	if whole && step < 1 {
		step = 1
	}
	start := math.Floor(lo/step) * step
	end := math.Ceil(hi/step) * step
	if math.IsInf(start, 0) {
		start = lo
	}
	if math.IsInf(end, 0) {
		end = hi
	}
	d := domain{lo: start, hi: end, step: step}
	for i := 0; i <= 4*n; i++ {
		v := (start/2 + float64(i)*(step/2)) * 2 // halves: no overflow on the way
		if v > end+step*1e-9 || math.IsInf(v, 0) {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		d.ticks = append(d.ticks, v)
	}
	return d
}

// frac is where v falls in the domain, 0 at lo and 1 at hi.
func (d domain) frac(v float64) float64 {
	w := d.hi/2 - d.lo/2
	if w <= 0 {
		return 0.5
	}
	return (v/2 - d.lo/2) / w
}

// timeTick is one label of a time axis.
type timeTick struct {
	at   time.Time
	text string
}

// timeUnit is a step of a time axis and how its labels read.
type timeUnit struct {
	d      time.Duration // for hours and days; months and years use n
	months int
	layout string
	// wide is the layout used at the first tick and where the coarser
	// unit changes (a new day, a new year), so that each label can be
	// placed without its neighbours.
	wide string
}

var timeUnits = []timeUnit{
	{d: time.Minute * 15, layout: "15:04", wide: "2 Jan 15:04"},
	{d: time.Hour, layout: "15:04", wide: "2 Jan 15:04"},
	{d: 2 * time.Hour, layout: "15:04", wide: "2 Jan 15:04"},
	{d: 3 * time.Hour, layout: "15:04", wide: "2 Jan 15:04"},
	{d: 6 * time.Hour, layout: "15:04", wide: "2 Jan 15:04"},
	{d: 12 * time.Hour, layout: "15:04", wide: "2 Jan 15:04"},
	{d: 24 * time.Hour, layout: "2 Jan", wide: "2 Jan 2006"},
	{d: 48 * time.Hour, layout: "2 Jan", wide: "2 Jan 2006"},
	{d: 7 * 24 * time.Hour, layout: "2 Jan", wide: "2 Jan 2006"},
	{d: 14 * 24 * time.Hour, layout: "2 Jan", wide: "2 Jan 2006"},
	{months: 1, layout: "Jan", wide: "Jan 2006"},
	{months: 2, layout: "Jan", wide: "Jan 2006"},
	{months: 3, layout: "Jan", wide: "Jan 2006"},
	{months: 6, layout: "Jan", wide: "Jan 2006"},
	{months: 12, layout: "2006", wide: "2006"},
	{months: 24, layout: "2006", wide: "2006"},
	{months: 60, layout: "2006", wide: "2006"},
	{months: 120, layout: "2006", wide: "2006"},
	{months: 240, layout: "2006", wide: "2006"},
	{months: 600, layout: "2006", wide: "2006"},
	{months: 1200, layout: "2006", wide: "2006"},
}

// timeTicks labels from..to in the zone at the finest step people count
// in (quarter hours, hours, days, weeks, months, years) of which fit(u)
// labels fit across.
// Month names are English abbreviations: the format package has no
// month names of its own for a time axis.
func timeTicks(from, to time.Time, loc *time.Location, fit func(timeUnit) int) []timeTick {
	if !to.After(from) {
		return []timeTick{{at: from, text: from.In(loc).Format("2 Jan 2006 15:04")}}
	}
	span := to.Sub(from)
	u, n := timeUnits[len(timeUnits)-1], 2
	for _, c := range timeUnits {
		n = max(2, fit(c))
		if c.d > 0 && span/c.d <= time.Duration(n) || c.months > 0 && monthsBetween(from, to)/c.months < n {
			u = c
			break
		}
	}
	var out []timeTick
	prev := time.Time{}
	for t := firstTick(from.In(loc), u); !t.After(to); t = nextTick(t, u) {
		if t.Before(from) {
			continue
		}
		layout := u.layout
		if prev.IsZero() || (u.d > 0 && u.d < 24*time.Hour && t.YearDay() != prev.YearDay()) ||
			(u.layout != "2006" && t.Year() != prev.Year()) {
			layout = u.wide
		}
		out = append(out, timeTick{at: t, text: t.Format(layout)})
		prev = t
		if len(out) > 4*n {
			break
		}
	}
	return out
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month()) + 1
}

// firstTick is the first whole step at or after t.
func firstTick(t time.Time, u timeUnit) time.Time {
	loc := t.Location()
	if u.months > 0 {
		m := (t.Year()*12 + int(t.Month()) - 1)
		m = (m + u.months - 1) / u.months * u.months
		s := time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, loc)
		if s.Before(t) {
			s = nextTick(s, u)
		}
		return s
	}
	if u.d >= 24*time.Hour {
		s := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		if u.d == 7*24*time.Hour || u.d == 14*24*time.Hour {
			for s.Weekday() != time.Monday {
				s = s.AddDate(0, 0, 1)
			}
		}
		for s.Before(t) {
			s = nextTick(s, u)
		}
		return s
	}
	s := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	for s.Before(t) {
		s = s.Add(u.d)
	}
	return s
}

func nextTick(t time.Time, u timeUnit) time.Time {
	switch {
	case u.months > 0:
		return t.AddDate(0, u.months, 0)
	case u.d >= 24*time.Hour:
		return t.AddDate(0, 0, int(u.d/(24*time.Hour))) // calendar days across summer time
	}
	return t.Add(u.d)
}

// finitePoints returns the points that can be drawn, in time order, and
// a count of the rest (NaN, ±Inf).
func finitePoints(ps []Point) (kept []Point, dropped int) {
	for _, p := range ps {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			dropped++
			continue
		}
		kept = append(kept, p)
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].At.Before(kept[j].At) })
	return kept, dropped
}

// downsample keeps at most limit points: the points are cut into
// limit/2 runs of equal length and each run keeps its lowest and highest
// point, in time order, so a spike is never smoothed away.
func downsample(ps []Point, limit int) []Point {
	if len(ps) <= limit || limit < 4 {
		return ps
	}
	buckets := limit / 2
	out := make([]Point, 0, limit)
	for b := range buckets {
		lo, hi := b*len(ps)/buckets, (b+1)*len(ps)/buckets
		run := ps[lo:hi]
		if len(run) == 0 {
			continue
		}
		mi, ma := 0, 0
		for i, p := range run {
			if p.Value < run[mi].Value {
				mi = i
			}
			if p.Value > run[ma].Value {
				ma = i
			}
		}
		if mi == ma {
			out = append(out, run[mi])
			continue
		}
		out = append(out, run[min(mi, ma)], run[max(mi, ma)])
	}
	return out
}
