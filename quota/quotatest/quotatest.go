// Package quotatest is the conformance suite every quota.Store must pass:
// adapters/memstore runs it, and adapters/gormstore on SQLite and on
// PostgreSQL. Run drives the store through a quota.Ledger, so it checks the
// store's transactions (atomicity, isolation, version checks, idempotency
// keys) together with the rules the ledger builds on them.
package quotatest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/quota"
)

// Clock is a settable clock for tests. Safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Epoch is the suite's starting time.
var Epoch = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// Fixture is a three-level tree: platform "p" (vendor v, zone private) →
// tier "city" → departments "health" and "edu".
type Fixture struct {
	Ledger *quota.Ledger
	Clock  *Clock
}

// PlatformCap is the fixture's platform capacity.
var PlatformCap = quota.Vector{quota.VCPU: 100_000, quota.Memory: 409_600, quota.Storage: 10_000, quota.PublicIPs: 20}

// NewFixture builds the tree on store s. The department "health" has limit
// 40 vCPU, 160 GiB, 4 TB, 5 IPs with warnings at 80 % of vCPU.
func NewFixture(t testing.TB, s quota.Store) Fixture {
	t.Helper()
	clk := NewClock(Epoch)
	l, err := quota.NewLedger(s, quota.Options{Clock: clk, HoldTTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(_ quota.Pool, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.CreatePool(ctx, quota.PoolSpec{ID: "p", Kind: quota.KindPlatform, Vendor: "v", Zone: "private", Limit: PlatformCap}))
	must(l.CreatePool(ctx, quota.PoolSpec{ID: "city", Kind: quota.KindTier, Parent: "p", Tier: quota.TierCity,
		Limit: quota.Vector{quota.VCPU: 80_000, quota.Memory: 300_000, quota.Storage: 8_000, quota.PublicIPs: 10}}))
	must(l.CreatePool(ctx, quota.PoolSpec{ID: "health", Kind: quota.KindDepartment, Parent: "city", Department: "health", Year: 2027,
		Limit: quota.Vector{quota.VCPU: 40_000, quota.Memory: 163_840, quota.Storage: 4_000, quota.PublicIPs: 5},
		Warn:  quota.Vector{quota.VCPU: 32_000}}))
	must(l.CreatePool(ctx, quota.PoolSpec{ID: "edu", Kind: quota.KindDepartment, Parent: "city", Department: "edu", Year: 2027,
		Limit: quota.Vector{quota.VCPU: 20_000, quota.Memory: 81_920, quota.Storage: 2_000}}))
	return Fixture{Ledger: l, Clock: clk}
}

// Run runs the conformance suite; newStore returns a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) quota.Store) {
	t.Run("Hierarchy", func(t *testing.T) { testHierarchy(t, newStore(t)) })
	t.Run("Limits", func(t *testing.T) { testLimits(t, newStore(t)) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newStore(t)) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newStore(t)) })
	t.Run("EarlyFeedback", func(t *testing.T) { testCheck(t, newStore(t)) })
	t.Run("BadInputWritesNothing", func(t *testing.T) { testBadInput(t, newStore(t)) })
	t.Run("HoldExpiry", func(t *testing.T) { testExpiry(t, newStore(t)) })
	t.Run("Elastic", func(t *testing.T) { testElastic(t, newStore(t)) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore(t)) })
	t.Run("RandomOperations", func(t *testing.T) { testRandomOps(t, newStore(t)) })
}

// State is everything a store holds, for before/after comparisons.
type State struct {
	Pools        []quota.Pool
	Reservations []quota.Reservation
	Movements    []quota.Movement
	Limits       []quota.LimitChange
}

