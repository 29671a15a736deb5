package assessment_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/workflow"
)

// exampleInputs returns the raw values of three departments for one year of
// the preset department scheme.
func exampleInputs(year int) []assessment.Input {
	dept := func(id, name string, adoption, idle, vulns float64) assessment.Input {
		return assessment.Input{Subject: assessment.Subject{ID: id, Name: name}, Values: assessment.Values{
			assessment.PathAdoption: assessment.Num(adoption), assessment.PathIdle: assessment.Num(idle),
			assessment.PathVulnerabilities: assessment.Num(vulns), assessment.PathDengbaoCurrent: assessment.Num(100)}}
	}
	if year == 2025 {
		return []assessment.Input{dept("fin", "财政局", 60, 20, 8), dept("edu", "教育局", 90, 5, 2), dept("health", "卫健委", 75, 10, 4)}
	}
	return []assessment.Input{dept("fin", "财政局", 95, 3, 1), dept("edu", "教育局", 88, 6, 3), dept("health", "卫健委", 70, 12, 6)}
}

// Score a year, save the run, check that it can be reproduced, and read it
// back as the authority and as one department.
func ExampleNewRun() {
	ctx := context.Background()
	scheme, err := assessment.DepartmentScheme()
	if err != nil {
		fmt.Println(err)
		return
	}
	run, err := assessment.NewRun(assessment.RunSpec{
		ID: "dept-2026-1", Kind: assessment.SubjectDepartment, Period: assessment.YearPeriod(2026),
		Scheme: scheme, Inputs: exampleInputs(2026),
		ScoredAt: time.Date(2027, time.January, 10, 9, 0, 0, 0, time.UTC), // from the platform's clock
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	svc := assessment.NewService(memstore.NewAssessmentStore())
	authority := workflow.Actor{Role: workflow.RoleAuthority, ID: "大数据局"}
	if err := svc.Save(ctx, authority, run); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("saved again:", svc.Save(ctx, authority, run)) // idempotent

	// Anyone holding the inputs can prove the stored result.
	stored, _ := svc.Run(ctx, authority, "dept-2026-1")
	fmt.Println("reproduced:", stored.Verify(scheme, exampleInputs(2026)))
	changed := exampleInputs(2026)
	changed[0].Values[assessment.PathAdoption] = assessment.Num(80)
	err = stored.Verify(scheme, changed)
	fmt.Println("with other inputs:", errors.Is(err, assessment.ErrNotReproduced))

	ranking, _ := svc.Ranking(ctx, authority, assessment.SubjectDepartment, assessment.YearPeriod(2026))
	for _, c := range ranking.Cards {
		fmt.Printf("%d %s %.2f %s\n", c.Rank, c.SubjectName, c.Total, c.Grade.Name)
	}
	// A department sees its own card only.
	mine, _ := svc.Ranking(ctx, workflow.Actor{Role: workflow.RoleDepartment, ID: "health"}, assessment.SubjectDepartment, assessment.YearPeriod(2026))
	fmt.Printf("卫健委 sees %d card: rank %d of %d\n", len(mine.Cards), mine.Cards[0].Rank, mine.Subjects)
	_, _, err = svc.Scorecard(ctx, workflow.Actor{Role: workflow.RoleDepartment, ID: "health"}, assessment.SubjectDepartment, assessment.YearPeriod(2026), "fin")
	fmt.Println(errors.Is(err, assessment.ErrForbidden))
	// Output:
	// saved again: <nil>
	// reproduced: <nil>
	// with other inputs: true
	// 1 财政局 94.41 优秀
	// 2 教育局 87.13 良好
	// 3 卫健委 72.45 合格
	// 卫健委 sees 1 card: rank 3 of 3
	// true
}

// Compare a year with the previous one: per department the change of total,
// rank and grade, and per indicator the change of score and contribution.
func ExampleService_ComparePrevious() {
	ctx := context.Background()
	scheme, _ := assessment.DepartmentScheme()
	svc := assessment.NewService(memstore.NewAssessmentStore())
	authority := workflow.Actor{Role: workflow.RoleAuthority}
	for _, year := range []int{2025, 2026} {
		run, err := assessment.NewRun(assessment.RunSpec{ID: fmt.Sprintf("dept-%d", year), Kind: assessment.SubjectDepartment,
			Period: assessment.YearPeriod(year), Scheme: scheme, Inputs: exampleInputs(year),
			ScoredAt: time.Date(year+1, time.January, 10, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := svc.Save(ctx, authority, run); err != nil {
			fmt.Println(err)
			return
		}
	}
	c, found, err := svc.ComparePrevious(ctx, authority, assessment.SubjectDepartment, assessment.YearPeriod(2026))
	if err != nil || !found {
		fmt.Println(found, err)
		return
	}
	fmt.Println(c.From.Period.Label("zh"), "→", c.To.Period.Label("zh"))
	for _, s := range c.Subjects {
		fmt.Println(s.SubjectName, s.Text)
	}
	for _, l := range c.Subjects[0].Indicators {
		if l.Path == assessment.PathAdoption {
			fmt.Printf("%s: %s → %s, score %+.1f, contribution %+.1f\n", l.Name,
				fmt.Sprint(l.RawFrom.Number), fmt.Sprint(l.RawTo.Number), l.ScoreDelta, l.ContributionDelta)
		}
	}
	// Output:
	// 2025年度 → 2026年度
	// 财政局 总分 59.27 → 94.41(+35.14),排名 3 → 1(上升 2 位),等级 不合格 → 优秀
	// 教育局 总分 89.82 → 87.13(-2.69),排名 1 → 2(下降 1 位),等级 良好 不变
	// 卫健委 总分 78.14 → 72.45(-5.68),排名 2 → 3(下降 1 位),等级 合格 不变
	// 上云率: 60 → 95, score +35.0, contribution +10.5
}

func ExampleParsePeriod() {
	for _, s := range []string{"2026", "2026-H2", "2026-Q1", "2026-03", "2026-Q5"} {
		p, err := assessment.ParsePeriod(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p, p.Label("zh"), p.Label("en"), p.First(), p.Last(), "previous", p.Previous())
	}
	// Output:
	// 2026 2026年度 2026 2026-01-01 2026-12-31 previous 2025
	// 2026-H2 2026年下半年 H2 2026 2026-07-01 2026-12-31 previous 2026-H1
	// 2026-Q1 2026年第1季度 Q1 2026 2026-01-01 2026-03-31 previous 2025-Q4
	// 2026-03 2026年3月 March 2026 2026-03-01 2026-03-31 previous 2026-02
	// assessment: period "2026-Q5": want "2026", "2026-H1", "2026-Q3" or "2026-03"
}
