package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// TestPruneModel runs random sequences of Commit, Lease, Ack and PruneOutbox on
// memstore, gormstore on SQLite and (with GOVCLOUD_TEST_POSTGRES_DSN) on
// PostgreSQL in lockstep. Every store must give the same answers, and for every
// subscriber: each delivery is the lowest unacknowledged Seq of its application,
// and, drained at the end, it has acknowledged every message committed after its
// first lease and every message kept at that moment.
//
// CI runs 6 seeds; set GOVCLOUD_PRUNE_MODEL_SEEDS (e.g. 200) for a longer campaign.
func TestPruneModel(t *testing.T) {
	seeds := 6
	if n, err := strconv.Atoi(os.Getenv("GOVCLOUD_PRUNE_MODEL_SEEDS")); err == nil && n > 0 {
		seeds = n
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			stores := []struct {
				name string
				s    workflow.Store
			}{
				{"memstore", memstore.NewWorkflowStore()},
				{"sqlite", openDB(t, gormstore.Options{DSN: ":memory:"}).Workflow()},
			}
			if pgtest.BaseDSN() != "" {
				stores = append(stores, struct {
					name string
					s    workflow.Store
				}{"postgres", openDB(t, gormstore.Options{DSN: pgtest.DSN(t)}).Workflow()})
			}
			runPruneModel(t, uint64(seed), func(op string, f func(s workflow.Store) any) any {
				t.Helper()
				var first any
				for i, st := range stores {
					got := f(st.s)
					if i == 0 {
						first = got
						continue
					}
					if d := cmp.Diff(first, got); d != "" {
						t.Fatalf("%s: %s differs from %s (-%s +%s):\n%s", op, st.name, stores[0].name, stores[0].name, st.name, d)
					}
				}
				return first
			})
		})
	}
}

type modelMsg struct {
	id   string
	app  string
	seq  int64
	at   time.Time
	kept bool
}

type modelSub struct {
	started bool
	acked   map[string]bool     // message ID → acknowledged
	expect  map[string]bool     // message IDs it must acknowledge
	held    []workflow.Delivery // leased, not yet acked
}

type leaseOut struct {
	IDs      []string
	Attempts []int
	Err      string
}

func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, workflow.ErrNotFound):
		return "not found"
	case errors.Is(err, workflow.ErrLeaseLost):
		return "lease lost"
	}
	return "error: " + err.Error()
}