// Snapshot reads the whole state of s.
func Snapshot(t testing.TB, s quota.Store) State {
	t.Helper()
	var st State
	err := s.View(context.Background(), func(ctx context.Context, tx quota.Tx) error {
		var err error
		if st.Pools, err = tx.Pools(ctx); err != nil {
			return err
		}
		if st.Reservations, err = tx.Reservations(ctx, ""); err != nil {
			return err
		}
		if st.Movements, err = tx.Movements(ctx, quota.MovementFilter{}); err != nil {
			return err
		}
		st.Limits, err = tx.LimitChanges(ctx, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// CheckInvariants verifies the accounting of s: for every pool, Allotted is
// the sum of its children's limits, Held and Committed are the sums over its
// reservations, and Allotted+Held+Committed ≤ Limit; every reservation equals
// the sum of its recorded movements (nothing leaks); no hold or commitment is
// negative.
func CheckInvariants(t testing.TB, s quota.Store) State {
	t.Helper()
	st := Snapshot(t, s)
	allotted := map[quota.PoolID]quota.Vector{}
	held := map[quota.PoolID]quota.Vector{}
	committed := map[quota.PoolID]quota.Vector{}
	add := func(m map[quota.PoolID]quota.Vector, id quota.PoolID, v quota.Vector) {
		s, err := m[id].Add(v)
		if err != nil {
			t.Fatal(err)
		}
		m[id] = s
	}
	for _, p := range st.Pools {
		if p.Parent != "" {
			add(allotted, p.Parent, p.Limit)
		}
	}
	for _, r := range st.Reservations {
		if err := r.Held.Validate(); err != nil {
			t.Errorf("reservation %s held: %v", r.Application, err)
		}
		if err := r.Committed.Validate(); err != nil {
			t.Errorf("reservation %s committed: %v", r.Application, err)
		}
		add(held, r.Pool, r.Held)
		add(committed, r.Pool, r.Committed)
	}
	for _, p := range st.Pools {
		if !p.Allotted.Equal(allotted[p.ID]) {
			t.Errorf("pool %s: Allotted %v, children's limits sum to %v", p.ID, p.Allotted, allotted[p.ID])
		}
		if !p.Held.Equal(held[p.ID]) {
			t.Errorf("pool %s: Held %v, reservations hold %v", p.ID, p.Held, held[p.ID])
		}
		if !p.Committed.Equal(committed[p.ID]) {
			t.Errorf("pool %s: Committed %v, reservations commit %v", p.ID, p.Committed, committed[p.ID])
		}
		if !p.Used().LessEq(p.Limit) {
			t.Errorf("pool %s: used %v exceeds limit %v", p.ID, p.Used(), p.Limit)
		}
	}
	// Replay the movements: they must add up to every reservation.
	mh := map[string]quota.Vector{}
	mc := map[string]quota.Vector{}
	seen := map[string]bool{}
	var last int64
	for _, m := range st.Movements {
		if m.Seq <= last {
			t.Errorf("movement %q: seq %d after %d", m.Key, m.Seq, last)
		}
		last = m.Seq
		if seen[m.Key] {
			t.Errorf("movement key %q recorded twice", m.Key)
		}
		seen[m.Key] = true
		var err error
		if mh[m.Application], err = mh[m.Application].Add(m.Held); err != nil {
			t.Fatal(err)
		}
		if mc[m.Application], err = mc[m.Application].Add(m.Committed); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range st.Reservations {
		if !mh[r.Application].Equal(r.Held) || !mc[r.Application].Equal(r.Committed) {
			t.Errorf("reservation %s holds %v / commits %v but its movements sum to %v / %v",
				r.Application, r.Held, r.Committed, mh[r.Application], mc[r.Application])
		}
	}
	return st
}

func ctxb() context.Context { return context.Background() }

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testHierarchy(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	p, err := l.Pool(ctxb(), "p")
	noErr(t, "read platform", err)
	if d := cmp.Diff(quota.Vector{quota.VCPU: 80_000, quota.Memory: 300_000, quota.Storage: 8_000, quota.PublicIPs: 10}, p.Allotted); d != "" {
		t.Errorf("platform allotted (-want +got):\n%s", d)
	}
	city, err := l.Pool(ctxb(), "city")
	noErr(t, "read city", err)
	if d := cmp.Diff(quota.Vector{quota.VCPU: 20_000, quota.Memory: 300_000 - 163_840 - 81_920, quota.Storage: 2_000, quota.PublicIPs: 5}, city.Free()); d != "" {
		t.Errorf("city free (-want +got):\n%s", d)
	}
	if city.Kind != quota.KindTier || city.Tier != quota.TierCity || city.Parent != "p" {
		t.Errorf("city pool = %+v", city)
	}

	before := Snapshot(t, s)
	// A child limit above the parent's free capacity names the parent and
	// every short dimension.
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "big", Kind: quota.KindDepartment, Parent: "city", Department: "big",
		Limit: quota.Vector{quota.VCPU: 25_000, quota.Storage: 1_000, quota.PublicIPs: 6}})
	var ee *quota.ExceededError
	if !errors.As(err, &ee) || !errors.Is(err, quota.ErrParentCapacity) {
		t.Fatalf("oversized child: err = %v, want *ExceededError matching ErrParentCapacity", err)
	}
	want := &quota.ExceededError{Pool: "big", Parent: "city", Shortfalls: []quota.DimShortfall{
		{Dim: quota.PublicIPs, Need: 6, Free: 5, Short: 1},
		{Dim: quota.VCPU, Need: 25_000, Free: 20_000, Short: 5_000},
	}}
	if d := cmp.Diff(want, ee); d != "" {
		t.Errorf("shortfalls (-want +got):\n%s", d)
	}
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "x", Kind: quota.KindDepartment, Parent: "nowhere", Department: "x"})
	wantErr(t, "unknown parent", err, quota.ErrUnknownPool)
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "x", Kind: quota.KindDepartment, Parent: "p", Department: "x"})
	wantErr(t, "department under platform", err, quota.ErrInvalid)
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "x", Kind: quota.KindDepartment, Parent: "city", Department: "x",
		Limit: quota.Vector{quota.DBInstances: 1}})
	wantErr(t, "dimension the parent lacks", err, quota.ErrUnknownDimension)
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "edu", Kind: quota.KindDepartment, Parent: "city", Department: "edu"})
	wantErr(t, "duplicate pool", err, quota.ErrExists)
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "p2", Kind: quota.KindPlatform, Vendor: "v", Zone: "public",
		Limit: quota.Vector{quota.VCPU: 10}, Warn: quota.Vector{quota.VCPU: 11}})
	wantErr(t, "warning above limit", err, quota.ErrInvalid)
	if d := cmp.Diff(before, Snapshot(t, s)); d != "" {
		t.Errorf("failed creations wrote (-before +after):\n%s", d)
	}
	// A dedicated domain (专有域) and a district tier fit in the rest.
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "dd", Kind: quota.KindTier, Parent: "p", Tier: quota.TierDedicatedDomain,
		Limit: quota.Vector{quota.VCPU: 20_000}})
	noErr(t, "dedicated domain", err)
	_, err = l.CreatePool(ctxb(), quota.PoolSpec{ID: "district", Kind: quota.KindTier, Parent: "p", Tier: quota.TierDistrict,
		Limit: quota.Vector{quota.VCPU: 1}})
	wantErr(t, "platform vCPU exhausted", err, quota.ErrParentCapacity)
	CheckInvariants(t, s)
}

