package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/tenancy"
)

// metricsRoutes registers the metrics API: definitions, the push of points
// (the one route an API token of scope metrics:write may use) and series.
func (h *Handler) metricsRoutes() {
	api := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	pre := "/api/v1/t/{slug}/metrics"
	api("GET "+pre, h.authed(h.apiMetrics, false))
	api("POST "+pre, h.authed(h.apiDefineMetric, false))
	api("POST "+pre+"/points", h.authedScope(h.apiPushPoints, false, identity.ScopeMetricsWrite))
	api("DELETE "+pre+"/{name}", h.authed(h.apiDeleteMetric, false))
	api("GET "+pre+"/{name}/series", h.authed(h.apiMetricSeries, false))
	api("GET "+pre+"/{name}/kpi", h.authed(h.apiMetricKPI, false))
	api("GET "+pre+"/{name}/latest", h.authed(h.apiMetricLatest, false))
}

func metricJSON(m metrics.Metric) map[string]any {
	return map[string]any{"name": m.Name, "label": m.Label, "unit": m.Unit, "source": string(m.Source),
		"created_at": m.CreatedAt.Format(time.RFC3339), "updated_at": m.UpdatedAt.Format(time.RFC3339)}
}

func (h *Handler) apiMetrics(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ms, err := h.svc.Metrics.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, m := range ms {
		out = append(out, metricJSON(m))
	}
	kinds := []map[string]any{}
	for _, k := range metrics.CaseMetrics() {
		kinds = append(kinds, map[string]any{"name": string(k), "label": k.Label(), "current": k.Current()})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"metrics": out, "case_metrics": kinds})
}

func (h *Handler) apiDefineMetric(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Name   string `json:"name"`
		Label  string `json:"label"`
		Unit   string `json:"unit"`
		Source string `json:"source"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := h.svc.Metrics.Define(r.Context(), t, p, metrics.Metric{Name: in.Name, Label: in.Label, Unit: in.Unit, Source: metrics.Source(in.Source)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"metric": metricJSON(*m)})
}

func (h *Handler) apiDeleteMetric(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := h.svc.Metrics.Delete(r.Context(), t, p, r.PathValue("name")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

// pointBody is one point as the push API takes it.
type pointBody struct {
	Metric     string            `json:"metric"`
	At         *string           `json:"at"`
	Value      *float64          `json:"value"`
	Dimensions map[string]string `json:"dimensions"`
}

func (h *Handler) apiPushPoints(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Points []json.RawMessage `json:"points"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Points) > metrics.MaxPoints {
		return strongroom.FieldError("points", "Send at most %d points in one request.", metrics.MaxPoints)
	}
	points, err := decodePoints(in.Points)
	if err != nil {
		return err
	}
	res, err := h.svc.Metrics.Push(r.Context(), t, p, points)
	if err != nil {
		return err
	}
	h.MetricsChanged(r.Context(), t, metricNames(res.Metrics)) // live dashboards redraw
	return writeJSON(w, http.StatusOK, map[string]any{"points": res.Points, "metrics": res.Metrics})
}

// decodePoints reads each point strictly, naming every problem by the
// point's index ("points[3].at").
func decodePoints(raw []json.RawMessage) ([]metrics.Point, error) {
	var ps strongroom.Problems
	out := make([]metrics.Point, 0, len(raw))
	for i, b := range raw {
		pre := fmt.Sprintf("points[%d]", i)
		var pb pointBody
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pb); err != nil {
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typeErr) && typeErr.Field != "":
				ps.Addf(pre+"."+typeErr.Field, "Expected a %s here.", typeErr.Type.String())
			case strings.HasPrefix(err.Error(), "json: unknown field "):
				ps.Addf(pre+"."+strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "Unknown field.")
			default:
				ps.Addf(pre, "A point is an object with metric, at, value and dimensions.")
			}
			continue
		}
		pt := metrics.Point{Metric: pb.Metric, Dims: pb.Dimensions}
		if pb.At == nil {
			ps.Addf(pre+".at", "Give the time of the point (RFC 3339).")
		} else if at, err := time.Parse(time.RFC3339Nano, *pb.At); err != nil {
			ps.Addf(pre+".at", "Write the time as RFC 3339, for example 2026-03-10T12:00:00Z.")
		} else {
			pt.At = at
		}
		if pb.Value == nil {
			ps.Addf(pre+".value", "Give the value of the point.")
		} else {
			pt.Value = *pb.Value
		}
		out = append(out, pt)
	}
	return out, ps.Err()
}

