package charts

import (
	"encoding/binary"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzWidgets draws random series, bars and KPIs (values of any bit
// pattern, times anywhere from year 1 to 9999, labels of any bytes) at
// both sizes: the output must always be well-formed XML with no NaN or
// Inf written into it.
func FuzzWidgets(f *testing.F) {
	f.Add([]byte{}, "label")
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\xf0\x7f\x01\x02\x03\x04\x05\x06\x07\x08"), "</text><script>")
	f.Add(make([]byte, 256), "\xff\xfe\x00")
	f.Fuzz(func(t *testing.T, data []byte, label string) {
		var ps []Point
		var values []float64
		for i := 0; i+16 <= len(data) && len(ps) < 2000; i += 16 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[i:]))
			secs := int64(binary.LittleEndian.Uint64(data[i+8:]) % (9998 * 365 * 86400))
			ps = append(ps, Point{At: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(secs%(290*365*86400))*time.Second).AddDate(int(secs/(290*365*86400))*290, 0, 0), Value: v})
			values = append(values, v)
		}
		cats := make([]string, len(values))
		for i := range cats {
			cats[i] = label
		}
		var prev, target *float64
		if len(values) > 1 {
			prev, target = &values[0], &values[1]
		}
		value := 0.0
		if len(values) > 0 {
			value = values[len(values)-1]
		}
		for _, size := range []Size{Normal, Kiosk} {
			o := Options{Size: size}
			for _, out := range []string{
				string(TimeSeries{Title: label, Unit: label, Series: []Series{{Name: label, Points: ps}, {Name: label, Points: ps[:len(ps)/2]}}}.SVG(o)),
				string(TimeSeries{Title: label, Style: Area, Currency: "EUR", Series: []Series{{Name: label, Points: ps}}}.SVG(o)),
				string(Bars{Title: label, Categories: cats, Groups: []BarGroup{{Name: label, Values: values}, {Name: label, Values: values[:len(values)/2]}}}.SVG(o)),
				string(KPI{Label: label, Unit: label, Value: value, Previous: prev, Target: target, Spark: values}.SVG(o)),
				string(KPI{Label: label, Currency: "JPY", Value: value, Previous: target, Spark: values}.SVG(o)),
				string(Table{Title: label, Columns: []Column{{Label: label}}, Rows: [][]string{{label, label}}}.HTML(o)),
			} {
				if err := checkXML(out); err != nil {
					t.Fatalf("%v:\n%s", err, out)
				}
				if bad := notFinite.FindString(out); bad != "" && !strings.Contains(label, bad) {
					t.Fatalf("%q written:\n%s", bad, out)
				}
			}
		}
		ts := TimeSeries{Title: label, Series: []Series{{Name: label, Points: ps}}}
		if err := checkXML(string(ts.DataTable(Options{}))); err != nil {
			t.Fatal(err)
		}
	})
}

var notFinite = regexp.MustCompile(`NaN|Inf`)
