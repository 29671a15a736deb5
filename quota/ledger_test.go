package quota_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/quota"
)

func TestNewLedgerOptions(t *testing.T) {
	clock := quota.ClockFunc(func() time.Time { return time.Time{} })
	tests := []struct {
		name  string
		store quota.Store
		opts  quota.Options
		field string
	}{
		{"nil store", nil, quota.Options{Clock: clock}, "store"},
		{"no clock", memstore.NewQuotaStore(), quota.Options{}, "Options.Clock"},
		{"negative TTL", memstore.NewQuotaStore(), quota.Options{Clock: clock, HoldTTL: -time.Second}, "Options.HoldTTL"},
		{"negative batch", memstore.NewQuotaStore(), quota.Options{Clock: clock, ExpireBatch: -1}, "Options.ExpireBatch"},
	}
	for _, tt := range tests {
		_, err := quota.NewLedger(tt.store, tt.opts)
		var ie *quota.InputError
		if !errors.As(err, &ie) || ie.Field != tt.field || !errors.Is(err, quota.ErrInvalid) {
			t.Errorf("%s: err = %v, want an InputError on %s", tt.name, err, tt.field)
		}
	}
	if _, err := quota.NewLedger(memstore.NewQuotaStore(), quota.Options{Clock: clock}); err != nil {
		t.Error(err)
	}
}

func TestLabels(t *testing.T) {
	type pair struct{ Zh, En string }
	got := map[string]pair{
		"dim":    {quota.Memory.Label(quota.Chinese), quota.Memory.Label(quota.English)},
		"custom": {quota.Dimension("gpu").Label(quota.Chinese), quota.Dimension("gpu").Label(quota.English)},
		"kind":   {quota.KindDepartment.String(), quota.KindDepartment.Label(quota.English)},
		"tier":   {quota.TierDedicatedDomain.String(), quota.TierDedicatedDomain.Label(quota.English)},
		"state":  {quota.StateHeld.String(), quota.StateHeld.Label(quota.English)},
		"move":   {quota.MoveExpire.String(), quota.MoveExpire.Label(quota.English)},
		"reason": {quota.ReasonTrialFailure.String(), quota.ReasonTrialFailure.Label(quota.English)},
	}
	want := map[string]pair{
		"dim":    {"内存", "memory"},
		"custom": {"gpu", "gpu"},
		"kind":   {"部门配额", "department quota"},
		"tier":   {"政务云专有域", "dedicated domain"},
		"state":  {"已预留", "held"},
		"move":   {"预留过期回收", "hold expired"},
		"reason": {"试用未通过", "trial failure"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
}

func TestExceededErrorFormat(t *testing.T) {
	e := &quota.ExceededError{Pool: "health", Shortfalls: []quota.DimShortfall{
		{Dim: quota.Memory, Need: 10, Free: 4, Short: 6},
		{Dim: quota.PublicIPs, Need: 2, Free: 0, Short: 2},
	}}
	wantZh := `quota: quota exceeded: 资源池 "health" 配额不足: 内存 缺 6(需要 10,可用 4) MiB; 公网IP 缺 2(需要 2,可用 0) 个`
	wantEn := `quota: quota exceeded: pool "health" lacks memory short by 6 (need 10, free 4) MiB; public IPs short by 2 (need 2, free 0) addresses`
	if d := cmp.Diff(wantZh, e.Error()); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(wantEn, e.Format(quota.English)); d != "" {
		t.Error(d)
	}
	if !errors.Is(e, quota.ErrQuotaExceeded) || errors.Is(e, quota.ErrParentCapacity) {
		t.Error("ExceededError matches the wrong sentinel")
	}
}

// BenchmarkLedgerReserveMemstore measures the ledger's own cost per
// reservation (in memory, one pool, parallel callers).
func BenchmarkLedgerReserveMemstore(b *testing.B) {
	ctx := context.Background()
	l, err := quota.NewLedger(memstore.NewQuotaStore(), quota.Options{Clock: quota.ClockFunc(func() time.Time { return time.Unix(0, 0) })})
	if err != nil {
		b.Fatal(err)
	}
	big := quota.Vector{quota.VCPU: 1 << 40}
	for _, s := range []quota.PoolSpec{
		{ID: "p", Kind: quota.KindPlatform, Vendor: "v", Zone: "z", Limit: big},
		{ID: "t", Kind: quota.KindTier, Parent: "p", Tier: quota.TierCity, Limit: big},
		{ID: "d", Kind: quota.KindDepartment, Parent: "t", Department: "d", Limit: big},
	} {
		if _, err := l.CreatePool(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			app := fmt.Sprintf("a%d", n.Add(1))
			if _, err := l.Reserve(ctx, quota.ReserveRequest{Application: app, Pool: "d", Amount: quota.Vector{quota.VCPU: 1}, Cause: quota.Cause{Seq: 1}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// stuckStore fails every write of one application's reservation.
type stuckStore struct {
	quota.Store
	app string
}

type stuckTx struct {
	quota.Tx
	app string
}

var errStuck = errors.New("disk says no")

func (tx stuckTx) PutReservation(ctx context.Context, r quota.Reservation) error {
	if r.Application == tx.app {
		return errStuck
	}
	return tx.Tx.PutReservation(ctx, r)
}

func (s stuckStore) Update(ctx context.Context, fn func(context.Context, quota.Tx) error) error {
	return s.Store.Update(ctx, func(ctx context.Context, tx quota.Tx) error { return fn(ctx, stuckTx{tx, s.app}) })
}

// TestExpireHoldsPastAFailure: a hold that cannot be released (the oldest)
// does not keep the others from expiring; its failure is reported.
func TestExpireHoldsPastAFailure(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := quota.ClockFunc(func() time.Time { return now })
	inner := memstore.NewQuotaStore()
	setup, err := quota.NewLedger(inner, quota.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []quota.PoolSpec{
		{ID: "platform", Kind: quota.KindPlatform, Vendor: "v", Zone: "z", Limit: quota.Vector{quota.VCPU: 64_000}},
		{ID: "city", Kind: quota.KindTier, Parent: "platform", Tier: quota.TierCity, Limit: quota.Vector{quota.VCPU: 32_000}},
		{ID: "p", Kind: quota.KindDepartment, Parent: "city", Department: "d", Year: 2027, Limit: quota.Vector{quota.VCPU: 8_000}},
	} {
		if _, err := setup.CreatePool(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	for i, app := range []string{"stuck", "a2", "a3"} {
		if _, err := setup.Reserve(ctx, quota.ReserveRequest{Application: app, Pool: "p", Amount: quota.Vector{quota.VCPU: 1_000},
			TTL: time.Duration(i+1) * time.Hour, Cause: quota.Cause{Transition: "approve", Seq: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := quota.NewLedger(stuckStore{inner, "stuck"}, quota.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * time.Hour)
	ms, err := l.ExpireHolds(ctx)
	if !errors.Is(err, errStuck) {
		t.Errorf("ExpireHolds: %v, want the stuck hold's failure", err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Application)
	}
	if diff := cmp.Diff([]string{"a2", "a3"}, got); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	p, err := l.Pool(ctx, "p")
	if err != nil || p.Held[quota.VCPU] != 1_000 {
		t.Errorf("pool after expiry: held %v, %v; want only the stuck hold's 1000", p.Held, err)
	}
}