func testLimits(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	raise := quota.Vector{quota.VCPU: 50_000, quota.Memory: 163_840, quota.Storage: 4_000, quota.PublicIPs: 5}
	before := Snapshot(t, s)
	_, err := l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "health", Limit: raise, Reason: "more"})
	wantErr(t, "raise without approval", err, quota.ErrApprovalRequired)
	_, err = l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "health", Limit: quota.Vector{quota.VCPU: 70_000, quota.Memory: 163_840, quota.Storage: 4_000, quota.PublicIPs: 5},
		Approval: &quota.Approval{RequestID: "req-1", ApprovedBy: "authority", ApprovedAt: Epoch}})
	wantErr(t, "raise beyond the tier's free capacity", err, quota.ErrParentCapacity)
	if d := cmp.Diff(before, Snapshot(t, s)); d != "" {
		t.Errorf("refused raises wrote (-before +after):\n%s", d)
	}
	ap := &quota.Approval{RequestID: "req-2", ApprovedBy: "authority", ApprovedAt: Epoch.Add(time.Hour)}
	p, err := l.SetLimit(ctxb(), quota.SetLimitRequest{Key: "req-2", Pool: "health", Limit: raise, Reason: "yearly quota increase", Approval: ap})
	noErr(t, "approved raise", err)
	if p.Limit[quota.VCPU] != 50_000 {
		t.Errorf("limit after raise = %v", p.Limit)
	}
	again, err := l.SetLimit(ctxb(), quota.SetLimitRequest{Key: "req-2", Pool: "health", Limit: raise, Reason: "yearly quota increase", Approval: ap})
	noErr(t, "replayed raise", err)
	if again.Version != p.Version {
		t.Errorf("replay wrote: version %d → %d", p.Version, again.Version)
	}
	_, err = l.SetLimit(ctxb(), quota.SetLimitRequest{Key: "req-2", Pool: "health", Limit: PlatformCap, Approval: ap})
	wantErr(t, "key reused for another change", err, quota.ErrConflict)
	changes, err := l.LimitChanges(ctxb(), "health")
	noErr(t, "limit changes", err)
	if len(changes) != 2 || changes[1].Approval == nil || changes[1].Approval.RequestID != "req-2" ||
		!changes[1].OldLimit.Equal(quota.Vector{quota.VCPU: 40_000, quota.Memory: 163_840, quota.Storage: 4_000, quota.PublicIPs: 5}) ||
		!changes[1].NewLimit.Equal(raise) || changes[1].Reason != "yearly quota increase" {
		t.Errorf("recorded changes = %+v", changes)
	}
	city, _ := l.Pool(ctxb(), "city")
	if city.Allotted[quota.VCPU] != 70_000 {
		t.Errorf("city allotted vCPU = %d, want 70000", city.Allotted[quota.VCPU])
	}
	// Lowering below what is held fails with the dimension named.
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "a1", Pool: "health", Amount: quota.Vector{quota.VCPU: 30_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve", err)
	_, err = l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "health", Limit: quota.Vector{quota.VCPU: 20_000, quota.Memory: 1, quota.Storage: 1, quota.PublicIPs: 1}})
	var ue *quota.UseError
	if !errors.As(err, &ue) || ue.Dim != quota.VCPU || ue.Used != 30_000 {
		t.Fatalf("lower below use: err = %v", err)
	}
	// Lowering a department needs no approval and returns capacity to the tier.
	_, err = l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "health", Limit: quota.Vector{quota.VCPU: 30_000, quota.Memory: 100_000, quota.Storage: 4_000, quota.PublicIPs: 5}})
	wantErr(t, "lower below the warning threshold", err, quota.ErrInvalid)
	_, err = l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "health", Limit: quota.Vector{quota.VCPU: 30_000, quota.Memory: 100_000, quota.Storage: 4_000, quota.PublicIPs: 5},
		Warn: quota.Vector{quota.VCPU: 24_000}})
	noErr(t, "lower", err)
	city, _ = l.Pool(ctxb(), "city")
	if city.Allotted[quota.VCPU] != 50_000 {
		t.Errorf("city allotted vCPU = %d, want 50000", city.Allotted[quota.VCPU])
	}
	// A tier's limit (not a department's) may rise without an approval record.
	_, err = l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "city", Limit: quota.Vector{quota.VCPU: 90_000, quota.Memory: 300_000, quota.Storage: 8_000, quota.PublicIPs: 10}})
	noErr(t, "raise tier", err)
	CheckInvariants(t, s)
}

