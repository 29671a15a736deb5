package workflow_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// countingPruner records the requests Relay.Prune sends and answers from a script.
type countingPruner struct {
	workflow.Store
	reqs    []workflow.PruneRequest
	answers []workflow.PruneResult
}

func (p *countingPruner) PruneOutbox(_ context.Context, r workflow.PruneRequest) (workflow.PruneResult, error) {
	p.reqs = append(p.reqs, r)
	res := p.answers[0]
	p.answers = p.answers[1:]
	return res, nil
}

func TestRelayPrune(t *testing.T) {
	ctx := context.Background()
	clock := workflowtest.NewClock(workflowtest.Base)
	newRelay := func(s workflow.Store) *workflow.Relay {
		r, err := workflow.NewRelay(workflow.RelayOptions{Store: s, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("batches until done", func(t *testing.T) {
		p := &countingPruner{Store: memstore.NewWorkflowStore(), answers: []workflow.PruneResult{
			{Pruned: 5, More: true}, {Pruned: 5, More: true}, {Pruned: 2}}}
		n, err := newRelay(p).Prune(ctx, workflow.PruneOptions{Keep: time.Hour, Subscribers: []string{"billing"}, Batch: 5})
		if err != nil || n != 12 {
			t.Fatalf("Prune = %d, %v; want 12", n, err)
		}
		want := workflow.PruneRequest{Before: workflowtest.Base.Add(-time.Hour), Subscribers: []string{"billing"}, Max: 5}
		if d := cmp.Diff([]workflow.PruneRequest{want, want, want}, p.reqs, workflowtest.CmpOpts); d != "" {
			t.Fatalf("requests (-want +got):\n%s", d)
		}
	})
	t.Run("store without pruning", func(t *testing.T) {
		plain := struct{ workflow.Store }{memstore.NewWorkflowStore()}
		if _, err := newRelay(plain).Prune(ctx, workflow.PruneOptions{Keep: time.Hour}); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Prune on a store without PruneOutbox = %v, want errors.ErrUnsupported", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		p := &countingPruner{Store: memstore.NewWorkflowStore()}
		for _, o := range []workflow.PruneOptions{{}, {Keep: -time.Hour}, {Keep: time.Hour, Batch: -1}, {Keep: time.Hour, Subscribers: []string{""}}} {
			if _, err := newRelay(p).Prune(ctx, o); !errors.Is(err, workflow.ErrInvalidOptions) {
				t.Errorf("Prune(%+v) = %v, want ErrInvalidOptions", o, err)
			}
		}
		if len(p.reqs) != 0 {
			t.Fatalf("bad options reached the store: %+v", p.reqs)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		p := &countingPruner{Store: memstore.NewWorkflowStore()}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := newRelay(p).Prune(cctx, workflow.PruneOptions{Keep: time.Hour}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Prune with a cancelled context = %v, want context.Canceled", err)
		}
	})
}
