package memstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

func TestWorkflowStoreConformance(t *testing.T) {
	workflowtest.Run(t, func(t *testing.T) workflow.Store { return memstore.NewWorkflowStore() })
}
