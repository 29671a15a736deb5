package assessment

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Sample is one utilisation measurement of a resource covering [Start, Start+Span).
// CPU and Mem are percentages (0–100) for the span (typically the span's own p95 or
// mean, as the monitoring system delivers them); NetBytes is the network traffic
// (in + out) during the span. Samples of one resource must be in time order and
// must not overlap.
type Sample struct {
	Start    time.Time     `json:"start"`
	Span     time.Duration `json:"span"`
	CPU      float64       `json:"cpu"`
	Mem      float64       `json:"mem"`
	NetBytes int64         `json:"net_bytes"`
}

// Resource is one cloud resource of a department (a VM, a database instance, ...).
type Resource struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"` // key into EfficiencyOptions.SizeLadders, e.g. "vm"
	Size string `json:"size,omitempty"` // current size, e.g. "4c8g"
}

// EfficiencyOptions configures idle and over-provisioned detection (第二十二条:
// 云资源是否闲置或配置过度). The zero value is not valid; start from
// DefaultEfficiencyOptions.
type EfficiencyOptions struct {
	// Idle: p95 CPU below IdleCPUPercent and network below IdleNetBytesPerDay
	// (traffic ÷ days of data) over the IdleWindow ending at the checkpoint.
	IdleWindow         time.Duration
	IdleCPUPercent     float64
	IdleNetBytesPerDay int64
	// Over-provisioned: p95 CPU below OverCPUPercent and p95 memory below
	// OverMemPercent over the OverWindow ending at the checkpoint.
	OverWindow     time.Duration
	OverCPUPercent float64
	OverMemPercent float64
	// MinCoverage: a window with less data than this is "insufficient data" and
	// the resource is never reported idle or over-provisioned on it.
	MinCoverage time.Duration
	// Percentile used for CPU and memory (default 95), nearest-rank.
	Percentile float64
	// SizeLadders lists, per resource kind, sizes from smallest to largest; an
	// over-provisioned resource is advised to move one size down.
	SizeLadders map[string][]string
}

// DefaultEfficiencyOptions: idle when p95 CPU < 5 % and network < 5 MB (5,000,000
// bytes) a day over 14 days; over-provisioned when p95 CPU and p95 memory < 40 %
// over 30 days; fewer than 30 hours of data is insufficient.
func DefaultEfficiencyOptions() EfficiencyOptions {
	return EfficiencyOptions{
		IdleWindow:         14 * 24 * time.Hour,
		IdleCPUPercent:     5,
		IdleNetBytesPerDay: 5_000_000,
		OverWindow:         30 * 24 * time.Hour,
		OverCPUPercent:     40,
		OverMemPercent:     40,
		MinCoverage:        30 * time.Hour,
		Percentile:         95,
		SizeLadders: map[string][]string{
			"vm": {"1c2g", "2c4g", "4c8g", "8c16g", "16c32g", "32c64g", "64c128g"},
			"db": {"1c2g", "2c4g", "4c8g", "8c16g", "16c32g", "32c64g"},
		},
	}
}

// Validate names the first bad field.
func (o *EfficiencyOptions) Validate() error {
	switch {
	case o.IdleWindow <= 0:
		return &OptionError{"IdleWindow", "must be positive"}
	case o.OverWindow <= 0:
		return &OptionError{"OverWindow", "must be positive"}
	case !(o.IdleCPUPercent > 0 && o.IdleCPUPercent <= 100):
		return &OptionError{"IdleCPUPercent", "must be in (0, 100]"}
	case o.IdleNetBytesPerDay < 0:
		return &OptionError{"IdleNetBytesPerDay", "must not be negative"}
	case !(o.OverCPUPercent > 0 && o.OverCPUPercent <= 100):
		return &OptionError{"OverCPUPercent", "must be in (0, 100]"}
	case !(o.OverMemPercent > 0 && o.OverMemPercent <= 100):
		return &OptionError{"OverMemPercent", "must be in (0, 100]"}
	case o.MinCoverage <= 0:
		return &OptionError{"MinCoverage", "must be positive"}
	case o.MinCoverage > o.IdleWindow || o.MinCoverage > o.OverWindow:
		return &OptionError{"MinCoverage", "must not exceed IdleWindow or OverWindow"}
	case !(o.Percentile > 0 && o.Percentile <= 100):
		return &OptionError{"Percentile", "must be in (0, 100]"}
	}
	for kind, l := range o.SizeLadders {
		seen := map[string]bool{}
		for _, s := range l {
			if s == "" || seen[s] {
				return &OptionError{"SizeLadders[" + kind + "]", "sizes must be non-empty and distinct"}
			}
			seen[s] = true
		}
	}
	return nil
}

// FindingKind classifies a resource at a checkpoint.
type FindingKind int

// Finding kinds.
const (
	Normal           FindingKind = iota // 正常
	Idle                                // 闲置
	Overprovisioned                     // 配置过度
	InsufficientData                    // 数据不足
)

