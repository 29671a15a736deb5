package quota_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/quota"
)

func ExampleVector() {
	vm := quota.Vector{quota.VCPU: 4 * quota.MilliVCPU, quota.Memory: 16_384}
	three, _ := vm.Scale(3)
	fmt.Println(three)
	fmt.Println(three.Format(quota.English))
	_, err := quota.Vector{quota.Storage: math.MaxInt64}.Add(quota.Vector{quota.Storage: 1})
	fmt.Println(errors.Is(err, quota.ErrOverflow), err)
	// Output:
	// 内存 49152 MiB, 虚拟CPU 12000 毫核
	// memory 49152 MiB, vCPU 12000 milli-vCPU
	// true quota: amount overflows int64: 存储 (storage): add 1
}

func ExampleParseVector() {
	v, err := quota.ParseVector("vcpu=2000, memory=4096, public_ips=1")
	fmt.Println(v.Canonical(), err)
	_, err = quota.ParseVector("vcpu=-1")
	fmt.Println(err)
	// Output:
	// memory=4096,public_ips=1,vcpu=2000 <nil>
	// quota: negative amount: 虚拟CPU (vCPU): parse -1
}

// The life of one application's quota: early feedback at submission, a hold
// at approval, the commitment at activation, release at termination.
func ExampleLedger() {
	ctx := context.Background()
	clock := quota.ClockFunc(func() time.Time { return time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC) })
	l, _ := quota.NewLedger(memstore.NewQuotaStore(), quota.Options{Clock: clock})

	l.CreatePool(ctx, quota.PoolSpec{ID: "ali-private", Kind: quota.KindPlatform, Vendor: "ali", Zone: "private",
		Limit: quota.Vector{quota.VCPU: 64_000, quota.Memory: 262_144}})
	l.CreatePool(ctx, quota.PoolSpec{ID: "city", Kind: quota.KindTier, Parent: "ali-private", Tier: quota.TierCity,
		Limit: quota.Vector{quota.VCPU: 32_000, quota.Memory: 131_072}})
	_, err := l.CreatePool(ctx, quota.PoolSpec{ID: "health-2027", Kind: quota.KindDepartment, Parent: "city",
		Department: "health", Year: 2027, Limit: quota.Vector{quota.VCPU: 40_000, quota.Memory: 65_536}})
	fmt.Println(err)
	l.CreatePool(ctx, quota.PoolSpec{ID: "health-2027", Kind: quota.KindDepartment, Parent: "city",
		Department: "health", Year: 2027, Limit: quota.Vector{quota.VCPU: 16_000, quota.Memory: 65_536}})

	// Submission: the demand is checked against the department's quota.
	err = l.Check(ctx, "health-2027", quota.Vector{quota.VCPU: 24_000, quota.Memory: 70_000})
	var ee *quota.ExceededError
	if errors.As(err, &ee) {
		for _, s := range ee.Shortfalls {
			fmt.Printf("short %s: %d\n", s.Dim.Label(quota.English), s.Short)
		}
	}

	// Approval holds the quota; activation commits it; termination releases it.
	rc, _ := l.Reserve(ctx, quota.ReserveRequest{Application: "app-7", Pool: "health-2027",
		Amount: quota.Vector{quota.VCPU: 8_000, quota.Memory: 32_768}, Cause: quota.Cause{Transition: "approve", Seq: 3}})
	fmt.Println(rc.Movement.Key, rc.Movement.Kind.Label(quota.English), rc.Reservation.State.Label(quota.English))
	rc, _ = l.Commit(ctx, quota.CommitRequest{Application: "app-7", Cause: quota.Cause{Transition: "activate", Seq: 8}})
	fmt.Println(rc.Movement.Key, rc.Movement.Kind.Label(quota.English), rc.Reservation.State.Label(quota.English))
	p, _ := l.Pool(ctx, "health-2027")
	fmt.Println("free:", p.Free().Format(quota.English))
	// Replaying a movement (e.g. a redelivered transition) changes nothing.
	rc, _ = l.Commit(ctx, quota.CommitRequest{Application: "app-7", Cause: quota.Cause{Transition: "activate", Seq: 8}})
	fmt.Println("replayed:", rc.Replayed)
	rc, _ = l.Release(ctx, quota.ReleaseRequest{Application: "app-7", Reason: quota.ReasonTermination, Cause: quota.Cause{Transition: "reclaim", Seq: 20}})
	fmt.Println(rc.Movement.Reason, rc.Movement.Committed.Format(quota.English))
	// Output:
	// quota: child limit exceeds parent's free capacity: 资源池 "health-2027" 的上级 "city" 可用容量不足: 虚拟CPU 缺 8000(需要 40000,可用 32000) 毫核
	// short memory: 4464
	// short vCPU: 8000
	// app-7/3 hold held
	// app-7/8 commit committed
	// free: memory 32768 MiB, vCPU 8000 milli-vCPU
	// replayed: true
	// 终止 memory -32768 MiB, vCPU -8000 milli-vCPU
}

