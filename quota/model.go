package quota

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// PoolID identifies a pool. IDs are chosen by the caller ("zj-ali-private",
// "city", "dept-health-2027"); at most 128 bytes, no control characters.
type PoolID string

// PoolKind is a pool's level in the hierarchy. Applications, the fourth
// level, are not pools: they are [Reservation]s charged to a department pool.
type PoolKind string

// The pool levels, top down.
const (
	// KindPlatform is a vendor's capacity in one zone (the root of a tree).
	KindPlatform PoolKind = "platform"
	// KindTier is a city cloud, a district cloud or a dedicated domain
	// (专有域) carved out of a platform pool.
	KindTier PoolKind = "tier"
	// KindDepartment is a department's (yearly) quota carved out of a tier.
	KindDepartment PoolKind = "department"
)

var kindLabels = map[PoolKind][2]string{
	KindPlatform:   {"平台容量", "platform capacity"},
	KindTier:       {"层级资源池", "tier"},
	KindDepartment: {"部门配额", "department quota"},
}

// Label returns the label in lang.
func (k PoolKind) Label(lang Lang) string { return label(kindLabels, k, string(k), lang) }

// String returns the Chinese label.
func (k PoolKind) String() string { return k.Label(Chinese) }

func (k PoolKind) parent() PoolKind {
	switch k {
	case KindTier:
		return KindPlatform
	case KindDepartment:
		return KindTier
	}
	return ""
}

// TierKind says what a tier pool stands for (政务云管理暂行办法 第二条).
type TierKind string

// The tier kinds.
const (
	TierCity            TierKind = "city"             // 市级政务云
	TierDistrict        TierKind = "district"         // 区级政务云
	TierDedicatedDomain TierKind = "dedicated_domain" // 政务云专有域
)

var tierLabels = map[TierKind][2]string{
	TierCity:            {"市级政务云", "city cloud"},
	TierDistrict:        {"区级政务云", "district cloud"},
	TierDedicatedDomain: {"政务云专有域", "dedicated domain"},
}

// Label returns the label in lang.
func (t TierKind) Label(lang Lang) string { return label(tierLabels, t, string(t), lang) }

// String returns the Chinese label.
func (t TierKind) String() string { return t.Label(Chinese) }

func label[K comparable](m map[K][2]string, k K, raw string, lang Lang) string {
	l, ok := m[k]
	if !ok {
		return raw
	}
	if lang == English {
		return l[1]
	}
	return l[0]
}

