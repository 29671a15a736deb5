package xlsx_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/assessment/xlsx"
)

// Export a period's ranking with its comparison to the previous period.
func ExampleWrite_comparison() {
	s, _ := assessment.DepartmentScheme()
	run := func(year int, adoption float64) *assessment.Run {
		r, err := assessment.NewRun(assessment.RunSpec{ID: fmt.Sprint("d", year), Kind: assessment.SubjectDepartment,
			Period: assessment.YearPeriod(year), Scheme: s, ScoredAt: time.Date(year+1, 1, 10, 0, 0, 0, 0, time.UTC),
			Inputs: []assessment.Input{{Subject: assessment.Subject{ID: "fin", Name: "财政局"},
				Values: assessment.Values{assessment.PathAdoption: assessment.Num(adoption)}}}})
		if err != nil {
			panic(err)
		}
		return r
	}
	prev, cur := run(2025, 70), run(2026, 90)
	c, _ := assessment.Compare(prev, cur)

	var buf bytes.Buffer
	if err := xlsx.Write(&buf, cur.Cards, nil, xlsx.Options{Comparison: c}); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := excelize.OpenReader(&buf)
	defer f.Close()
	fmt.Println(f.GetSheetList())
	rows, _ := f.GetRows("对比")
	fmt.Println(rows[1][0], rows[1][3], rows[1][4], rows[1][5], rows[1][22])
	// Output:
	// [汇总 明细 对比]
	// fin 70 90 20 总分 70 → 90(+20),排名 1 → 1,等级 合格 → 优秀
}