var findingNames = [...][2]string{{"正常", "normal"}, {"闲置", "idle"}, {"配置过度", "over-provisioned"}, {"数据不足", "insufficient data"}}

// String returns the Chinese label.
func (k FindingKind) String() string {
	if k < 0 || int(k) >= len(findingNames) {
		return "FindingKind(" + strconv.Itoa(int(k)) + ")"
	}
	return findingNames[k][0]
}

// English returns the English label.
func (k FindingKind) English() string {
	if k < 0 || int(k) >= len(findingNames) {
		return k.String()
	}
	return findingNames[k][1]
}

var findingTokens = [...]string{"normal", "idle", "overprovisioned", "insufficient_data"}

// MarshalText writes a stable token: normal, idle, overprovisioned, insufficient_data.
func (k FindingKind) MarshalText() ([]byte, error) {
	if k < 0 || int(k) >= len(findingTokens) {
		return nil, fmt.Errorf("assessment: unknown finding kind %d", int(k))
	}
	return []byte(findingTokens[k]), nil
}

// UnmarshalText reads the MarshalText token.
func (k *FindingKind) UnmarshalText(b []byte) error {
	for i, t := range findingTokens {
		if t == string(b) {
			*k = FindingKind(i)
			return nil
		}
	}
	return fmt.Errorf("assessment: unknown finding kind %q", b)
}

// Finding is the classification of one resource at one checkpoint, with the
// window it was judged on and how much data that window had.
type Finding struct {
	ResourceID string        `json:"resource_id"`
	Kind       FindingKind   `json:"kind"`
	At         time.Time     `json:"at"`       // checkpoint (end of the windows)
	From       time.Time     `json:"from"`     // start of the deciding window
	Window     time.Duration `json:"window"`   // length of the deciding window
	Coverage   time.Duration `json:"coverage"` // data inside the deciding window
	Samples    int           `json:"samples"`
	CPUP       float64       `json:"cpu_p"` // percentile CPU over the deciding window (NaN-free: 0 when no data)
	MemP       float64       `json:"mem_p"`
	NetPerDay  float64       `json:"net_bytes_per_day"`
	Suggested  string        `json:"suggested_size,omitempty"` // over-provisioned: one size down
	Cost       int64         `json:"cost_fen"`                 // cost of the idle window, 分 (set by the assessor)
}

// CoverageRatio is Coverage ÷ Window.
func (f Finding) CoverageRatio() float64 {
	if f.Window <= 0 {
		return 0
	}
	return float64(f.Coverage) / float64(f.Window)
}

// Sentence explains the finding in Chinese ("zh") or English ("en").
func (f Finding) Sentence(lang string) string {
	days := fmtNum(f.Window.Hours() / 24)
	cov := fmtNum(math.Round(f.Coverage.Hours()*10) / 10)
	mb := fmtNum(math.Round(f.NetPerDay/1e4) / 100)
	if lang == "en" {
		s := fmt.Sprintf("resource %s: %s over %s days to %s (data %s h, %s%%)", f.ResourceID, f.Kind.English(), days,
			f.At.Format(time.DateOnly), cov, fmtScore(100*f.CoverageRatio()))
		if f.Kind != InsufficientData {
			s += fmt.Sprintf("; CPU p95 %s%%, memory p95 %s%%, network %s MB/day", fmtNum(f.CPUP), fmtNum(f.MemP), mb)
		}
		if f.Kind == Overprovisioned && f.Suggested != "" {
			s += "; suggest size " + f.Suggested
		}
		if f.Kind == Idle {
			s += fmt.Sprintf("; cost %s yuan", fen(f.Cost))
		}
		return s
	}
	s := fmt.Sprintf("资源 %s:截至 %s 的 %s 天内%s(数据 %s 小时,覆盖 %s%%)", f.ResourceID, f.At.Format(time.DateOnly), days,
		f.Kind, cov, fmtScore(100*f.CoverageRatio()))
	if f.Kind != InsufficientData {
		s += fmt.Sprintf(",CPU p95 %s%%,内存 p95 %s%%,网络 %s MB/天", fmtNum(f.CPUP), fmtNum(f.MemP), mb)
	}
	if f.Kind == Overprovisioned && f.Suggested != "" {
		s += ",建议降为 " + f.Suggested
	}
	if f.Kind == Idle {
		s += ",闲置费用 " + fen(f.Cost) + " 元"
	}
	return s
}

func fen(x int64) string {
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	return fmt.Sprintf("%s%d.%02d", sign, x/100, x%100)
}