func testLifecycle(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	app := "app-1"
	amt := quota.Vector{quota.VCPU: 8_000, quota.Memory: 16_384, quota.Storage: 500, quota.PublicIPs: 1}
	rc, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: app, Pool: "health", Amount: amt,
		Cause: quota.Cause{Transition: "approve", Seq: 3, Actor: "authority"}})
	noErr(t, "reserve", err)
	if rc.Reservation.State != quota.StateHeld || !rc.Reservation.ExpiresAt.Equal(Epoch.Add(24*time.Hour)) {
		t.Errorf("reservation after hold = %+v", rc.Reservation)
	}
	if rc.Movement.Key != "app-1/3" || rc.Movement.Kind != quota.MoveHold || rc.Movement.Reason != quota.ReasonApproval ||
		rc.Movement.Cause.Transition != "approve" || !rc.Movement.Held.Equal(amt) {
		t.Errorf("hold movement = %+v", rc.Movement)
	}
	p, _ := l.Pool(ctxb(), "health")
	if !p.Held.Equal(amt) || !p.Committed.IsZero() {
		t.Errorf("pool after hold: held %v committed %v", p.Held, p.Committed)
	}
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: app, Pool: "health", Amount: amt, Cause: quota.Cause{Seq: 4}})
	wantErr(t, "second reserve", err, quota.ErrState)

	f.Clock.Advance(time.Hour)
	rc, err = l.Commit(ctxb(), quota.CommitRequest{Application: app, Cause: quota.Cause{Transition: "final_review", Seq: 9}})
	noErr(t, "commit", err)
	if rc.Reservation.State != quota.StateCommitted || !rc.Reservation.Committed.Equal(amt) || !rc.Reservation.Held.IsZero() {
		t.Errorf("after commit: %+v", rc.Reservation)
	}
	// A change: +4 vCPU, −8 GiB memory.
	delta := quota.Vector{quota.VCPU: 4_000, quota.Memory: -8_192}
	rc, err = l.Adjust(ctxb(), quota.AdjustRequest{Application: app, Delta: delta, Cause: quota.Cause{Transition: "change", Seq: 12}})
	noErr(t, "adjust", err)
	wantC := quota.Vector{quota.VCPU: 12_000, quota.Memory: 8_192, quota.Storage: 500, quota.PublicIPs: 1}
	if !rc.Reservation.Committed.Equal(wantC) || !rc.Movement.Committed.Equal(delta) || rc.Movement.Reason != quota.ReasonChange {
		t.Errorf("after adjust: %+v / %+v", rc.Reservation, rc.Movement)
	}
	// Warning threshold (32 vCPU) reached by a second application.
	rc, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "app-2", Pool: "health", Amount: quota.Vector{quota.VCPU: 20_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve app-2", err)
	if d := cmp.Diff([]quota.Warning{{Pool: "health", Dim: quota.VCPU, Used: 32_000, Threshold: 32_000, Limit: 40_000}}, rc.Warnings); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	// Denial releases app-2's hold.
	_, err = l.Release(ctxb(), quota.ReleaseRequest{Application: "app-2", Reason: quota.ReasonDenial, Cause: quota.Cause{Seq: 2}})
	noErr(t, "release at denial", err)
	// Partial release at a change, then termination releases the rest.
	_, err = l.Release(ctxb(), quota.ReleaseRequest{Application: app, Amount: quota.Vector{quota.Storage: 600}, Reason: quota.ReasonChange, Cause: quota.Cause{Seq: 13}})
	var re *quota.ReleaseError
	if !errors.As(err, &re) || re.Dim != quota.Storage || re.Release != 600 || re.Held != 500 {
		t.Fatalf("over-release: err = %v", err)
	}
	_, err = l.Release(ctxb(), quota.ReleaseRequest{Application: app, Amount: quota.Vector{quota.Storage: 100}, Reason: quota.ReasonChange, Cause: quota.Cause{Seq: 13}})
	noErr(t, "partial release", err)
	rc, err = l.Release(ctxb(), quota.ReleaseRequest{Application: app, Reason: quota.ReasonTermination, Cause: quota.Cause{Transition: "reclaim", Seq: 20}})
	noErr(t, "termination", err)
	if rc.Reservation.State != quota.StateReleased || !rc.Movement.Committed.Equal(quota.Vector{quota.VCPU: -12_000, quota.Memory: -8_192, quota.Storage: -400, quota.PublicIPs: -1}) {
		t.Errorf("after termination: %+v / %+v", rc.Reservation, rc.Movement)
	}
	_, err = l.Release(ctxb(), quota.ReleaseRequest{Application: app, Reason: quota.ReasonTermination, Cause: quota.Cause{Seq: 21}})
	wantErr(t, "release of a released reservation", err, quota.ErrState)
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "ghost", Cause: quota.Cause{Seq: 1}})
	wantErr(t, "commit without reservation", err, quota.ErrNoReservation)

	ms, err := l.Movements(ctxb(), quota.MovementFilter{Application: app})
	noErr(t, "movements", err)
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, fmt.Sprintf("%s/%s/%s", string(m.Kind), string(m.Reason), m.Key))
	}
	want := []string{"hold/approval/app-1/3", "commit/activation/app-1/9", "adjust/change/app-1/12", "release/change/app-1/13", "release/termination/app-1/20"}
	if d := cmp.Diff(want, kinds); d != "" {
		t.Errorf("movements (-want +got):\n%s", d)
	}
	p, _ = l.Pool(ctxb(), "health")
	if !p.Held.IsZero() || !p.Committed.IsZero() {
		t.Errorf("pool after everything released: held %v committed %v", p.Held, p.Committed)
	}
	rs, err := l.Reservations(ctxb(), "health")
	noErr(t, "reservations", err)
	var states []string
	for _, r := range rs {
		states = append(states, r.Application+":"+string(r.State))
	}
	if d := cmp.Diff([]string{"app-1:released", "app-2:released"}, states); d != "" {
		t.Errorf("reservations (-want +got):\n%s", d)
	}
	// A released application may be reserved again (e.g. resubmitted).
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: app, Pool: "edu", Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 30}})
	noErr(t, "reserve again", err)
	CheckInvariants(t, s)
}