func runPruneModel(t *testing.T, seed uint64, all func(op string, f func(s workflow.Store) any) any) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	now := workflowtest.Base
	apps := map[string]workflow.Application{}
	var msgs []*modelMsg
	byID := map[string]*modelMsg{}
	subs := map[string]*modelSub{}
	subNames := []string{"s1", "s2", "s3", "s4"}
	for _, n := range subNames {
		subs[n] = &modelSub{acked: map[string]bool{}, expect: map[string]bool{}}
	}
	start := func(name string) {
		sb := subs[name]
		if sb.started {
			return
		}
		sb.started = true
		for _, m := range msgs {
			if m.kept {
				sb.expect[m.id] = true
			}
		}
	}
	lease := func(name string, max int) {
		start(name)
		sb := subs[name]
		lid := fmt.Sprintf("%s@%d", name, now.UnixNano())
		out := all("lease "+name, func(s workflow.Store) any {
			ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: name, LeaseID: lid, Now: now, Until: now.Add(time.Minute), Max: max})
			var o leaseOut
			for _, d := range ds {
				o.IDs = append(o.IDs, d.Message.ID)
				o.Attempts = append(o.Attempts, d.Attempt)
			}
			o.Err = errClass(err)
			return o
		}).(leaseOut)
		if out.Err != "" {
			t.Fatalf("lease %s: %s", name, out.Err)
		}
		for _, id := range out.IDs {
			m := byID[id]
			if sb.acked[id] {
				t.Fatalf("%s leased %s again after acknowledging it", name, id)
			}
			for _, o := range msgs {
				if o.app == m.app && o.seq < m.seq && sb.expect[o.id] && !sb.acked[o.id] {
					t.Fatalf("%s leased %s before %s of the same application", name, id, o.id)
				}
			}
			sb.held = append(sb.held, workflow.Delivery{Message: workflow.Message{ID: id}, LeaseID: lid})
		}
	}
	ack := func(name string, i int) {
		sb := subs[name]
		d := sb.held[i]
		sb.held = slices.Delete(sb.held, i, i+1)
		e := all("ack "+name+" "+d.Message.ID, func(s workflow.Store) any {
			return errClass(s.Ack(ctx, workflow.AckRequest{Subscriber: name, MessageID: d.Message.ID, LeaseID: d.LeaseID}))
		}).(string)
		switch e {
		case "":
			sb.acked[d.Message.ID] = true
		case "lease lost":
		case "not found":
			if byID[d.Message.ID].kept {
				t.Fatalf("ack %s %s: not found, but it was never pruned", name, d.Message.ID)
			}
		default:
			t.Fatalf("ack %s %s: %s", name, d.Message.ID, e)
		}
	}
	commit := func() {
		id := fmt.Sprintf("A%d", rng.IntN(5))
		a, ok := apps[id]
		if !ok {
			a = workflow.Application{ID: id, Department: "d", Vendor: "v", SystemName: "s", Zone: workflow.PrivateZone,
				SecurityLevel: 2, State: workflow.StateSubmitted, StateSince: now, CreatedAt: now, UpdatedAt: now,
				Party: workflow.PartyAuthority}
		}
		expected := a.Version
		seq := expected + 1
		a.Version = seq
		a.UpdatedAt = now
		rec := workflow.AuditRecord{ApplicationID: id, Seq: seq, At: now,
			Actor: workflow.Actor{Role: workflow.RoleAuthority, ID: "o"},
			From:  workflow.StateSubmitted, To: a.State, Trigger: workflow.TriggerAccept, PrevHash: a.AuditHead}
		rec.Hash = workflow.HashAuditRecord(rec)
		a.AuditSeq, a.AuditHead = seq, rec.Hash
		c := workflow.Commit{ExpectedVersion: expected, Application: a, Audit: rec}
		for k := range 1 + rng.IntN(3) {
			mseq := seq*10 + int64(k)
			mid := fmt.Sprintf("%s/%d", id, mseq)
			if rng.IntN(3) == 0 {
				mid = fmt.Sprintf("other-%s-%d", id, mseq) // not of the form <app>/<seq>
			}
			c.Outbox = append(c.Outbox, workflow.Message{ID: mid, ApplicationID: id, Seq: mseq, Topic: "t",
				IdempotencyKey: mid, Payload: []byte("{}"), CreatedAt: now})
		}
		all("commit", func(s workflow.Store) any { return errClass(s.Commit(ctx, c, nil)) })
		apps[id] = a
		for _, m := range c.Outbox {
			mm := &modelMsg{id: m.ID, app: id, seq: m.Seq, at: now, kept: true}
			msgs = append(msgs, mm)
			byID[m.ID] = mm
			for _, sb := range subs {
				if sb.started {
					sb.expect[m.ID] = true
				}
			}
		}
	}
	prune := func() {
		var named []string
		if rng.IntN(4) == 0 {
			named = []string{subNames[rng.IntN(len(subNames))]}
			start(named[0]) // registered: from now on it holds what is kept
		}
		req := workflow.PruneRequest{Before: now.Add(-time.Duration(rng.IntN(20)) * time.Minute), Subscribers: named, Max: 1 + rng.IntN(4)}
		res := all("prune", func(s workflow.Store) any {
			r, err := s.(workflow.OutboxPruner).PruneOutbox(ctx, req)
			return fmt.Sprintf("%+v %s", r, errClass(err))
		}).(string)
		var gone []*modelMsg
		for _, m := range msgs {
			if !m.kept || !m.at.Before(req.Before) {
				continue
			}
			ok := true
			for _, sb := range subs {
				if sb.started && !sb.acked[m.id] {
					ok = false
				}
			}
			if ok {
				gone = append(gone, m)
			}
		}
		want := workflow.PruneResult{Pruned: len(gone)}
		if len(gone) > req.Max {
			gone, want = gone[:req.Max], workflow.PruneResult{Pruned: req.Max, More: true}
		}
		if w := fmt.Sprintf("%+v %s", want, ""); res != w {
			t.Fatalf("prune %+v = %s, model says %s", req, res, w)
		}
		for _, m := range gone {
			m.kept = false
		}
	}
	for range 300 + rng.IntN(300) {
		now = now.Add(time.Duration(rng.IntN(90)) * time.Second)
		switch r := rng.IntN(10); {
		case r < 3:
			commit()
		case r < 6:
			lease(subNames[rng.IntN(len(subNames))], 1+rng.IntN(4))
		case r < 9:
			name := subNames[rng.IntN(len(subNames))]
			if n := len(subs[name].held); n > 0 {
				ack(name, rng.IntN(n))
			}
		default:
			prune()
		}
	}
	// Drain every started subscriber and check it got everything it must.
	for _, name := range subNames {
		sb := subs[name]
		if !sb.started {
			continue
		}
		for range 10000 {
			now = now.Add(2 * time.Minute)
			sb.held = nil
			lease(name, 5)
			if len(sb.held) == 0 {
				break
			}
			for len(sb.held) > 0 {
				ack(name, 0)
			}
		}
		for id := range sb.expect {
			if !sb.acked[id] {
				t.Errorf("%s never acknowledged %s", name, id)
			}
		}
	}
}
