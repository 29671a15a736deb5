package ratebench_test

import (
	"fmt"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/billing/internal/ratebench"
)

// Rating a stream agrees with the precomputed amounts, from memory and from
// CSV.
func Example() {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 64)
	bare := ratebench.BareLoop(ts, 1000)
	rated, _ := ratebench.RateStream(r, ts, 1000)
	csvBare, _ := ratebench.CSVBare(ts, 1000)
	csvRated, _ := ratebench.CSVRate(r, ts, 1000)
	fmt.Println(bare == rated, csvBare == bare, csvRated == bare, bare > 0)
	// Output:
	// true true true true
}
