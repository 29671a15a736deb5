package gormstore_test

import (
	"context"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// BenchmarkTransitions measures durable workflow transitions per second: 8
// concurrent workers each cycle submit → accept → approve (the approval also
// opens a vendor work order), every step one committed transaction with its
// audit record and outbox message. Targets: SQLite file (WAL) ≥ 2,000/s,
// PostgreSQL ≥ 1,000/s on a 2-core machine.
//
//	go test -run '^$' -bench Transitions -benchtime 5s ./adapters/gormstore/
func BenchmarkTransitions(b *testing.B) {
	for _, o := range []struct {
		name string
		opts func(b *testing.B) gormstore.Options
	}{
		{"sqlite-file", func(b *testing.B) gormstore.Options {
			return gormstore.Options{DSN: filepath.Join(b.TempDir(), "bench.db")}
		}},
		{"postgres", func(b *testing.B) gormstore.Options {
			return gormstore.Options{DSN: pgtest.DSN(b), MaxOpenConns: 8}
		}},
	} {
		b.Run(o.name, func(b *testing.B) {
			db, err := gormstore.Open(context.Background(), o.opts(b))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			eng := newEngine(b, db.Workflow(), workflowtest.NewClock(start), "bench")
			ctx := context.Background()
			const workers = 8
			// RunParallel starts parallelism × GOMAXPROCS goroutines.
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((workers + procs - 1) / procs)
			b.ResetTimer()
			t0, cpu0 := time.Now(), processCPU()
			b.RunParallel(func(pb *testing.PB) {
				var id string
				step := 0
				for pb.Next() {
					var err error
					var app workflow.Application
					switch step {
					case 0:
						app, err = eng.Submit(ctx, dept, submitRequest("压测系统"))
						id = app.ID
					case 1:
						_, err = eng.Fire(ctx, authority, id, workflow.TriggerAccept, workflow.Input{})
					case 2:
						_, err = eng.Fire(ctx, authority, id, workflow.TriggerApprove, workflow.Input{})
					}
					if err != nil {
						b.Error(err)
						return
					}
					step = (step + 1) % 3
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "transitions/s")
			// CPU time of this process (engine, store, driver; not the
			// PostgreSQL server) per transition: on a machine shared with
			// other work it is steadier than the rate.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/transition")
		})
	}
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
