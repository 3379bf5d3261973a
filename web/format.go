package web

import (
	"context"
	"fmt"
	"html/template"
	"sync"
	"time"

	"strongroom"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/live"
	"strongroom/tenancy"
)

// formatTTL is how long a node trusts the formatting it read for a tenant.
// A change made on this node applies at once; one made on another node
// (several behind a load balancer share a PostgreSQL database) within this.
const formatTTL = time.Minute

// formatRetry is how soon a failed read of a tenant's formatting is tried
// again.
const formatRetry = 5 * time.Second

// formatter is the formatter of a tenant's pages, exports and reports: its
// locale, time zone and default currency.
func (h *Handler) formatter(t *tenancy.Handle) *format.Formatter {
	return h.formats.load(context.Background(), h, t).f
}

// formatCache keeps each tenant's formatting, read from its database at
// most once per formatTTL (or when its handle changes: the database was
// reopened), and the pages bound to each formatting in use. Pages are
// cloned from a set parsed for the purpose and never executed (an executed
// html/template cannot be cloned), once per formatting and page, not per
// request; tenants with the same formatting share them.
type formatCache struct {
	masters map[string]*template.Template

	mu      sync.Mutex
	tenants map[string]*tenantFormat
	sets    map[identity.Formatting]*pageSet
}

type tenantFormat struct {
	handle   *tenancy.Handle
	settings identity.Formatting
	f        *format.Formatter
	read     time.Time
}

// pageSet is the pages of one formatting, cloned as they are first asked for.
type pageSet struct {
	f     *format.Formatter
	mu    sync.Mutex
	pages map[string]*template.Template
}

func newFormatCache() (*formatCache, error) {
	masters, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &formatCache{masters: masters, tenants: map[string]*tenantFormat{}, sets: map[identity.Formatting]*pageSet{}}, nil
}

var defaultFormat = &tenantFormat{settings: identity.DefaultFormatting, f: format.Default}

// load returns the tenant's formatting, reading it when the cached one is
// stale. A read that fails keeps what was known (the default for a tenant
// not read yet): the request meets the fault on its own path, and its page
// must still be shown.
func (c *formatCache) load(ctx context.Context, h *Handler, t *tenancy.Handle) *tenantFormat {
	if c == nil || h.identity == nil {
		return defaultFormat
	}
	c.mu.Lock()
	tf := c.tenants[t.Tenant.Slug]
	c.mu.Unlock()
	if tf != nil && tf.handle == t && time.Since(tf.read) < formatTTL {
		return tf
	}
	s, err := h.identity.Formatting(ctx, t)
	if err != nil {
		// Keep what was known and ask again in a few seconds, not on
		// every request: each would wait for the database once more.
		known := defaultFormat
		if tf != nil {
			known = tf
		}
		retry := &tenantFormat{handle: t, settings: known.settings, f: known.f, read: time.Now().Add(formatRetry - formatTTL)}
		c.mu.Lock()
		c.tenants[t.Tenant.Slug] = retry
		c.mu.Unlock()
		return retry
	}
	return c.store(t, s)
}

// store records a tenant's formatting, read or just changed.
func (c *formatCache) store(t *tenancy.Handle, s identity.Formatting) *tenantFormat {
	if c == nil {
		return defaultFormat
	}
	f, err := s.Formatter()
	if err != nil {
		s, f = identity.DefaultFormatting, format.Default
	}
	tf := &tenantFormat{handle: t, settings: s, f: f, read: time.Now()}
	c.mu.Lock()
	c.tenants[t.Tenant.Slug] = tf
	c.mu.Unlock()
	return tf
}

// page returns the page bound to the formatting of the tenant slug: the
// formatting this node last read for it. Pages of the default formatting
// are the handler's own.
func (c *formatCache) page(slug, name string, pages map[string]*template.Template) (*template.Template, error) {
	if c == nil {
		return pages[name], nil
	}
	c.mu.Lock()
	tf := c.tenants[slug]
	if tf == nil || tf.settings == identity.DefaultFormatting {
		c.mu.Unlock()
		return pages[name], nil
	}
	set := c.sets[tf.settings]
	if set == nil {
		set = &pageSet{f: tf.f, pages: map[string]*template.Template{}}
		c.sets[tf.settings] = set
	}
	c.mu.Unlock()

	set.mu.Lock()
	defer set.mu.Unlock()
	if p := set.pages[name]; p != nil {
		return p, nil
	}
	master := c.masters[name]
	if master == nil {
		return nil, fmt.Errorf("no page %q", name)
	}
	p, err := master.Clone()
	if err != nil {
		return nil, fmt.Errorf("clone page %q: %w", name, err)
	}
	p.Funcs(templateFuncs(set.f))
	set.pages[name] = p
	return p, nil
}

// templateFuncs are the formatting functions pages use:
//
//	{{money .Amount .Currency}}  exact amount with symbol and separators
//	{{number .Count}}            an integer with separators
//	{{date .OccurredOn}}         a calendar date ("2006-01-02") or a time's day in the zone
//	{{datetime .CreatedAt}}      a time in the zone, with the zone shown
//	{{words .Kind}}              an enum value as words
func templateFuncs(f *format.Formatter) template.FuncMap {
	return template.FuncMap{
		"money": func(amount any, currency string) (string, error) {
			switch a := amount.(type) {
			case string:
				return f.Money(a, currency)
			case int64:
				return f.MoneyE4(a, currency)
			case fmt.Stringer: // reports.Money
				return f.Money(a.String(), currency)
			}
			return "", strongroom.Errorf(strongroom.EINTERNAL, "money: an amount of type %T", amount)
		},
		"number": func(n any) (string, error) {
			switch n := n.(type) {
			case int:
				return f.Number(int64(n)), nil
			case int64:
				return f.Number(n), nil
			}
			return "", strongroom.Errorf(strongroom.EINTERNAL, "number: a value of type %T", n)
		},
		"date": func(v any) (string, error) {
			switch d := v.(type) {
			case string:
				return f.Day(d)
			case time.Time:
				return f.Date(d), nil
			}
			return "", strongroom.Errorf(strongroom.EINTERNAL, "date: a value of type %T", v)
		},
		"datetime":  f.DateTime,
		"words":     format.Words,
		"panelBody": panelBody,
		// {{liveRefresh N}}: a page that updates live reloads every N
		// seconds without JavaScript.
		"liveRefresh": live.RefreshFallback,
	}
}
