package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// loginPhase is what one phase of the sign-in benchmark measured.
type loginPhase struct {
	known      timings // the known user's sign-ins
	newOK      int     // sign-ins on a browser without a device cookie that got in
	newRefused int     // … that were refused
	hashes     uint64  // hashes computed in the phase, by everyone
	elapsed    time.Duration
	flood      *flooder // nil without a flood
}

// floodHashes are the hashes the flood cost: all of them but one for each
// sign-in that got in.
func (p *loginPhase) floodHashes() float64 {
	return float64(int(p.hashes)-len(p.known)-p.newOK) / p.elapsed.Seconds()
}

// flooder counts what the flood sent and the answers it got.
type flooder struct {
	sent, dropped, errors, unauthorized, refused, other atomic.Int64
}

// floodAddress is the n-th address of the flood, in 198.18.0.0/15, the
// range set aside for benchmarks.
func floodAddress(n int) string { return fmt.Sprintf("198.18.%d.%d", n/250, n%250+1) }

func (b *benchServer) run(stdout io.Writer) error {
	for range 5 { // warm up connections and the tenant's database
		if _, err := b.knownSignIn(); err != nil {
			return err
		}
	}
	floor, err := b.phase(false)
	if err != nil {
		return err
	}
	flood, err := b.phase(true)
	if err != nil {
		return err
	}
	b.report(stdout, floor, flood)
	return nil
}

// phase signs the known user in every o.every for o.duration, with or
// without a flood going on, and once a second tries a right password on a
// browser without a device cookie.
func (b *benchServer) phase(withFlood bool) (*loginPhase, error) {
	p := &loginPhase{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	startHashes, start := b.hasher.Computed(), time.Now()
	if withFlood {
		p.flood = b.startFlood(ctx, &wg)
	}
	tick := time.NewTicker(b.o.every)
	defer tick.Stop()
	nextNew := start.Add(time.Second)
	for time.Since(start) < b.o.duration {
		<-tick.C
		d, err := b.knownSignIn()
		if err != nil {
			return nil, err
		}
		p.known = append(p.known, d)
		if time.Now().After(nextNew) {
			nextNew = nextNew.Add(time.Second)
			if err := b.newBrowserSignIn(p); err != nil {
				return nil, err
			}
		}
	}
	cancel()
	wg.Wait() // what the flood has in flight still counts
	p.hashes, p.elapsed = b.hasher.Computed()-startHashes, time.Since(start)
	return p, nil
}

// newBrowserSignIn tries the known user's right password on a browser
// that has never signed in.
func (b *benchServer) newBrowserSignIn(p *loginPhase) error {
	form := url.Values{"username": {"admin"}, "password": {b.pw}}.Encode()
	resp, err := b.post(b.client, b.login, "application/x-www-form-urlencoded", form, "192.0.2.20")
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusSeeOther:
		p.newOK++
	case http.StatusTooManyRequests:
		p.newRefused++
	default:
		return fmt.Errorf("sign-in on a new browser: %s", resp.Status)
	}
	return nil
}

// startFlood sends o.rate failed sign-ins a second, each under a new user
// name, from o.addresses addresses in turn, with at most o.workers in
// flight; an attempt due while all workers are busy is counted as dropped.
func (b *benchServer) startFlood(ctx context.Context, wg *sync.WaitGroup) *flooder {
	f := &flooder{}
	jobs := make(chan int, b.o.workers)
	for range b.o.workers {
		wg.Go(func() {
			for n := range jobs {
				b.floodOne(f, n)
			}
		})
	}
	wg.Go(func() {
		defer close(jobs)
		interval := time.Second / time.Duration(b.o.rate)
		start := time.Now()
		for n := 0; ctx.Err() == nil; n++ {
			if d := time.Until(start.Add(time.Duration(n) * interval)); d > 0 {
				time.Sleep(d)
			}
			select {
			case jobs <- n:
			default:
				f.dropped.Add(1)
			}
		}
	})
	return f
}

func (b *benchServer) floodOne(f *flooder, n int) {
	form := url.Values{"username": {fmt.Sprintf("guess-%d", n)}, "password": {fmt.Sprintf("not anybody's password %d", n)}}.Encode()
	resp, err := b.post(b.flood, b.login, "application/x-www-form-urlencoded", form, floodAddress(n%b.o.addresses))
	f.sent.Add(1)
	switch {
	case err != nil:
		f.errors.Add(1)
	case resp.StatusCode == http.StatusUnauthorized:
		f.unauthorized.Add(1)
	case resp.StatusCode == http.StatusTooManyRequests:
		f.refused.Add(1)
	default:
		f.other.Add(1)
	}
}

func (b *benchServer) report(w io.Writer, floor, flood *loginPhase) {
	p := b.hasher.Params()
	burst, refill := b.m.app.identity.Budget.Burst, b.m.app.identity.Budget.Refill
	fmt.Fprintf(w, "Sign-in over HTTPS on loopback through a trusted proxy; SQLite; argon2id m=%d KiB t=%d p=%d; %s, GOMAXPROCS %d.\n",
		p.Memory, p.Time, p.Threads, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "Tenant budget: %.0f failed sign-ins at once, one more every %s (%.1f/s); each phase %s.\n",
		burst, refill, float64(time.Second)/float64(refill), b.o.duration)
	f := flood.flood
	secs := flood.elapsed.Seconds()
	fmt.Fprintf(w, "Flood: %d/s asked from %d addresses, %.0f/s sent (%d not sent: no worker free); answers: %d refused (429), %d checked (401), %d other, %d errors.\n\n",
		b.o.rate, b.o.addresses, float64(f.sent.Load())/secs, f.dropped.Load(), f.refused.Load(), f.unauthorized.Load(), f.other.Load(), f.errors.Load())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tno flood\tduring the flood\t\n")
	fmt.Fprintf(tw, "known user (device cookie): sign-ins\t%d\t%d\t\n", len(floor.known), len(flood.known))
	fmt.Fprintf(tw, "known user: p50\t%s\t%s\t\n", ms(floor.known.quantile(0.5)), ms(flood.known.quantile(0.5)))
	fmt.Fprintf(tw, "known user: p99\t%s\t%s\t\n", ms(floor.known.quantile(0.99)), ms(flood.known.quantile(0.99)))
	fmt.Fprintf(tw, "new browser, right password: in / refused\t%d / %d\t%d / %d\t\n", floor.newOK, floor.newRefused, flood.newOK, flood.newRefused)
	fmt.Fprintf(tw, "hashes/s, all\t%.1f\t%.1f\t\n", float64(floor.hashes)/floor.elapsed.Seconds(), float64(flood.hashes)/secs)
	fmt.Fprintf(tw, "hashes/s, failed sign-ins\t%.1f\t%.1f\t\n", floor.floodHashes(), flood.floodHashes())
	fmt.Fprintf(tw, "hashes/s the budget allows over the phase\t\t%.1f\t\n", (burst+secs*float64(time.Second)/float64(refill))/secs)
	tw.Flush()
}
