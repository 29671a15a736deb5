package workflowtest_test

import (
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// The fake calendar counts Monday to Friday in UTC+8, the day of receipt excluded.
func ExampleWeekdayCalendar_Deadline() {
	cal := workflowtest.WeekdayCalendar{Holidays: map[string]bool{"2026-03-04": true}}
	friday := time.Date(2026, 2, 27, 16, 0, 0, 0, workflowtest.China)
	due, _ := cal.Deadline(friday, 3) // Mon 2, Tue 3, (Wed 4 holiday), Thu 5
	fmt.Println(due.In(workflowtest.China).Format("Mon 2006-01-02 15:04"))
	// Output:
	// Fri 2026-03-06 00:00
}

// Sequential IDs keep test output stable.
func ExampleIDs() {
	ids := &workflowtest.IDs{Prefix: "app"}
	fmt.Println(ids.NewID(), ids.NewID())
	// Output:
	// app-000001 app-000002
}
