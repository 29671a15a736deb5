package calendar_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func ExampleParseDate() {
	d, err := calendar.ParseDate("2025-10-01")
	fmt.Println(d, d.Weekday(), err)

	_, err = calendar.ParseDate("2025-02-29")
	fmt.Println(errors.Is(err, calendar.ErrInvalidArgument))
	// Output:
	// 2025-10-01 Wednesday <nil>
	// true
}

func ExampleDateOf() {
	// 17:30 UTC on 31 January is already 1 February in Beijing.
	fmt.Println(calendar.DateOf(time.Date(2025, 1, 31, 17, 30, 0, 0, time.UTC)))
	// Output: 2025-02-01
}

func ExampleCalendar_AddWorkdays() {
	c := calendar.China()
	friday := calendar.Date{Year: 2025, Month: time.January, Day: 24}
	for n := 1; n <= 3; n++ {
		d, _ := c.AddWorkdays(friday, n)
		info, _ := c.Day(d)
		fmt.Println(n, info)
	}
	// Output:
	// 1 2025-01-26 调休上班 春节（国办发明电〔2024〕12号）
	// 2 2025-01-27 工作日
	// 3 2025-02-05 工作日
}

func ExampleCalendar_Deadline() {
	c := calendar.China()
	// An application received on 30 September 2025 at 16:00 Beijing time must be
	// accepted within 3 working days (第八条). 1–8 October are holidays and
	// Saturday 11 October is a 调休 working day.
	received := time.Date(2025, 9, 30, 16, 0, 0, 0, calendar.Beijing())
	deadline, _ := c.Deadline(received, 3)
	fmt.Println(deadline)

	late := time.Date(2025, 10, 12, 0, 0, 0, 0, calendar.Beijing())
	fmt.Println("on time at 11 Oct 23:59:", time.Date(2025, 10, 11, 23, 59, 0, 0, calendar.Beijing()).Before(deadline))
	fmt.Println("on time at 12 Oct 00:00:", late.Before(deadline))
	// Output:
	// 2025-10-12 00:00:00 +0800 CST
	// on time at 11 Oct 23:59: true
	// on time at 12 Oct 00:00: false
}

func ExampleCalendar_WorkingTime() {
	c := calendar.China()
	h := calendar.StandardOfficeHours() // 09:00–12:00 and 13:30–17:30
	// A fault reported on Friday 10 October 2025 at 16:00, fixed on Monday 13
	// October at 10:00: Saturday 11 October is a 调休 working day.
	from := time.Date(2025, 10, 10, 16, 0, 0, 0, calendar.Beijing())
	to := time.Date(2025, 10, 13, 10, 0, 0, 0, calendar.Beijing())
	d, _ := c.WorkingTime(from, to, h)
	fmt.Println(d)

	// A response due within 4 working hours of Friday 16:00.
	due, _ := c.AddWorkingTime(from, 4*time.Hour, h)
	fmt.Println(due)
	// Output:
	// 9h30m0s
	// 2025-10-11 11:30:00 +0800 CST
}

func ExampleCalendar_With() {
	// A regional overlay (here Guangxi's 壮族三月三 2025) is loaded at run time
	// and applied on top of the national calendar. Next year's national notice
	// loads the same way and extends the coverage.
	f, err := os.Open("testdata/overlay-gx-2025.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	overlay, err := calendar.Load(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	guangxi, err := calendar.China().With(overlay)
	if err != nil {
		fmt.Println(err)
		return
	}
	day := calendar.Date{Year: 2025, Month: time.March, Day: 31}
	national, _ := calendar.China().Day(day)
	regional, _ := guangxi.Day(day)
	fmt.Println(national)
	fmt.Println(regional)
	// Output:
	// 2025-03-31 工作日
	// 2025-03-31 节假日 壮族三月三（广西2025年三月三放假通知）
}

func ExampleCalendar_WithProvisional() {
	f, _ := os.Open("testdata/cn-2025.json") // a calendar that ends on 2025-12-31
	defer f.Close()
	ds, _ := calendar.Load(f)
	c, _ := calendar.New(ds)

	last := calendar.Date{Year: 2025, Month: time.December, Day: 31}
	_, err := c.AddWorkdays(last, 1)
	fmt.Println(errors.Is(err, calendar.ErrNotCovered))

	d, basis, _ := c.WithProvisional().AddWorkdays(last, 1)
	fmt.Println(d, basis, basis.English())
	// Output:
	// true
	// 2026-01-01 临时推定 provisional
}

func ExampleCalendar_CoverageWarning() {
	f, _ := os.Open("testdata/cn-2025.json")
	defer f.Close()
	ds, _ := calendar.Load(f)
	c, _ := calendar.New(ds)

	now := time.Date(2025, 11, 26, 9, 0, 0, 0, calendar.Beijing()) // from the injected clock
	err := c.CoverageWarning(now, calendar.RecommendedWarningHorizon)
	var w *calendar.CoverageWarningError
	if errors.As(err, &w) {
		fmt.Println(w.Last, w.DaysLeft, w.NextYear)
		fmt.Println(err)
	}
	// Output:
	// 2025-12-31 35 2026
	// calendar: 节假日数据覆盖至 2025-12-31，距今 35 天；请加载国务院办公厅关于2026年部分节假日安排的通知 / holiday data coverage ends 2025-12-31, 35 days from now; load the 2026 notice
}

func ExampleNotCoveredError() {
	f, _ := os.Open("testdata/cn-2025.json")
	defer f.Close()
	ds, _ := calendar.Load(f)
	c, _ := calendar.New(ds)

	_, err := c.IsWorkday(calendar.Date{Year: 2026, Month: time.January, Day: 5})
	var nc *calendar.NotCoveredError
	if errors.As(err, &nc) {
		fmt.Println(nc.Date, nc.First, nc.Last)
	}
	// Output: 2026-01-05 2025-01-01 2025-12-31
}