func testIdempotency(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	req := quota.ReserveRequest{Application: "a", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 1}}
	first, err := l.Reserve(ctxb(), req)
	noErr(t, "reserve", err)
	second, err := l.Reserve(ctxb(), req)
	noErr(t, "replayed reserve", err)
	if !second.Replayed || second.Movement.Seq != first.Movement.Seq {
		t.Errorf("replay: %+v", second)
	}
	req.Amount = quota.Vector{quota.VCPU: 2_000}
	_, err = l.Reserve(ctxb(), req)
	var kc *quota.KeyConflictError
	if !errors.As(err, &kc) || kc.Key != "a/1" {
		t.Fatalf("same key, other amount: err = %v", err)
	}
	c := quota.CommitRequest{Application: "a", Cause: quota.Cause{Seq: 2}}
	_, err = l.Commit(ctxb(), c)
	noErr(t, "commit", err)
	rc, err := l.Commit(ctxb(), c)
	noErr(t, "replayed commit", err)
	if !rc.Replayed {
		t.Error("commit replay not reported")
	}
	r := quota.ReleaseRequest{Application: "a", Reason: quota.ReasonTermination, Key: "terminate-a"}
	_, err = l.Release(ctxb(), r)
	noErr(t, "release", err)
	_, err = l.Release(ctxb(), r)
	noErr(t, "replayed release", err)
	ms, _ := l.Movements(ctxb(), quota.MovementFilter{})
	if len(ms) != 3 {
		t.Errorf("%d movements, want 3", len(ms))
	}
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "a"})
	wantErr(t, "no key and no sequence", err, quota.ErrInvalid)
	CheckInvariants(t, s)
}

func testCheck(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	noErr(t, "fits", l.Check(ctxb(), "health", quota.Vector{quota.VCPU: 40_000}))
	err := l.Check(ctxb(), "health", quota.Vector{quota.VCPU: 48_000, quota.Memory: 1_000, quota.Storage: 5_000, quota.PublicIPs: 5})
	wantErr(t, "check", err, quota.ErrQuotaExceeded)
	var ee *quota.ExceededError
	if !errors.As(err, &ee) {
		t.Fatalf("check: %T", err)
	}
	want := &quota.ExceededError{Pool: "health", Shortfalls: []quota.DimShortfall{
		{Dim: quota.Storage, Need: 5_000, Free: 4_000, Short: 1_000},
		{Dim: quota.VCPU, Need: 48_000, Free: 40_000, Short: 8_000},
	}}
	if d := cmp.Diff(want, ee); d != "" {
		t.Errorf("shortfalls (-want +got):\n%s", d)
	}
	wantErr(t, "unknown dimension", l.Check(ctxb(), "edu", quota.Vector{quota.PublicIPs: 1}), quota.ErrUnknownDimension)
	wantErr(t, "unknown pool", l.Check(ctxb(), "nope", quota.Vector{quota.VCPU: 1}), quota.ErrUnknownPool)
	wantErr(t, "negative", l.Check(ctxb(), "health", quota.Vector{quota.VCPU: -1}), quota.ErrNegative)
	// Holds count against the quota.
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "a", Pool: "health", Amount: quota.Vector{quota.VCPU: 39_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve", err)
	wantErr(t, "check after hold", l.Check(ctxb(), "health", quota.Vector{quota.VCPU: 2_000}), quota.ErrQuotaExceeded)
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "b", Pool: "health", Amount: quota.Vector{quota.VCPU: 2_000}, Cause: quota.Cause{Seq: 1}})
	wantErr(t, "reserve beyond quota", err, quota.ErrQuotaExceeded)
}

