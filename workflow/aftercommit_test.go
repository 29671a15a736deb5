package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

var errCommitFailed = errors.New("database: COMMIT failed")

// misbehavingStore is a memstore whose Commit fails after the participants
// succeeded, or runs the participants twice, as a database may.
type misbehavingStore struct {
	*memstore.WorkflowStore
	failAfterInTx error // returned after inTx succeeded (the transaction rolls back)
	retry         bool  // run inTx once in a transaction that is given up, then again
	armed         bool  // misbehave (else commit plainly)
}

func (s *misbehavingStore) Commit(ctx context.Context, c workflow.Commit, inTx func(context.Context, workflow.Tx) error) error {
	if inTx == nil || !s.armed {
		return s.WorkflowStore.Commit(ctx, c, nil)
	}
	if s.retry {
		_ = inTx(ctx, &memstore.WorkflowTx{}) // the first attempt, lost (e.g. a serialization failure)
	}
	return s.WorkflowStore.Commit(ctx, c, func(ctx context.Context, tx workflow.Tx) error {
		if err := inTx(ctx, tx); err != nil {
			return err
		}
		return s.failAfterInTx
	})
}

// TestAfterCommitStoreOutcome: the functions registered with AfterCommit run only
// when Store.Commit returns nil, and only those of the run that committed.
func TestAfterCommitStoreOutcome(t *testing.T) {
	conflict := fmt.Errorf("%w: could not serialize access", workflow.ErrConflict)
	cases := []struct {
		name    string
		store   misbehavingStore
		wantErr error
		want    []string
	}{
		{"commits", misbehavingStore{}, nil, []string{"first 2", "second 2"}},
		{"COMMIT fails", misbehavingStore{failAfterInTx: errCommitFailed}, errCommitFailed, nil},
		{"conflict at COMMIT", misbehavingStore{failAfterInTx: conflict}, workflow.ErrConflict, nil},
		{"retried transaction", misbehavingStore{retry: true}, nil, []string{"first 2", "second 2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := tc.store
			s.WorkflowStore = memstore.NewWorkflowStore()
			var ran []string
			reg := func(name string) workflow.Participant {
				return workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, tr workflow.Transition) error {
					if !workflow.AfterCommit(ctx, func() { ran = append(ran, fmt.Sprintf("%s %d", name, tr.Seq)) }) {
						return errors.New("AfterCommit refused the participant's context")
					}
					return nil
				})
			}
			v := workflowtest.NewEnv(t, &s, reg("first"), reg("second"))
			a := v.Submit(2)
			ran = nil
			s.armed = true // only the transition under test misbehaves
			_, err := v.Engine.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Fire = %v, want %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, ran); d != "" {
				t.Errorf("functions run (-want +got):\n%s", d)
			}
		})
	}
}
