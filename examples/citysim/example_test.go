package main

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// A scenario file overrides the preset; every invalid value is named.
func ExampleLoadScenario() {
	sc, err := LoadScenario(strings.NewReader(`{"applications": 120, "quota": {"algorithm": "maxmin"}}`), DefaultScenario())
	fmt.Println(sc.Applications, sc.Departments, sc.Quota.Algorithm, err)

	_, err = LoadScenario(strings.NewReader(`{"departments": 0, "authority": {"reject_rate": 2}}`), DefaultScenario())
	fmt.Println(errors.Is(err, ErrScenario))
	fmt.Println(err)
	// Output:
	// 120 60 maxmin <nil>
	// true
	// scenario: departments: 0 is outside 1–100000
	// scenario: authority.reject_rate: 2 is not a probability in [0, 1]
}

// The step statistics count, per state left and responsible party, the acts that
// met their deadline.
func ExampleStepStats() {
	acts := []Act{
		{From: "submitted", Party: "authority", Due: day(3), At: day(2)},
		{From: "submitted", Party: "authority", Due: day(3), At: day(5), Late: true, LateWorkdays: 2},
		{From: "provisioning", Party: "vendor", Due: day(4), At: day(4), Late: true},
	}
	for _, st := range StepStats(acts) {
		fmt.Printf("%s %s: %d/%d on time, %d late working days\n", st.From, st.Party, st.OnTime(), st.WithDeadline, st.SumLateWorkdays)
	}
	// Output:
	// 已提交待受理 行政主管部门: 1/2 on time, 2 late working days
	// 试用环境准备中 云服务商: 0/1 on time, 0 late working days
}

func day(n int) time.Time { return time.Date(2025, 3, n, 0, 0, 0, 0, time.UTC) }
