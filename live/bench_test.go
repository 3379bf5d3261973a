package live

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The fan-out benchmark: STRONGROOM_LIVE_VIEWERS sockets (default 1000)
// over TLS on loopback, held by a child process (this test binary again,
// as TestLiveBenchViewers) so that the server's heap is measured alone.
// Each iteration is one Publish that reaches every viewer; the child
// times each viewer's receipt against the publish time carried in the
// fragment and the benchmark reports, as medians over the iterations,
// the p50 and p99 latency of a viewer and the time until the last viewer
// had it, and the server's heap and goroutine stacks per viewer. Run it
// with a fixed count, since setting up 10,000 sockets is the slow part:
//
//	STRONGROOM_LIVE_VIEWERS=10000 go test -run '^$' -bench FanOut -benchtime 20x ./live
//
// Each process raises its soft open-files limit to the hard one.
func BenchmarkFanOutShared(b *testing.B)    { benchFanOut(b, true) }
func BenchmarkFanOutPerViewer(b *testing.B) { benchFanOut(b, false) }

const benchTopic = "bench/wall"

// benchRig is the server and the child's viewers, set up once for every
// run of the benchmarks in this process.
type benchRig struct {
	hub      *Hub
	srv      *httptest.Server
	child    *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Scanner
	viewers  int
	perHeap  float64
	perStack float64
	perG     float64
}

var (
	rigOnce sync.Once
	rig     *benchRig
	rigErr  error
)

func benchFanOut(b *testing.B, shared bool) {
	rigOnce.Do(func() { rig, rigErr = newBenchRig() })
	if rigErr != nil {
		b.Fatal(rigErr)
	}
	var p50s, p99s, lasts []float64
	b.ResetTimer()
	for range b.N {
		// Every viewer's fragment carries the time Publish began.
		start := strconv.FormatInt(time.Now().UnixNano(), 10)
		u := Update{Target: "t", Render: func(context.Context, Subscriber) (template.HTML, error) {
			return template.HTML(start), nil
		}}
		if shared {
			u.Key = func(Subscriber) string { return "everyone" }
		}
		if sent := rig.hub.Publish(context.Background(), benchTopic, u); sent != rig.viewers {
			b.Fatalf("Publish queued %d of %d", sent, rig.viewers)
		}
		fmt.Fprintln(rig.in, "wait")
		if !rig.out.Scan() {
			b.Fatalf("viewers' process ended: %v", rig.out.Err())
		}
		var p50, p99, last float64
		if _, err := fmt.Sscanf(rig.out.Text(), "done %f %f %f", &p50, &p99, &last); err != nil {
			b.Fatalf("viewers said %q", rig.out.Text())
		}
		p50s, p99s, lasts = append(p50s, p50), append(p99s, p99), append(lasts, last)
	}
	b.StopTimer()
	b.ReportMetric(float64(rig.viewers), "viewers")
	b.ReportMetric(median(p50s), "p50-ms")
	b.ReportMetric(median(p99s), "p99-ms")
	b.ReportMetric(median(lasts), "all-ms")
	b.ReportMetric(rig.perHeap, "heap-B/viewer")
	b.ReportMetric(rig.perStack, "stack-B/viewer")
	b.ReportMetric(rig.perG, "goroutines/viewer")
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func newBenchRig() (*benchRig, error) {
	raiseOpenFiles()
	n := 1000
	if s := os.Getenv("STRONGROOM_LIVE_VIEWERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			return nil, fmt.Errorf("STRONGROOM_LIVE_VIEWERS=%q: want a positive count", s)
		}
	}
	r := &benchRig{viewers: n}
	r.hub = NewHub(Config{Logger: slog.New(slog.DiscardHandler)})
	always := func(context.Context) error { return nil }
	r.srv = httptest.NewUnstartedServer(r.hub.Handler(HandlerOptions{
		Authenticate: func(req *http.Request) (Subscriber, error) {
			return Subscriber{Tenant: "acme", Kind: KindKiosk, Principal: "wall", Credential: req.Header.Get("X-Viewer"), Authorize: always}, nil
		},
		AllowTopic: func(context.Context, Subscriber, string) error { return nil },
	}))
	r.srv.Config.ErrorLog = nil
	r.srv.StartTLS()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()

	r.child = exec.Command(os.Args[0], "-test.run=^TestLiveBenchViewers$", "-test.v=false")
	r.child.Env = append(os.Environ(), "STRONGROOM_LIVE_BENCH_URL="+r.srv.URL,
		"STRONGROOM_LIVE_BENCH_CERT="+string(certPEM), "STRONGROOM_LIVE_VIEWERS="+strconv.Itoa(n))
	r.child.Stderr = os.Stderr
	var err error
	if r.in, err = r.child.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := r.child.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := r.child.Start(); err != nil {
		return nil, err
	}
	r.out = bufio.NewScanner(stdout)
	for r.out.Scan() && r.out.Text() != "ready" {
		fmt.Fprintln(os.Stderr, "viewers:", r.out.Text())
	}
	if got := r.hub.Count(); got != n {
		return nil, fmt.Errorf("%d of %d viewers connected", got, n)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	r.perHeap = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(n)
	r.perStack = float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
	r.perG = float64(runtime.NumGoroutine()-g0) / float64(n)
	return r, nil
}

// TestLiveBenchViewers is the benchmark's other half, run only as its
// child: it opens the viewers, says "ready", and for each "wait" on its
// input reports the latencies of the update every viewer receives next.
func TestLiveBenchViewers(t *testing.T) {
	base := os.Getenv("STRONGROOM_LIVE_BENCH_URL")
	if base == "" {
		t.Skip("the fan-out benchmark's child process")
	}
	raiseOpenFiles()
	n, _ := strconv.Atoi(os.Getenv("STRONGROOM_LIVE_VIEWERS"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(os.Getenv("STRONGROOM_LIVE_BENCH_CERT")))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: -1}}
	received := make(chan time.Duration, n)
	url := "wss" + strings.TrimPrefix(base, "https")
	dials := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		dials <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-dials }()
			if err := benchViewer(client, url, base, i, received); err != nil {
				t.Errorf("viewer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		lat := make([]float64, 0, n)
		for range n {
			lat = append(lat, float64(<-received)/float64(time.Millisecond))
		}
		slices.Sort(lat)
		fmt.Printf("done %.2f %.2f %.2f\n", lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
}

// benchViewer opens one socket, subscribes, and leaves a goroutine timing
// every update it receives.
func benchViewer(client *http.Client, url, origin string, i int, received chan<- time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h := http.Header{"Origin": {origin}, "X-Viewer": {strconv.Itoa(i)}}
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: client, HTTPHeader: h,
		CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return err
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"subscribe":"`+benchTopic+`"}`)); err != nil {
		return err
	}
	if _, _, err := ws.Read(ctx); err != nil { // "subscribed"
		return err
	}
	go func() {
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			now := time.Now()
			var m message
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			sent, _ := strconv.ParseInt(m.HTML, 10, 64)
			received <- now.Sub(time.Unix(0, sent))
		}
	}()
	return nil
}

// raiseOpenFiles lifts the soft limit on open files to the hard one: each
// socket is a file, and 10,000 of them pass the usual soft limit of 1024.
func raiseOpenFiles() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
