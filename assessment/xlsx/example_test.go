package xlsx_test

import (
	"bytes"
	"fmt"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/assessment/xlsx"
	"github.com/xuri/excelize/v2"
)

func ExampleWrite() {
	s, _ := assessment.DepartmentScheme()
	card, _ := s.Score(assessment.Subject{ID: "d1", Name: "财政局"}, assessment.Values{
		assessment.PathAdoption: assessment.Num(90), assessment.PathIdle: assessment.Num(3)})
	assessment.Rank([]*assessment.Scorecard{card})

	var buf bytes.Buffer // or an *os.File
	if err := xlsx.Write(&buf, []*assessment.Scorecard{card}, nil, xlsx.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := excelize.OpenReader(&buf)
	defer f.Close()
	rows, _ := f.GetRows("汇总")
	for _, r := range rows {
		fmt.Println(r)
	}
	// Output:
	// [排名 对象编号 对象名称 考核方案 方案版本 总分 等级]
	// [1 d1 财政局 department 2026.1 90 优秀]
}
