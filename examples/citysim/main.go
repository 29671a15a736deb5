// Command citysim simulates a year of a city's government cloud (政务云).
//
// Today it plans deadlines: applications (使用申请) arrive at seeded random instants over
// a year, and for every one citysim computes the statutory deadline of every step of the
// 浙江省电子政务云计算平台管理办法 (受理 3, 审批 2, 试用环境 2, 变更审批 5, 变更实施 3,
// 终止审核 5, 资源回收 3 working days) with the official working-day calendar, then prints
// what a planner wants to know: how holidays stretch a "3 working days" deadline in
// calendar days, month by month, and which receipts are hit hardest.
//
// The same seed gives the same output, byte for byte.
//
//	go run ./examples/citysim                 # seed 1, year 2026
//	go run ./examples/citysim -seed 7 -year 2025
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "citysim:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("citysim", flag.ContinueOnError)
	fs.SetOutput(out)
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same output")
	year := fs.Int("year", 2026, "the year to simulate")
	apps := fs.Int("apps", 400, "number of applications (使用申请) arriving in the year")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sc := Scenario{Seed: *seed, Year: *year, Applications: *apps}
	if err := sc.Validate(); err != nil {
		return err
	}
	plan, err := PlanDeadlines(calendar.China(), sc)
	if err != nil {
		return err
	}
	return plan.Write(out)
}