// Elastic scaling within approved bounds needs no new approval; beyond them
// it needs a change request.
func ExampleLedger_Scale() {
	ctx := context.Background()
	clock := quota.ClockFunc(func() time.Time { return time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC) })
	l, _ := quota.NewLedger(memstore.NewQuotaStore(), quota.Options{Clock: clock})
	l.CreatePool(ctx, quota.PoolSpec{ID: "p", Kind: quota.KindPlatform, Vendor: "v", Zone: "public", Limit: quota.Vector{quota.VCPU: 64_000}})
	l.CreatePool(ctx, quota.PoolSpec{ID: "t", Kind: quota.KindTier, Parent: "p", Tier: quota.TierDistrict, Limit: quota.Vector{quota.VCPU: 64_000}})
	l.CreatePool(ctx, quota.PoolSpec{ID: "d", Kind: quota.KindDepartment, Parent: "t", Department: "tax", Limit: quota.Vector{quota.VCPU: 64_000}})
	bounds := &quota.Bounds{Min: quota.Vector{quota.VCPU: 2_000}, Max: quota.Vector{quota.VCPU: 16_000}}
	l.Reserve(ctx, quota.ReserveRequest{Application: "portal", Pool: "d", Amount: quota.Vector{quota.VCPU: 4_000}, Bounds: bounds, Cause: quota.Cause{Seq: 1}})
	l.Commit(ctx, quota.CommitRequest{Application: "portal", Cause: quota.Cause{Seq: 2}})
	rc, err := l.Scale(ctx, quota.ScaleRequest{Application: "portal", Key: "portal/scale/1", Level: quota.Vector{quota.VCPU: 16_000}})
	fmt.Println(rc.Reservation.Committed, err)
	_, err = l.Scale(ctx, quota.ScaleRequest{Application: "portal", Key: "portal/scale/2", Level: quota.Vector{quota.VCPU: 20_000}})
	fmt.Println(errors.Is(err, quota.ErrOutOfBounds))
	// Output:
	// 虚拟CPU 16000 毫核 <nil>
	// true
}

// The example of Ghodsi et al. (NSDI 2011): 9 CPUs and 18 GB; user A's tasks
// need <1 CPU, 4 GB>, user B's <3 CPU, 1 GB>. DRF equalises dominant shares:
// A gets 3 CPU and 12 GB (2/3 of memory), B 6 CPU and 2 GB (2/3 of CPU).
func ExampleDRF() {
	capacity := quota.Vector{quota.VCPU: 9, quota.Memory: 18}
	claims := []quota.Claim{
		{Department: "A", Demand: quota.Vector{quota.VCPU: 100, quota.Memory: 400}},
		{Department: "B", Demand: quota.Vector{quota.VCPU: 300, quota.Memory: 100}},
	}
	a, _ := quota.DRF{}.Allocate(capacity, claims)
	fmt.Println("A:", a["A"].Canonical())
	fmt.Println("B:", a["B"].Canonical())
	// Output:
	// A: memory=12,vcpu=3
	// B: memory=2,vcpu=6
}

func ExampleMaxMin() {
	// 10 units; a asks 2, b (weight 2) and c ask 8 each.
	claims := []quota.Claim{
		{Department: "a", Demand: quota.Vector{quota.Storage: 2}},
		{Department: "b", Demand: quota.Vector{quota.Storage: 8}, Weight: 2},
		{Department: "c", Demand: quota.Vector{quota.Storage: 8}},
	}
	for _, alloc := range []quota.Allocator{quota.MaxMin{}, quota.Proportional{}} {
		g, _ := alloc.Allocate(quota.Vector{quota.Storage: 10}, claims)
		fmt.Println(alloc.Name(), g["a"][quota.Storage], g["b"][quota.Storage], g["c"][quota.Storage])
	}
	// Output:
	// maxmin 2 5 3
	// proportional 1 5 4
}

// Priority tiers: the provincial key systems (priority 2) are served first;
// the rest share what remains by weighted max-min.
func ExamplePriorityTiers() {
	claims := []quota.Claim{
		{Department: "emergency", Demand: quota.Vector{quota.VCPU: 30_000}, Priority: 2},
		{Department: "health", Demand: quota.Vector{quota.VCPU: 30_000}, Priority: 1},
		{Department: "tourism", Demand: quota.Vector{quota.VCPU: 30_000}, Priority: 1, Weight: 2},
	}
	g, _ := quota.PriorityTiers{}.Allocate(quota.Vector{quota.VCPU: 60_000}, claims)
	for _, d := range []string{"emergency", "health", "tourism"} {
		fmt.Println(d, g[d][quota.VCPU])
	}
	// Output:
	// emergency 30000
	// health 10000
	// tourism 20000
}