func testBadInput(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "ok", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve", err)
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "ok", Cause: quota.Cause{Seq: 2}})
	noErr(t, "commit", err)
	before := Snapshot(t, s)
	type op struct {
		name string
		run  func() error
		want error
	}
	ops := []op{
		{"negative amount", func() error {
			_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "x", Pool: "health", Amount: quota.Vector{quota.Memory: -1}, Cause: quota.Cause{Seq: 1}})
			return err
		}, quota.ErrNegative},
		{"overflowing amount", func() error {
			_, err := l.Adjust(ctxb(), quota.AdjustRequest{Application: "ok", Delta: quota.Vector{quota.VCPU: math.MaxInt64}, Cause: quota.Cause{Seq: 3}})
			return err
		}, quota.ErrOverflow},
		{"unknown pool", func() error {
			_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "x", Pool: "nope", Amount: quota.Vector{quota.VCPU: 1}, Cause: quota.Cause{Seq: 1}})
			return err
		}, quota.ErrUnknownPool},
		{"unknown dimension", func() error {
			_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "x", Pool: "health", Amount: quota.Vector{quota.DBInstances: 1}, Cause: quota.Cause{Seq: 1}})
			return err
		}, quota.ErrUnknownDimension},
		{"malformed dimension", func() error {
			_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "x", Pool: "health", Amount: quota.Vector{"v CPU": 1}, Cause: quota.Cause{Seq: 1}})
			return err
		}, quota.ErrInvalidDimension},
		{"release more than held", func() error {
			_, err := l.Release(ctxb(), quota.ReleaseRequest{Application: "ok", Amount: quota.Vector{quota.VCPU: 1_001}, Reason: quota.ReasonChange, Cause: quota.Cause{Seq: 3}})
			return err
		}, quota.ErrOverRelease},
		{"adjust below zero", func() error {
			_, err := l.Adjust(ctxb(), quota.AdjustRequest{Application: "ok", Delta: quota.Vector{quota.VCPU: -2_000}, Cause: quota.Cause{Seq: 3}})
			return err
		}, quota.ErrOverRelease},
		{"reserve in a tier pool", func() error {
			_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "x", Pool: "city", Amount: quota.Vector{quota.VCPU: 1}, Cause: quota.Cause{Seq: 1}})
			return err
		}, quota.ErrInvalid},
		{"child limit above parent's free", func() error {
			_, err := l.SetLimit(ctxb(), quota.SetLimitRequest{Pool: "city", Limit: quota.Vector{quota.VCPU: 100_001, quota.Memory: 300_000, quota.Storage: 8_000, quota.PublicIPs: 10}})
			return err
		}, quota.ErrParentCapacity},
		{"bad release reason", func() error {
			_, err := l.Release(ctxb(), quota.ReleaseRequest{Application: "ok", Reason: quota.ReasonApproval, Cause: quota.Cause{Seq: 3}})
			return err
		}, quota.ErrInvalid},
		{"empty application", func() error {
			_, err := l.Reserve(ctxb(), quota.ReserveRequest{Pool: "health", Key: "k", Amount: quota.Vector{quota.VCPU: 1}})
			return err
		}, quota.ErrInvalid},
	}
	for _, o := range ops {
		err := o.run()
		if !errors.Is(err, o.want) {
			t.Errorf("%s: err = %v, want %v", o.name, err, o.want)
		}
	}
	var de *quota.DimensionError
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "x", Pool: "health", Amount: quota.Vector{quota.DBInstances: 1}, Cause: quota.Cause{Seq: 1}})
	if !errors.As(err, &de) || de.Dim != quota.DBInstances {
		t.Errorf("unknown dimension error %v does not name it", err)
	}
	if d := cmp.Diff(before, Snapshot(t, s)); d != "" {
		t.Errorf("bad input wrote (-before +after):\n%s", d)
	}
}

func testExpiry(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "short", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, TTL: time.Hour, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve short", err)
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "long", Pool: "edu", Amount: quota.Vector{quota.VCPU: 2_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve long", err)
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "extended", Pool: "edu", Amount: quota.Vector{quota.VCPU: 500}, TTL: time.Hour, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve extended", err)
	f.Clock.Advance(30 * time.Minute)
	_, err = l.ExtendHold(ctxb(), quota.ExtendRequest{Application: "extended", TTL: 48 * time.Hour, Cause: quota.Cause{Transition: "extend_trial", Seq: 2}})
	noErr(t, "extend", err)
	f.Clock.Advance(time.Hour)
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "short", Cause: quota.Cause{Seq: 2}})
	wantErr(t, "commit of an expired hold", err, quota.ErrHoldExpired)
	ms, err := l.ExpireHolds(ctxb())
	noErr(t, "expire", err)
	if len(ms) != 1 || ms[0].Application != "short" || ms[0].Kind != quota.MoveExpire || ms[0].Reason != quota.ReasonHoldTimeout ||
		!ms[0].Held.Equal(quota.Vector{quota.VCPU: -1_000}) {
		t.Fatalf("expired: %+v", ms)
	}
	ms, err = l.ExpireHolds(ctxb())
	noErr(t, "expire again", err)
	if len(ms) != 0 {
		t.Errorf("second cleanup released %+v", ms)
	}
	r, _ := l.Reservation(ctxb(), "short")
	if r.State != quota.StateReleased {
		t.Errorf("short: %+v", r)
	}
	f.Clock.Advance(24 * time.Hour) // "long" (TTL 24h) is now stale, "extended" not
	// The store lists every stale hold when the limit is not positive.
	for _, limit := range []int{0, -1} {
		err = s.View(ctxb(), func(ctx context.Context, tx quota.Tx) error {
			rs, err := tx.ExpiredHolds(ctx, f.Clock.Now(), limit)
			if err == nil && (len(rs) != 1 || rs[0].Application != "long") {
				t.Errorf("ExpiredHolds(limit %d) = %+v, want the hold of long", limit, rs)
			}
			return err
		})
		noErr(t, fmt.Sprintf("ExpiredHolds with limit %d", limit), err)
	}
	ms, err = l.ExpireHolds(ctxb())
	noErr(t, "expire long", err)
	if len(ms) != 1 || ms[0].Application != "long" {
		t.Errorf("expired: %+v", ms)
	}
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "extended", Cause: quota.Cause{Seq: 3}})
	noErr(t, "commit extended", err)
	CheckInvariants(t, s)
}

