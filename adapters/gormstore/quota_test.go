package gormstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/quota/quotatest"
)

type quotaBackend struct {
	name string
	opts func(t testing.TB) gormstore.Options
}

func quotaBackends() []quotaBackend {
	return []quotaBackend{
		{"sqlite-file", func(t testing.TB) gormstore.Options {
			return gormstore.Options{DSN: filepath.Join(t.TempDir(), "quota.db")}
		}},
		{"sqlite-memory", func(t testing.TB) gormstore.Options { return gormstore.Options{DSN: ":memory:"} }},
		{"postgres", func(t testing.TB) gormstore.Options { return gormstore.Options{DSN: pgtest.DSN(t)} }},
	}
}

func quotaOpen(t testing.TB, opts gormstore.Options) *gormstore.DB {
	t.Helper()
	db, err := gormstore.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestQuotaConformance runs quotatest on SQLite (file and memory) and
// PostgreSQL.
func TestQuotaConformance(t *testing.T) {
	for _, b := range quotaBackends() {
		t.Run(b.name, func(t *testing.T) {
			quotatest.Run(t, func(t *testing.T) quota.Store { return quotaOpen(t, b.opts(t)).Quota() })
		})
	}
}

// TestQuotaInCallerTransaction runs ledger operations inside a transaction
// the caller holds: they commit or roll back with it, and a failed
// operation rolls back only its own writes.
func TestQuotaInCallerTransaction(t *testing.T) {
	for _, b := range quotaBackends() {
		t.Run(b.name, func(t *testing.T) {
			db := quotaOpen(t, b.opts(t))
			store := db.Quota()
			f := quotatest.NewFixture(t, store)
			ctx := context.Background()
			errRollback := errors.New("rollback")
			err := db.Gorm().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				l := f.Ledger.WithStore(store.WithTx(tx))
				if _, err := l.Reserve(ctx, quota.ReserveRequest{Application: "gone", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 1}}); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatal(err)
			}
			if _, err := f.Ledger.Reservation(ctx, "gone"); !errors.Is(err, quota.ErrNoReservation) {
				t.Fatalf("rolled-back reservation: %v", err)
			}
			err = db.Gorm().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				l := f.Ledger.WithStore(store.WithTx(tx))
				if _, err := l.Reserve(ctx, quota.ReserveRequest{Application: "kept", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000}, Cause: quota.Cause{Seq: 1}}); err != nil {
					return err
				}
				// A failing operation inside the same transaction leaves
				// the first one intact.
				_, err := l.Reserve(ctx, quota.ReserveRequest{Application: "huge", Pool: "health", Amount: quota.Vector{quota.VCPU: 1_000_000}, Cause: quota.Cause{Seq: 1}})
				if !errors.Is(err, quota.ErrQuotaExceeded) {
					return fmt.Errorf("huge: %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.Ledger.Reservation(ctx, "kept")
			if err != nil || r.State != quota.StateHeld {
				t.Fatalf("kept: %+v, %v", r, err)
			}
			quotatest.CheckInvariants(t, store)
		})
	}
}