// Pool is one node of the pool tree with its accounting. A pool tracks
// exactly the dimensions listed in Limit (an explicit zero included); a
// demand in any other dimension fails with ErrUnknownDimension.
//
// Invariant, kept by the [Ledger] in every transaction and per dimension:
//
//	Allotted + Held + Committed ≤ Limit
//
// where Allotted is the sum of the children's limits. Because every child's
// use is bounded by its own limit, the holds and commitments of a whole
// subtree never exceed the limit of its root.
type Pool struct {
	ID     PoolID   `json:"id"`
	Kind   PoolKind `json:"kind"`
	Parent PoolID   `json:"parent,omitempty"` // "" for a platform pool
	Name   string   `json:"name,omitempty"`

	Vendor     string   `json:"vendor,omitempty"`     // platform: the vendor (云服务商)
	Zone       string   `json:"zone,omitempty"`       // platform: e.g. "private" (专有云) or "public" (公有云)
	Tier       TierKind `json:"tier,omitempty"`       // tier
	Department string   `json:"department,omitempty"` // department: the department's ID
	Year       int      `json:"year,omitempty"`       // department: the fiscal year of the quota (0: not yearly)

	Limit Vector `json:"limit"`          // hard limit
	Warn  Vector `json:"warn,omitempty"` // warning thresholds: use at or above them is reported (0: none)

	Allotted  Vector `json:"allotted,omitempty"`  // Σ limits of the children
	Held      Vector `json:"held,omitempty"`      // Σ open holds of reservations in this pool
	Committed Vector `json:"committed,omitempty"` // Σ commitments of reservations in this pool

	Version   int64     `json:"version"` // incremented by every write
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Used returns Allotted + Held + Committed.
func (p Pool) Used() Vector {
	u, err := p.Allotted.Add(p.Held)
	if err == nil {
		u, err = u.Add(p.Committed)
	}
	if err != nil { // cannot happen: the ledger keeps Used ≤ Limit
		panic(fmt.Sprintf("quota: pool %q: %v", p.ID, err))
	}
	return u
}

// Free returns Limit − Used for every tracked dimension (zeros kept, so the
// keys are the tracked dimensions).
func (p Pool) Free() Vector {
	used := p.Used()
	free := make(Vector, len(p.Limit))
	for d, l := range p.Limit {
		free[d] = l - used[d]
	}
	return free
}

// Tracks reports whether p tracks dimension d.
func (p Pool) Tracks(d Dimension) bool {
	_, ok := p.Limit[d]
	return ok
}

// ReservationState is the state of an application's reservation.
type ReservationState string

// The reservation states.
const (
	// StateHeld: reserved at approval, a hold with a time-to-live.
	StateHeld ReservationState = "held"
	// StateCommitted: committed at activation; adjusted by changes and
	// elastic scaling.
	StateCommitted ReservationState = "committed"
	// StateReleased: everything returned (denial, trial failure, expiry,
	// termination, hold timeout). A new Reserve may reopen it.
	StateReleased ReservationState = "released"
)

var resStateLabels = map[ReservationState][2]string{
	StateHeld:      {"已预留", "held"},
	StateCommitted: {"已占用", "committed"},
	StateReleased:  {"已释放", "released"},
}

// Label returns the label in lang.
func (s ReservationState) Label(lang Lang) string {
	if s == "" {
		return label(resStateLabels, s, "none", lang)
	}
	return label(resStateLabels, s, string(s), lang)
}

// String returns the Chinese label.
func (s ReservationState) String() string { return s.Label(Chinese) }

// Bounds are the elastic-scaling bounds approved for an application
// (第十条: 业务量变化幅度较大的应用系统,可以根据实时需要动态弹性调整): the
// committed amount may move anywhere in [Min, Max] without a new approval.
type Bounds struct {
	Min Vector `json:"min,omitempty"`
	Max Vector `json:"max,omitempty"`
}

// Validate checks that Min and Max are valid and Min ≤ Max.
func (b Bounds) Validate() error {
	if err := b.Min.Validate(); err != nil {
		return err
	}
	if err := b.Max.Validate(); err != nil {
		return err
	}
	for _, d := range b.Min.sortedKeys() {
		if b.Min[d] > b.Max[d] {
			return &InputError{Field: "Bounds." + string(d), Reason: fmt.Sprintf("min %d > max %d", b.Min[d], b.Max[d])}
		}
	}
	return nil
}

// check returns a *BoundsError for the first dimension (sorted) of level
// outside b.
func (b Bounds) check(app string, level Vector) error {
	dims := map[Dimension]bool{}
	for _, v := range []Vector{b.Min, b.Max, level} {
		for d := range v {
			dims[d] = true
		}
	}
	ds := make([]Dimension, 0, len(dims))
	for d := range dims {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	for _, d := range ds {
		if l := level[d]; l < b.Min[d] || l > b.Max[d] {
			return &BoundsError{Application: app, Dim: d, Level: l, Min: b.Min[d], Max: b.Max[d]}
		}
	}
	return nil
}

// Reservation is the application level of the hierarchy: what one
// application holds and has committed in its department pool.
type Reservation struct {
	Application string           `json:"application"`
	Pool        PoolID           `json:"pool"`
	State       ReservationState `json:"state"`
	Held        Vector           `json:"held,omitempty"`
	Committed   Vector           `json:"committed,omitempty"`
	Bounds      *Bounds          `json:"bounds,omitempty"` // elastic-scaling bounds, nil when not elastic
	ExpiresAt   time.Time        `json:"expires_at"`       // hold's expiry while State is StateHeld
	Version     int64            `json:"version"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// MovementKind is the kind of a ledger movement.
type MovementKind string

// The ledger movements.
const (
	MoveHold    MovementKind = "hold"    // reserve at approval
	MoveCommit  MovementKind = "commit"  // hold → commitment at activation
	MoveAdjust  MovementKind = "adjust"  // commitment ± delta at a change
	MoveScale   MovementKind = "scale"   // elastic step within bounds
	MoveRelease MovementKind = "release" // hold or commitment returned
	MoveExpire  MovementKind = "expire"  // stale hold cleaned up after its TTL
	MoveExtend  MovementKind = "extend"  // hold's time-to-live extended
)

var moveLabels = map[MovementKind][2]string{
	MoveHold:    {"预留", "hold"},
	MoveCommit:  {"占用", "commit"},
	MoveAdjust:  {"变更调整", "adjust"},
	MoveScale:   {"弹性伸缩", "scale"},
	MoveRelease: {"释放", "release"},
	MoveExpire:  {"预留过期回收", "hold expired"},
	MoveExtend:  {"延长预留", "hold extended"},
}

// Label returns the label in lang.
func (k MovementKind) Label(lang Lang) string { return label(moveLabels, k, string(k), lang) }

// String returns the Chinese label.
func (k MovementKind) String() string { return k.Label(Chinese) }

// Reason is the lifecycle cause of a movement.
type Reason string

// The lifecycle causes.
const (
	ReasonApproval       Reason = "approval"        // 审批通过: hold
	ReasonActivation     Reason = "activation"      // 终审开通: commit
	ReasonChange         Reason = "change"          // 变更: adjust
	ReasonScale          Reason = "scale"           // 弹性伸缩: scale
	ReasonDenial         Reason = "denial"          // 审批不通过: release
	ReasonTrialFailure   Reason = "trial_failure"   // 试用未通过: release
	ReasonExpiry         Reason = "expiry"          // 试用或服务到期: release
	ReasonTermination    Reason = "termination"     // 终止回收: release
	ReasonHoldTimeout    Reason = "hold_timeout"    // 预留超时: expire
	ReasonTrialExtension Reason = "trial_extension" // 试用延期: extend
)

var reasonLabels = map[Reason][2]string{
	ReasonApproval:       {"审批通过", "approval"},
	ReasonActivation:     {"终审开通", "activation"},
	ReasonChange:         {"变更", "change"},
	ReasonScale:          {"弹性伸缩", "elastic scaling"},
	ReasonDenial:         {"审批不通过", "denial"},
	ReasonTrialFailure:   {"试用未通过", "trial failure"},
	ReasonExpiry:         {"到期", "expiry"},
	ReasonTermination:    {"终止", "termination"},
	ReasonHoldTimeout:    {"预留超时", "hold timeout"},
	ReasonTrialExtension: {"试用延期", "trial extension"},
}

// Label returns the label in lang.
func (r Reason) Label(lang Lang) string { return label(reasonLabels, r, string(r), lang) }

// String returns the Chinese label.
func (r Reason) String() string { return r.Label(Chinese) }

func (r Reason) releases() bool {
	switch r {
	case ReasonDenial, ReasonTrialFailure, ReasonExpiry, ReasonTermination, ReasonChange:
		return true
	}
	return false
}

// Cause says which lifecycle transition caused a movement. Transition is the
// caller's name for it (e.g. the workflow trigger "approve"); Seq is the
// application's transition sequence number, which with the application ID
// forms the default idempotency key.
type Cause struct {
	Transition string `json:"transition,omitempty"`
	Seq        int64  `json:"seq"`
	Actor      string `json:"actor,omitempty"`
}

// Movement is one recorded ledger entry. Held and Committed are the signed
// deltas applied to the reservation and to its pool.
type Movement struct {
	Seq         int64        `json:"seq"` // assigned by the store, ascending
	Key         string       `json:"key,omitempty"`
	Kind        MovementKind `json:"kind"`
	Reason      Reason       `json:"reason"`
	Application string       `json:"application"`
	Pool        PoolID       `json:"pool"`
	Held        Vector       `json:"held,omitempty"`
	Committed   Vector       `json:"committed,omitempty"`
	Cause       Cause        `json:"cause"`
	// Request is a canonical rendering of the request that made the
	// movement; a replay with the same Key must render the same.
	Request string    `json:"request"`
	At      time.Time `json:"at"`
}

// Approval records the approved request that allowed a department's quota
// to be raised.
type Approval struct {
	RequestID  string    `json:"request_id"`
	ApprovedBy string    `json:"approved_by"`
	ApprovedAt time.Time `json:"approved_at"`
}

// LimitChange records one change of a pool's limit or thresholds.
type LimitChange struct {
	Seq      int64     `json:"seq"`
	Key      string    `json:"key,omitempty"`
	Pool     PoolID    `json:"pool"`
	OldLimit Vector    `json:"old_limit,omitempty"`
	NewLimit Vector    `json:"new_limit"`
	OldWarn  Vector    `json:"old_warn,omitempty"`
	NewWarn  Vector    `json:"new_warn,omitempty"`
	Reason   string    `json:"reason"`
	Approval *Approval `json:"approval,omitempty"`
	At       time.Time `json:"at"`
}

// Warning reports a pool whose use reached a warning threshold.
type Warning struct {
	Pool      PoolID
	Dim       Dimension
	Used      int64
	Threshold int64
	Limit     int64
}

// String renders the warning in Chinese.
func (w Warning) String() string {
	return fmt.Sprintf("资源池 %q %s 已用 %d,达到预警阈值 %d(上限 %d)", string(w.Pool), w.Dim.Label(Chinese), w.Used, w.Threshold, w.Limit)
}

// canonical renders a vector deterministically for request fingerprints.
func canonical(v Vector) string {
	var b strings.Builder
	for i, d := range v.Dimensions() {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%d", string(d), v[d])
	}
	return b.String()
}

// copyVec copies v keeping explicit zeros (a pool's tracked dimensions).
func copyVec(v Vector) Vector {
	if v == nil {
		return nil
	}
	out := make(Vector, len(v))
	for d, a := range v {
		out[d] = a
	}
	return out
}
