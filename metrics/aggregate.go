package metrics

import (
	"slices"
	"strings"
	"time"

	"strongroom"
)

// acc adds up the points of one bucket.
type acc struct {
	n             int
	sum, min, max float64
	last          float64
	lastAt        time.Time
}

// add takes a point. Points come in time order, so the last one added at
// the newest time is the last value.
func (a *acc) add(v float64, at time.Time) { a.addN(v, 1, v, v, v, at) }

// addN takes n points already added up: their sum, least, greatest and
// last value.
func (a *acc) addN(sum float64, n int, lo, hi, last float64, at time.Time) {
	if n == 0 {
		return
	}
	if a.n == 0 || lo < a.min {
		a.min = lo
	}
	if a.n == 0 || hi > a.max {
		a.max = hi
	}
	if a.n == 0 || !at.Before(a.lastAt) {
		a.last, a.lastAt = last, at
	}
	a.n += n
	a.sum += sum
}

func (a *acc) value(agg Agg) float64 {
	if a.n == 0 {
		return 0
	}
	switch agg {
	case Avg:
		return a.sum / float64(a.n)
	case Min:
		return a.min
	case Max:
		return a.max
	case Last:
		return a.last
	case Count:
		return float64(a.n)
	}
	return a.sum
}

// grid places points into the buckets of a query, per group.
type grid struct {
	q      *Query
	starts []time.Time
	index  map[int64]int // bucket start (Unix seconds) → position
	groups map[string][]acc
}

func newGrid(q *Query) *grid {
	g := &grid{q: q, starts: bucketStarts(q.From, q.To, q.Bucket, q.Zone, maxBuckets), index: map[int64]int{}, groups: map[string][]acc{}}
	for i, s := range g.starts {
		g.index[s.Unix()] = i
	}
	if q.GroupBy == "" {
		g.groups[""] = make([]acc, len(g.starts))
	}
	return g
}

// cell returns the accumulator of the bucket holding at in group key, or
// nil when at is outside the range or there are too many groups.
func (g *grid) cell(key string, at time.Time) (*acc, error) {
	i := 0
	if g.q.Bucket != NoBucket {
		var ok bool
		if i, ok = g.index[bucketStart(at, g.q.Bucket, g.q.Zone).Unix()]; !ok {
			return nil, nil
		}
	}
	row, ok := g.groups[key]
	if !ok {
		if len(g.groups) >= maxGroups {
			return nil, strongroom.FieldError("group_by", "The dimension has more than %d values in this range; filter by another dimension first.", maxGroups)
		}
		row = make([]acc, len(g.starts))
		g.groups[key] = row
	}
	return &row[i], nil
}

// series writes the grid out, groups in order of their keys.
func (g *grid) series(agg Agg) []Group {
	keys := make([]string, 0, len(g.groups))
	for k := range g.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	out := make([]Group, 0, len(keys))
	for _, k := range keys {
		row := g.groups[k]
		grp := Group{Key: k, Buckets: make([]Value, len(row))}
		for i := range row {
			grp.Buckets[i] = Value{Start: g.starts[i], Value: row[i].value(agg), Count: row[i].n}
		}
		out = append(out, grp)
	}
	return out
}