// metricQuery reads a series query from the URL: from and to (RFC 3339,
// or a day YYYY-MM-DD taken at midnight in the tenant's time zone; the
// last 30 days without them), bucket, agg, group_by and any number of
// dim=key:value filters.
func (h *Handler) metricQuery(r *http.Request, t *tenancy.Handle) (metrics.Query, error) {
	v := r.URL.Query()
	zone := h.formatter(t).Zone()
	q := metrics.Query{Metric: r.PathValue("name"), Bucket: metrics.Bucket(v.Get("bucket")), Agg: metrics.Agg(v.Get("agg")),
		GroupBy: v.Get("group_by"), Zone: zone}
	var ps strongroom.Problems
	var err error
	if q.To, err = parseInstant(v.Get("to"), zone); err != nil {
		ps.Addf("to", "%s", strongroom.ErrorMessage(err))
	}
	if q.From, err = parseInstant(v.Get("from"), zone); err != nil {
		ps.Addf("from", "%s", strongroom.ErrorMessage(err))
	}
	if q.To.IsZero() && !ps.Has("to") {
		q.To = time.Now()
	}
	if q.From.IsZero() && !ps.Has("from") {
		q.From = q.To.AddDate(0, 0, -30)
	}
	for _, d := range v["dim"] {
		k, val, ok := strings.Cut(d, ":")
		if !ok || k == "" {
			ps.Addf("dim", "Filter by a dimension as dim=key:value.")
			continue
		}
		if q.Dims == nil {
			q.Dims = map[string]string{}
		}
		q.Dims[k] = val
	}
	return q, ps.Err()
}

// parseInstant reads RFC 3339 or a day; "" is the zero time.
func parseInstant(s string, zone *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, zone); err == nil && t.Format(time.DateOnly) == s {
		return t, nil
	}
	return time.Time{}, strongroom.Errorf(strongroom.EINVALID, "Write a time as RFC 3339 (2026-03-10T12:00:00Z) or a day as YYYY-MM-DD.")
}

func valueJSON(v metrics.Value) map[string]any {
	return map[string]any{"start": v.Start.Format(time.RFC3339), "value": v.Value, "count": v.Count}
}

func (h *Handler) apiMetricSeries(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	q, err := h.metricQuery(r, t)
	if err != nil {
		return err
	}
	s, err := h.svc.Metrics.Series(r.Context(), t, p, q)
	if err != nil {
		return err
	}
	groups := []map[string]any{}
	for _, g := range s.Groups {
		bs := []map[string]any{}
		for _, b := range g.Buckets {
			bs = append(bs, valueJSON(b))
		}
		groups = append(groups, map[string]any{"key": g.Key, "buckets": bs})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"metric": s.Metric, "label": s.Label, "unit": s.Unit,
		"bucket": string(s.Bucket), "agg": string(s.Agg), "from": s.From.Format(time.RFC3339), "to": s.To.Format(time.RFC3339),
		"group_by": s.GroupBy, "current": s.Current, "groups": groups})
}

func (h *Handler) apiMetricKPI(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	q, err := h.metricQuery(r, t)
	if err != nil {
		return err
	}
	k, err := h.svc.Metrics.Compare(r.Context(), t, p, q)
	if err != nil {
		return err
	}
	out := map[string]any{"metric": k.Metric, "label": k.Label, "unit": k.Unit, "current": valueJSON(k.Current),
		"previous": valueJSON(k.Previous), "change": k.Change, "percent": nil}
	if k.HasPercent {
		out["percent"] = k.Percent
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) apiMetricLatest(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	q, err := h.metricQuery(r, t)
	if err != nil {
		return err
	}
	l, err := h.svc.Metrics.Latest(r.Context(), t, p, q.Metric, q.Dims)
	if err != nil {
		return err
	}
	out := map[string]any{"metric": q.Metric, "found": l.Found, "at": nil, "value": nil}
	if l.Found {
		out["at"], out["value"] = l.At.Format(time.RFC3339), l.Value
	}
	return writeJSON(w, http.StatusOK, out)
}
