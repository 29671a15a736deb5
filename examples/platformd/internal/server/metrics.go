package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opengovcloud/govcloud/workflow"
)

// latencyBuckets are the upper bounds (seconds) of the request latency histogram.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics holds the service's counters, written in the Prometheus text
// exposition format (version 0.0.4) by WriteTo. Safe for concurrent use.
type Metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64
	latency  map[string]*histogram
	overdue  map[workflow.Party]int
	scans    uint64
	scanErrs uint64
	relayErr uint64
	expiry   workerRuns // quota holds released on expiry
	pruning  workerRuns // outbox messages deleted by the retention
}

// workerRuns counts the runs of a periodic worker, the failed ones and the
// items they handled.
type workerRuns struct {
	items, runs, errs uint64
}

func (w *workerRuns) record(items int, failed bool) {
	w.runs++
	w.items += uint64(items)
	if failed {
		w.errs++
	}
}

type reqKey struct {
	route  string
	status int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; last = +Inf
	sum    float64
	n      uint64
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{requests: map[reqKey]uint64{}, latency: map[string]*histogram{}, overdue: map[workflow.Party]int{}}
}

func (m *Metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, status}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	sec := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

// SetOverdue records the result of an overdue scan: the number of late
// applications per responsible party.
func (m *Metrics) SetOverdue(byParty map[workflow.Party]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scans++
	m.overdue = map[workflow.Party]int{}
	for p, n := range byParty {
		m.overdue[p] = n
	}
}

func (m *Metrics) scanFailed() {
	m.mu.Lock()
	m.scanErrs++
	m.mu.Unlock()
}

// expiryRun records one run of the hold expiry: the holds it released and
// whether it failed.
func (m *Metrics) expiryRun(released int, failed bool) {
	m.mu.Lock()
	m.expiry.record(released, failed)
	m.mu.Unlock()
}

// pruneRun records one run of the outbox pruning: the messages it deleted and
// whether it failed.
func (m *Metrics) pruneRun(pruned int, failed bool) {
	m.mu.Lock()
	m.pruning.record(pruned, failed)
	m.mu.Unlock()
}

func (m *Metrics) relayFailed() {
	m.mu.Lock()
	m.relayErr++
	m.mu.Unlock()
}

// Requests returns the count of requests of route (the mux pattern, e.g.
// "GET /v1/applications/{id}") answered with status.
func (m *Metrics) Requests(route string, status int) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests[reqKey{route, status}]
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// WriteTo writes the metrics in the Prometheus text format, sorted.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("# HELP platformd_http_requests_total HTTP requests by route and status.\n# TYPE platformd_http_requests_total counter\n")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return a.status - b.status
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "platformd_http_requests_total{route=\"%s\",status=\"%d\"} %d\n", escapeLabel(k.route), k.status, m.requests[k])
	}
	b.WriteString("# HELP platformd_http_request_duration_seconds HTTP request latency by route.\n# TYPE platformd_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h, lr := m.latency[r], escapeLabel(r)
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "platformd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %d\n", lr, fmtFloat(ub), cum)
		}
		fmt.Fprintf(&b, "platformd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", lr, h.n)
		fmt.Fprintf(&b, "platformd_http_request_duration_seconds_sum{route=\"%s\"} %s\n", lr, fmtFloat(h.sum))
		fmt.Fprintf(&b, "platformd_http_request_duration_seconds_count{route=\"%s\"} %d\n", lr, h.n)
	}
	b.WriteString("# HELP platformd_overdue_applications Applications whose responsible party is late, at the last scan.\n# TYPE platformd_overdue_applications gauge\n")
	for _, p := range []workflow.Party{workflow.PartyDepartment, workflow.PartyAuthority, workflow.PartyVendor} {
		fmt.Fprintf(&b, "platformd_overdue_applications{party=\"%s\"} %d\n", string(p), m.overdue[p])
	}
	fmt.Fprintf(&b, "# HELP platformd_overdue_scans_total Completed overdue scans.\n# TYPE platformd_overdue_scans_total counter\nplatformd_overdue_scans_total %d\n", m.scans)
	fmt.Fprintf(&b, "# HELP platformd_overdue_scan_errors_total Failed overdue scans.\n# TYPE platformd_overdue_scan_errors_total counter\nplatformd_overdue_scan_errors_total %d\n", m.scanErrs)
	fmt.Fprintf(&b, "# HELP platformd_relay_errors_total Outbox delivery errors.\n# TYPE platformd_relay_errors_total counter\nplatformd_relay_errors_total %d\n", m.relayErr)
	fmt.Fprintf(&b, "# HELP platformd_quota_holds_expired_total Quota holds released when their time-to-live passed.\n# TYPE platformd_quota_holds_expired_total counter\nplatformd_quota_holds_expired_total %d\n", m.expiry.items)
	fmt.Fprintf(&b, "# HELP platformd_quota_expiry_runs_total Runs of the quota hold expiry.\n# TYPE platformd_quota_expiry_runs_total counter\nplatformd_quota_expiry_runs_total %d\n", m.expiry.runs)
	fmt.Fprintf(&b, "# HELP platformd_quota_expiry_errors_total Failed runs of the quota hold expiry.\n# TYPE platformd_quota_expiry_errors_total counter\nplatformd_quota_expiry_errors_total %d\n", m.expiry.errs)
	fmt.Fprintf(&b, "# HELP platformd_outbox_pruned_total Outbox messages deleted by the retention (acknowledged by every subscriber).\n# TYPE platformd_outbox_pruned_total counter\nplatformd_outbox_pruned_total %d\n", m.pruning.items)
	fmt.Fprintf(&b, "# HELP platformd_outbox_prune_runs_total Runs of the outbox pruning.\n# TYPE platformd_outbox_prune_runs_total counter\nplatformd_outbox_prune_runs_total %d\n", m.pruning.runs)
	fmt.Fprintf(&b, "# HELP platformd_outbox_prune_errors_total Failed runs of the outbox pruning.\n# TYPE platformd_outbox_prune_errors_total counter\nplatformd_outbox_prune_errors_total %d\n", m.pruning.errs)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = s.metrics.WriteTo(w)
}
