package gormstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// TestWorkflowConformance runs the workflow.Store conformance suite on every
// backend: SQLite file (WAL), SQLite in memory and PostgreSQL.
func TestWorkflowConformance(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			workflowtest.Run(t, func(t *testing.T) workflow.Store {
				return openDB(t, o.opts(t)).Workflow()
			})
		})
	}
}
