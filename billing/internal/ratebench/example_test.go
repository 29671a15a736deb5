package ratebench_test

import (
	"fmt"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/billing/internal/ratebench"
)

// Rating a stream agrees with the precomputed amounts on every path: the
// batch of resolved records, Rate per record, Rate with pieces, and CSV.
func Example() {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 1000)
	us := ratebench.Compacts(r, 1000)
	bare := ratebench.BareRecords(ts)
	batch, _ := ratebench.RateBatch(r, us)
	records, _ := ratebench.RateRecords(r, ts)
	pieces, _ := ratebench.RatePieces(r, ts)
	csvBare, _ := ratebench.CSVBare(ts, 1000)
	csvRated, _ := ratebench.CSVRate(r, ts, 1000)
	res, err := ratebench.Measure(r, ratebench.Batch, 10000, 7)
	fmt.Println(bare == ratebench.BareCompact(us), batch == bare, records == bare, pieces == bare,
		csvBare == bare, csvRated == bare, bare > 0, err == nil && res.Records == 10000)
	// Output:
	// true true true true true true true true
}
