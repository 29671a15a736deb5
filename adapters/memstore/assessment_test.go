package memstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/assessment/assessmenttest"
)

func TestAssessmentStoreConformance(t *testing.T) {
	assessmenttest.Run(t, func(t *testing.T) assessment.Store { return memstore.NewAssessmentStore() })
}
