package memstore_test

import (
	"context"
	"fmt"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// A WorkflowStore backs a workflow.Engine in memory; a participant stages its writes
// on the WorkflowTx so they apply only when the transition commits.
func ExampleNewWorkflowStore() {
	ctx := context.Background()
	store := memstore.NewWorkflowStore()
	reserved := map[string]int64{} // a toy quota kept by the participant
	quota := workflow.ParticipantFunc(func(_ context.Context, tx workflow.Tx, t workflow.Transition) error {
		mtx, ok := tx.(*memstore.WorkflowTx)
		if !ok {
			return fmt.Errorf("unexpected transaction handle %T", tx)
		}
		if t.Trigger == workflow.TriggerApprove {
			mtx.OnCommit(func() {
				for _, it := range t.Items {
					reserved[it.Code] += it.Quantity
				}
			})
		}
		return nil
	})
	eng, _ := workflow.New(workflow.Options{Store: store, Policy: workflow.ZhejiangPreset(),
		Calendar: workflowtest.WeekdayCalendar{}, Clock: workflowtest.NewClock(workflowtest.Base),
		IDs: &workflowtest.IDs{Prefix: "a"}, Participants: []workflow.Participant{quota}})
	a, _ := eng.Submit(ctx, workflowtest.Dept, workflowtest.Request(2))
	eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	a, _ = eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	fmt.Println(a.State.Label(workflow.English), reserved["ecs.4c8g"], reserved["rds.pg"])
	// Output:
	// provisioning trial environment 4 1
}