func testElastic(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	b := &quota.Bounds{Min: quota.Vector{quota.VCPU: 2_000, quota.Memory: 4_096}, Max: quota.Vector{quota.VCPU: 16_000, quota.Memory: 32_768}}
	_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "e", Pool: "health", Amount: quota.Vector{quota.VCPU: 4_000, quota.Memory: 8_192}, Bounds: b, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve elastic", err)
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "bad", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, Bounds: b, Cause: quota.Cause{Seq: 1}})
	wantErr(t, "amount outside its own bounds", err, quota.ErrOutOfBounds)
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "e", Cause: quota.Cause{Seq: 2}})
	noErr(t, "commit", err)
	for i, lvl := range []quota.Vector{
		{quota.VCPU: 16_000, quota.Memory: 32_768},
		{quota.VCPU: 2_000, quota.Memory: 4_096},
		{quota.VCPU: 8_000, quota.Memory: 10_000},
	} {
		rc, err := l.Scale(ctxb(), quota.ScaleRequest{Application: "e", Level: lvl, Key: fmt.Sprintf("e/scale/%d", i)})
		noErr(t, "scale", err)
		if !rc.Reservation.Committed.Equal(lvl) || rc.Movement.Kind != quota.MoveScale {
			t.Errorf("step %d: %+v", i, rc)
		}
	}
	_, err = l.Scale(ctxb(), quota.ScaleRequest{Application: "e", Level: quota.Vector{quota.VCPU: 17_000, quota.Memory: 10_000}, Key: "e/scale/x"})
	var be *quota.BoundsError
	if !errors.As(err, &be) || be.Dim != quota.VCPU || be.Level != 17_000 || be.Max != 16_000 {
		t.Fatalf("beyond bounds: err = %v", err)
	}
	// A change request moves the bounds.
	_, err = l.Adjust(ctxb(), quota.AdjustRequest{Application: "e", Delta: quota.Vector{quota.VCPU: 9_000}, Cause: quota.Cause{Seq: 5},
		Bounds: &quota.Bounds{Min: quota.Vector{quota.VCPU: 4_000}, Max: quota.Vector{quota.VCPU: 24_000, quota.Memory: 32_768}}})
	noErr(t, "change with new bounds", err)
	_, err = l.Scale(ctxb(), quota.ScaleRequest{Application: "e", Level: quota.Vector{quota.VCPU: 24_000, quota.Memory: 10_000}, Key: "e/scale/y"})
	noErr(t, "scale within new bounds", err)
	// A non-elastic application cannot scale at all.
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "fixed", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "reserve fixed", err)
	_, err = l.Commit(ctxb(), quota.CommitRequest{Application: "fixed", Cause: quota.Cause{Seq: 2}})
	noErr(t, "commit fixed", err)
	_, err = l.Scale(ctxb(), quota.ScaleRequest{Application: "fixed", Level: quota.Vector{quota.VCPU: 1_001}, Key: "fixed/scale"})
	wantErr(t, "scale fixed", err, quota.ErrOutOfBounds)
	// Scaling within bounds still needs capacity.
	_, err = l.Reserve(ctxb(), quota.ReserveRequest{Application: "filler", Pool: "health", Amount: quota.Vector{quota.VCPU: 15_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "filler", err)
	_, err = l.Scale(ctxb(), quota.ScaleRequest{Application: "e", Level: quota.Vector{quota.VCPU: 4_000, quota.Memory: 10_000}, Key: "e/scale/z"})
	noErr(t, "scale down", err)
	ms, _ := l.Movements(ctxb(), quota.MovementFilter{Application: "e"})
	scales := 0
	for _, m := range ms {
		if m.Kind == quota.MoveScale {
			scales++
		}
	}
	if scales != 5 {
		t.Errorf("%d scale movements recorded, want 5", scales)
	}
	CheckInvariants(t, s)
}

// RaceLastUnits has workers goroutines race to reserve one unit each from
// a department pool with only units free; it returns how many won. Every
// loser must fail with ErrQuotaExceeded.
func RaceLastUnits(t testing.TB, l *quota.Ledger, pool quota.PoolID, prefix string, workers, perWorker int) int {
	t.Helper()
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perWorker {
				app := fmt.Sprintf("%s-%d-%d", prefix, w, k)
				_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: app, Pool: pool, Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 1}})
				switch {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case errors.Is(err, quota.ErrQuotaExceeded):
				default:
					errs <- fmt.Errorf("%s: %w", app, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return won
}

func testConcurrency(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	// Leave exactly 7 vCPU free in "edu".
	_, err := l.Reserve(ctxb(), quota.ReserveRequest{Application: "base", Pool: "edu", Amount: quota.Vector{quota.VCPU: 13_000}, Cause: quota.Cause{Seq: 1}})
	noErr(t, "base", err)
	won := RaceLastUnits(t, l, "edu", "race", 8, 3)
	if won != 7 {
		t.Errorf("%d reservations won the last 7 units", won)
	}
	// Concurrent replays of one key record one movement.
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.Release(ctxb(), quota.ReleaseRequest{Application: "base", Reason: quota.ReasonDenial, Key: "base-denied"})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st := CheckInvariants(t, s)
	n := 0
	for _, m := range st.Movements {
		if m.Key == "base-denied" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d movements for one key", n)
	}
}

// expected lists the errors a well-formed but unlucky operation may return.
var expected = []error{quota.ErrQuotaExceeded, quota.ErrParentCapacity, quota.ErrState, quota.ErrNoReservation,
	quota.ErrHoldExpired, quota.ErrOverRelease, quota.ErrOutOfBounds, quota.ErrBelowUse, quota.ErrInvalid}

// testRandomOps applies a seeded random sequence of ledger operations (and
// replays of earlier ones). Every failure must be a typed, expected error
// that wrote nothing; every replay must be reported as such and write
// nothing; the invariants must hold throughout.
func testRandomOps(t *testing.T, s quota.Store) {
	f := NewFixture(t, s)
	l := f.Ledger
	rng := rand.New(rand.NewPCG(2027, 3))
	apps := []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"}
	pools := []quota.PoolID{"health", "edu"}
	vec := func(maxCPU, maxMem int) quota.Vector {
		return quota.Vector{quota.VCPU: int64(rng.IntN(maxCPU + 1)), quota.Memory: int64(rng.IntN(maxMem + 1))}
	}
	type op struct {
		name string
		run  func() (quota.Receipt, error)
	}
	var done []op // successful operations, for replays
	steps := 240
	for step := range steps {
		key := fmt.Sprintf("k%d", step)
		before := Snapshot(t, s)
		// Mostly pick an application in a state the operation fits.
		pick := func(states ...quota.ReservationState) string {
			var c []string
			for _, r := range before.Reservations {
				for _, st := range states {
					if r.State == st {
						c = append(c, r.Application)
					}
				}
			}
			if len(c) == 0 || rng.IntN(5) == 0 {
				return apps[rng.IntN(len(apps))]
			}
			return c[rng.IntN(len(c))]
		}
		var app string
		var o op
		switch k := rng.IntN(10); k {
		case 0, 1:
			app = pick(quota.StateReleased)
			req := quota.ReserveRequest{Key: key, Application: app, Pool: pools[rng.IntN(2)], Amount: vec(12_000, 50_000), TTL: time.Duration(1+rng.IntN(5)) * time.Hour}
			if rng.IntN(2) == 0 {
				req.Bounds = &quota.Bounds{Min: quota.Vector{}, Max: quota.Vector{quota.VCPU: 16_000, quota.Memory: 60_000}}
			}
			o = op{"reserve", func() (quota.Receipt, error) { return l.Reserve(ctxb(), req) }}
		case 2:
			app = pick(quota.StateHeld)
			req := quota.CommitRequest{Key: key, Application: app}
			o = op{"commit", func() (quota.Receipt, error) { return l.Commit(ctxb(), req) }}
		case 3, 9:
			app = pick(quota.StateCommitted)
			d := vec(6_000, 20_000)
			if rng.IntN(2) == 0 {
				d, _ = d.Scale(-1)
			}
			req := quota.AdjustRequest{Key: key, Application: app, Delta: d}
			o = op{"adjust", func() (quota.Receipt, error) { return l.Adjust(ctxb(), req) }}
		case 4:
			app = pick(quota.StateCommitted)
			req := quota.ScaleRequest{Key: key, Application: app, Level: vec(18_000, 64_000)}
			o = op{"scale", func() (quota.Receipt, error) { return l.Scale(ctxb(), req) }}
		case 5:
			app = pick(quota.StateHeld, quota.StateCommitted)
			req := quota.ReleaseRequest{Key: key, Application: app, Reason: quota.ReasonTermination}
			if rng.IntN(2) == 0 {
				req.Amount, req.Reason = vec(4_000, 16_000), quota.ReasonChange
			}
			o = op{"release", func() (quota.Receipt, error) { return l.Release(ctxb(), req) }}
		case 6:
			f.Clock.Advance(time.Duration(rng.IntN(90)) * time.Minute)
			_, err := l.ExpireHolds(ctxb())
			if err != nil {
				t.Fatalf("step %d: expire: %v", step, err)
			}
			continue
		case 7:
			req := quota.SetLimitRequest{Key: key, Pool: pools[rng.IntN(2)],
				Limit:    quota.Vector{quota.VCPU: int64(10_000 + rng.IntN(40_000)), quota.Memory: int64(60_000 + rng.IntN(120_000)), quota.Storage: 4_000},
				Warn:     quota.Vector{},
				Approval: &quota.Approval{RequestID: key, ApprovedBy: "authority", ApprovedAt: Epoch}}
			o = op{"set limit", func() (quota.Receipt, error) {
				p, err := l.SetLimit(ctxb(), req)
				return quota.Receipt{Pool: p}, err
			}}
		case 8:
			if len(done) == 0 {
				continue
			}
			prev := done[rng.IntN(len(done))]
			rc, err := prev.run()
			if err != nil {
				t.Fatalf("step %d: replay of %s: %v", step, prev.name, err)
			}
			if prev.name != "set limit" && !rc.Replayed {
				t.Fatalf("step %d: replay of %s not reported", step, prev.name)
			}
			if d := cmp.Diff(before, Snapshot(t, s)); d != "" {
				t.Fatalf("step %d: replay of %s wrote (-before +after):\n%s", step, prev.name, d)
			}
			continue
		}
		_, err := o.run()
		if err == nil {
			done = append(done, o)
			continue
		}
		ok := false
		for _, e := range expected {
			ok = ok || errors.Is(err, e)
		}
		if !ok {
			t.Fatalf("step %d: %s: unexpected error %v", step, o.name, err)
		}
		if d := cmp.Diff(before, Snapshot(t, s)); d != "" {
			t.Fatalf("step %d: failed %s (%v) wrote (-before +after):\n%s", step, o.name, err, d)
		}
	}
	counts := map[string]int{}
	for _, o := range done {
		counts[o.name]++
	}
	t.Logf("successful operations: %v", counts)
	if len(done) < steps/5 {
		t.Errorf("only %d of %d operations succeeded: the sequence tests too little", len(done), steps)
	}
	CheckInvariants(t, s)
}
