package assessmenttest_test

import (
	"fmt"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/assessment/assessmenttest"
)

// SampleRun gives deterministic runs for an implementation's own tests and
// benchmarks.
func ExampleSampleRun() {
	r, err := assessmenttest.SampleRun("r1", assessment.YearPeriod(2026), 8, 1, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _ := assessmenttest.SampleRun("r1", assessment.YearPeriod(2026), 8, 1, "")
	fmt.Println(r.Subjects, r.Scheme, r.Version, r.Period, r.Validate() == nil, r.Equal(again))
	// Output:
	// 8 department 2026.1 2026 true true
}