// CheckSamples verifies that samples are in range, ordered and non-overlapping,
// naming the resource and the sample's start time of the first defect.
func CheckSamples(resourceID string, samples []Sample) error {
	for i := range samples {
		s := &samples[i]
		ok := s.Span > 0 && s.CPU >= 0 && s.CPU <= 100 && s.Mem >= 0 && s.Mem <= 100 && s.NetBytes >= 0 &&
			(i == 0 || !s.Start.Before(samples[i-1].Start.Add(samples[i-1].Span)))
		if ok {
			continue
		}
		id := resourceID + "@" + s.Start.Format(time.RFC3339)
		switch {
		case s.Span <= 0:
			return &RecordError{Kind: "sample", ID: id, Field: "span", Msg: "must be positive", Err: ErrInvalidRecord}
		case !(s.CPU >= 0 && s.CPU <= 100):
			return &RecordError{Kind: "sample", ID: id, Field: "cpu", Msg: fmt.Sprintf("%g%% outside 0..100", s.CPU), Err: ErrOutOfRange}
		case !(s.Mem >= 0 && s.Mem <= 100):
			return &RecordError{Kind: "sample", ID: id, Field: "mem", Msg: fmt.Sprintf("%g%% outside 0..100", s.Mem), Err: ErrOutOfRange}
		case s.NetBytes < 0:
			return &RecordError{Kind: "sample", ID: id, Field: "net_bytes", Msg: "negative", Err: ErrOutOfRange}
		case i > 0 && s.Start.Before(samples[i-1].Start.Add(samples[i-1].Span)):
			return &RecordError{Kind: "sample", ID: id, Field: "start", Msg: "overlaps or precedes the previous sample", Err: ErrInvalidRecord}
		}
	}
	return nil
}

// windowStats summarises the samples that start inside [from, to), clipping
// their spans to the window.
type windowStats struct {
	n        int
	coverage time.Duration
	cpuP     float64
	memP     float64
	netBytes int64
}

func (o *EfficiencyOptions) stats(samples []Sample, from, to time.Time, buf []float64) (windowStats, []float64) {
	// samples are ordered: find the first whose end is after from
	i := sort.Search(len(samples), func(i int) bool { return samples[i].Start.Add(samples[i].Span).After(from) })
	var ws windowStats
	buf = buf[:0]
	start := i
	for ; i < len(samples) && samples[i].Start.Before(to); i++ {
		s := &samples[i]
		a, b := s.Start, s.Start.Add(s.Span)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		ws.coverage += b.Sub(a)
		ws.netBytes += s.NetBytes
		buf = append(buf, s.CPU)
	}
	ws.n = len(buf)
	if ws.n == 0 {
		return ws, buf
	}
	ws.cpuP = Percentile(buf, o.Percentile)
	buf = buf[:0]
	for j := start; j < i; j++ {
		buf = append(buf, samples[j].Mem)
	}
	ws.memP = Percentile(buf, o.Percentile)
	return ws, buf
}

// Classify judges one resource at checkpoint at from its samples (which may span
// much more than the windows; they must satisfy CheckSamples). buf is scratch
// space reused across calls (pass nil at first; keep the returned one).
func (o *EfficiencyOptions) Classify(res Resource, samples []Sample, at time.Time, buf []float64) (Finding, []float64) {
	f := Finding{ResourceID: res.ID, At: at}
	idleFrom := at.Add(-o.IdleWindow)
	ws, buf := o.stats(samples, idleFrom, at, buf)
	f.From, f.Window, f.Coverage, f.Samples = idleFrom, o.IdleWindow, ws.coverage, ws.n
	f.CPUP, f.MemP = ws.cpuP, ws.memP
	if ws.coverage > 0 {
		f.NetPerDay = float64(ws.netBytes) / ws.coverage.Hours() * 24
	}
	if ws.coverage < o.MinCoverage {
		f.Kind = InsufficientData
		return f, buf
	}
	if ws.cpuP < o.IdleCPUPercent && f.NetPerDay < float64(o.IdleNetBytesPerDay) {
		f.Kind = Idle
		return f, buf
	}
	overFrom := at.Add(-o.OverWindow)
	wo, buf := o.stats(samples, overFrom, at, buf)
	if wo.coverage < o.MinCoverage { // cannot happen when OverWindow ≥ IdleWindow
		return f, buf
	}
	if wo.cpuP < o.OverCPUPercent && wo.memP < o.OverMemPercent {
		f.Kind = Overprovisioned
		f.From, f.Window, f.Coverage, f.Samples = overFrom, o.OverWindow, wo.coverage, wo.n
		f.CPUP, f.MemP = wo.cpuP, wo.memP
		f.NetPerDay = float64(wo.netBytes) / wo.coverage.Hours() * 24
		f.Suggested = o.oneSizeDown(res)
	}
	return f, buf
}

func (o *EfficiencyOptions) oneSizeDown(res Resource) string {
	l := o.SizeLadders[res.Kind]
	for i, s := range l {
		if s == res.Size && i > 0 {
			return l[i-1]
		}
	}
	return ""
}