// TestQuotaRacePostgres: many goroutines with their own connections race for
// the last units of one pool while others commit, scale and release.
func TestQuotaRacePostgres(t *testing.T) {
	db := quotaOpen(t, gormstore.Options{DSN: pgtest.DSN(t), MaxOpenConns: 10})
	store := db.Quota()
	f := quotatest.NewFixture(t, store)
	ctx := context.Background()
	// "edu" has 20 vCPU free: 20 units of 1 vCPU for 72 contenders.
	won := quotatest.RaceLastUnits(t, f.Ledger, "edu", "g", 24, 3)
	if won != 20 {
		t.Errorf("%d of 72 reservations won, want 20 (the pool's whole vCPU)", won)
	}
	// Now churn: commit half, release the others, and race again for what
	// the releases freed.
	var released atomic.Int64
	errs := make(chan error, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for w := range 24 {
			for k := range 3 {
				app := fmt.Sprintf("g-%d-%d", w, k)
				r, err := f.Ledger.Reservation(ctx, app)
				if errors.Is(err, quota.ErrNoReservation) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if r.State != quota.StateHeld {
					continue
				}
				if (w+k)%2 == 0 {
					_, err = f.Ledger.Commit(ctx, quota.CommitRequest{Application: app, Cause: quota.Cause{Seq: 2}})
				} else {
					_, err = f.Ledger.Release(ctx, quota.ReleaseRequest{Application: app, Reason: quota.ReasonDenial, Cause: quota.Cause{Seq: 2}})
					released.Add(1)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	won2 := quotatest.RaceLastUnits(t, f.Ledger, "edu", "h", 16, 2)
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if won2 > int(released.Load()) {
		t.Errorf("second race won %d units, only %d were released", won2, released.Load())
	}
	st := quotatest.CheckInvariants(t, store)
	for _, p := range st.Pools {
		if p.ID == "edu" && p.Used()[quota.VCPU] > 20_000 {
			t.Errorf("edu over-allocated: %v", p.Used())
		}
	}
}

const (
	envQuotaHelper = "GOVCLOUD_QUOTA_HELPER"
	envQuotaDSN    = "GOVCLOUD_QUOTA_HELPER_DSN"
	envQuotaGo     = "GOVCLOUD_QUOTA_HELPER_GO"
)

// TestQuotaTwoProcesses re-executes this test binary twice; the two
// processes race with 12 goroutines each for the last 20 vCPU of a pool on
// PostgreSQL, and on one SQLite file. Afterwards exactly 20 reservations
// exist and every invariant holds.
func TestQuotaTwoProcesses(t *testing.T) {
	for _, b := range []quotaBackend{quotaBackends()[0], quotaBackends()[2]} {
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			db := quotaOpen(t, opts)
			f := quotatest.NewFixture(t, db.Quota())
			_ = f
			goFile := filepath.Join(t.TempDir(), "go")
			type child struct {
				cmd *exec.Cmd
				sc  *bufio.Scanner
			}
			var children []child
			for p := range 2 {
				cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestQuotaHelperProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), envQuotaHelper+"="+strconv.Itoa(p), envQuotaDSN+"="+opts.DSN, envQuotaGo+"="+goFile)
				cmd.Stderr = os.Stderr
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				children = append(children, child{cmd, bufio.NewScanner(out)})
			}
			for _, c := range children {
				for c.sc.Scan() && c.sc.Text() != "ready" {
				}
			}
			if err := os.WriteFile(goFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			total := 0
			for i, c := range children {
				var lines []string
				for c.sc.Scan() {
					l := c.sc.Text()
					if n, ok := strings.CutPrefix(l, "won "); ok {
						k, _ := strconv.Atoi(n)
						total += k
						t.Logf("process %d won %d", i, k)
					}
					lines = append(lines, l)
				}
				if err := c.cmd.Wait(); err != nil {
					t.Fatalf("helper %d: %v\n%s", i, err, strings.Join(lines, "\n"))
				}
			}
			if total != 20 {
				t.Errorf("the two processes won %d units, want 20", total)
			}
			st := quotatest.CheckInvariants(t, db.Quota())
			if len(st.Reservations) != 20 {
				t.Errorf("%d reservations, want 20", len(st.Reservations))
			}
		})
	}
}

// TestQuotaHelperProcess is one racer of TestQuotaTwoProcesses.
func TestQuotaHelperProcess(t *testing.T) {
	id := os.Getenv(envQuotaHelper)
	if id == "" {
		t.Skip("helper process for TestQuotaTwoProcesses")
	}
	db, err := gormstore.Open(context.Background(), gormstore.Options{DSN: os.Getenv(envQuotaDSN), MaxOpenConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := quota.NewLedger(db.Quota(), quota.Options{Clock: quotatest.NewClock(quotatest.Epoch)})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(os.Getenv(envQuotaGo)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no start signal")
		}
	}
	won := quotatest.RaceLastUnits(t, l, "edu", "proc"+id, 12, 2)
	fmt.Printf("won %d\n", won)
}

// BenchmarkQuotaReservePostgres measures reservations per second on
// PostgreSQL with all goroutines contending for one department pool (each
// reservation locks the same row).
func BenchmarkQuotaReservePostgres(b *testing.B) {
	db := quotaOpen(b, gormstore.Options{DSN: pgtest.DSN(b), MaxOpenConns: 16})
	benchReserve(b, db)
}

// BenchmarkQuotaReserveSQLite is the same on an SQLite file.
func BenchmarkQuotaReserveSQLite(b *testing.B) {
	db := quotaOpen(b, gormstore.Options{DSN: filepath.Join(b.TempDir(), "q.db")})
	benchReserve(b, db)
}

func benchReserve(b *testing.B, db *gormstore.DB) {
	ctx := context.Background()
	l, err := quota.NewLedger(db.Quota(), quota.Options{Clock: quotatest.NewClock(quotatest.Epoch)})
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
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			app := fmt.Sprintf("a%d", n.Add(1))
			if _, err := l.Reserve(ctx, quota.ReserveRequest{Application: app, Pool: "d", Amount: quota.Vector{quota.VCPU: 1}, Cause: quota.Cause{Seq: 1}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reservations/s")
}
