package assessment_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

const exampleScheme = `{
  "id": "vendor-lite", "version": "1", "name": "供应商简化考核", "effective_from": "2026-01-01",
  "indicators": [
    {"id": "availability", "name": "可用性", "name_en": "Availability", "unit": "%", "weight_bp": 2000,
     "direction": "higher", "normaliser": {"kind": "target", "target": 99.9, "threshold": 99.2}},
    {"id": "satisfaction", "name": "满意度", "name_en": "Satisfaction", "unit": "分", "weight_bp": 5000,
     "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 100}},
    {"id": "drill", "name": "应急演练", "name_en": "Drill", "weight_bp": 3000,
     "normaliser": {"kind": "lookup", "table": {"delivered": 100, "missing": 0}}}
  ]
}`

// Load a scheme from JSON, score one vendor and print the explanation.
func Example() {
	s, err := assessment.ParseScheme([]byte(exampleScheme))
	if err != nil {
		fmt.Println(err)
		return
	}
	card, err := s.Score(assessment.Subject{ID: "v1", Name: "甲云"}, assessment.Values{
		"availability": assessment.Num(99.2),
		"satisfaction": assessment.MissingValue("样本不足", "sample too small"),
		"drill":        assessment.Cat("delivered"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range card.Lines {
		fmt.Println(l.Text)
	}
	fmt.Printf("总分 %.1f,%s\n", card.Total, card.Grade.Name)
	fmt.Println(card.Lines[0].Sentence("en"))
	// Output:
	// 可用性 99.2%,目标 99.9%,得 60 分,权重 20%(同级缺失后 40%),贡献 24.0 分
	// 满意度 无数据(样本不足),不计入,权重由同级指标分摊
	// 应急演练 delivered,按类别评分,得 100 分,权重 30%(同级缺失后 60%),贡献 60.0 分
	// 总分 84.0,良好
	// Availability 99.2%, target 99.9%: score 60, weight 20% (40% after siblings missing), contribution 24.0
}

// Every problem of a scheme document is reported at once, naming the indicator.
func ExampleParseScheme_errors() {
	_, err := assessment.ParseScheme([]byte(`{"id": "x", "name": "x", "indicators": [
	  {"id": "a", "name": "A", "weight_bp": 6000, "direction": "higher", "normaliser": {"kind": "minmax", "min": 1, "max": 0}},
	  {"id": "b", "name": "B", "weight_bp": 3000, "direction": "sideways", "normaliser": {"kind": "minmax", "max": 1}}]}`))
	var se *assessment.SchemeError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Println(p)
		}
	}
	fmt.Println(errors.Is(err, assessment.ErrWeightSum))
	// Output:
	// a: minmax: need min < max, got min 1, max 0
	// b: direction "sideways": want higher or lower
	// (top level): weights of 2 children sum to 9000 bp (90%), want 10000 bp (100%)
	// true
}

func ExampleRank() {
	cards := []*assessment.Scorecard{
		{SubjectID: "d3", Total: 88}, {SubjectID: "d1", Total: 92.5}, {SubjectID: "d2", Total: 88},
	}
	assessment.Rank(cards)
	for _, c := range cards {
		fmt.Println(c.Rank, c.SubjectID, c.Total)
	}
	// Output:
	// 1 d1 92.5
	// 2 d2 88
	// 2 d3 88
}

func ExampleSchemeSet_InForce() {
	v1, _ := assessment.VendorScheme()
	doc, _ := assessment.PresetJSON(assessment.VendorSchemeID)
	v2, _ := assessment.ParseScheme(doc)
	v2.Version, v2.EffectiveFrom = "2027.1", calendar.Date{Year: 2027, Month: time.January, Day: 1}
	set, err := assessment.NewSchemeSet(v1, v2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []calendar.Date{{Year: 2026, Month: time.December, Day: 31}, {Year: 2027, Month: time.March, Day: 1}} {
		s, _ := set.InForce(assessment.VendorSchemeID, d)
		fmt.Println(d, s.Version)
	}
	// Output:
	// 2026-12-31 2026.1
	// 2027-03-01 2027.1
}

// Availability of one month with an overlapping outage and an approved
// maintenance window, and the service-level credit it earns.
func ExampleMonthlyAvailability() {
	cst := time.FixedZone("CST", 8*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, time.April, d, h, m, 0, 0, cst) }
	outages := []assessment.Outage{
		{ID: "o1", Interval: assessment.Interval{From: at(3, 10, 0), To: at(3, 10, 40)}},
		{ID: "o2", Interval: assessment.Interval{From: at(3, 10, 30), To: at(3, 10, 50)}}, // overlaps o1
		{ID: "o3", Interval: assessment.Interval{From: at(12, 1, 0), To: at(12, 3, 0)}},   // inside maintenance
	}
	excl := []assessment.Exclusion{{ID: "m1", Interval: assessment.Interval{From: at(12, 0, 0), To: at(12, 4, 0)},
		Reason: assessment.Maintenance, Evidence: "公告〔2026〕7号", ApprovedBy: "运行管理单位"}}
	a, err := assessment.MonthlyAvailability(assessment.Month{Year: 2026, Month: time.April}, cst, outages, excl)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Total, a.Excluded, a.Down, a)
	credits := assessment.DefaultCreditOptions()
	line, _ := credits.Credit("v1", a, 1_234_567)
	fmt.Println(line.Reason)

	excl[0].Evidence = ""
	_, err = assessment.MonthlyAvailability(assessment.Month{Year: 2026, Month: time.April}, cst, outages, excl)
	fmt.Println(err)
	// Output:
	// 43200 240 50 99.8836%
	// 2026-04 可用性 99.8836%,低于 99.9%,按月费 12345.67 元扣减 10%,计 1234.57 元
	// assessment: exclusion "m1": evidence: no evidence (announcement, report) attached
}

func ExampleEfficiencyOptions_Classify() {
	o := assessment.DefaultEfficiencyOptions()
	end := time.Date(2026, time.July, 1, 0, 0, 0, 0, time.UTC)
	var samples []assessment.Sample
	for d := 40; d > 0; d-- {
		samples = append(samples, assessment.Sample{Start: end.AddDate(0, 0, -d), Span: 24 * time.Hour, CPU: 25, Mem: 30, NetBytes: 80_000_000})
	}
	f, _ := o.Classify(assessment.Resource{ID: "vm-7", Kind: "vm", Size: "8c16g"}, samples, end, nil)
	fmt.Println(f.Sentence("zh"))
	fmt.Println(f.Sentence("en"))
	// Output:
	// 资源 vm-7:截至 2026-07-01 的 30 天内配置过度(数据 720 小时,覆盖 100%),CPU p95 25%,内存 p95 30%,网络 80 MB/天,建议降为 4c8g
	// resource vm-7: over-provisioned over 30 days to 2026-07-01 (data 720 h, 100%); CPU p95 25%, memory p95 30%, network 80 MB/day; suggest size 4c8g
}

func ExampleWriteCSV() {
	s, _ := assessment.ParseScheme([]byte(exampleScheme))
	card, _ := s.Score(assessment.Subject{ID: "v1", Name: "甲云"}, assessment.Values{
		"availability": assessment.Num(99.95), "satisfaction": assessment.Num(80), "drill": assessment.Cat("missing")})
	assessment.Rank([]*assessment.Scorecard{card})
	if err := assessment.WriteCSV(os.Stdout, []*assessment.Scorecard{card}, assessment.CSVOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 排名,对象编号,对象名称,考核方案,方案版本,总分,等级,指标路径,指标,层级,原始值,单位,得分,权重,实际权重,贡献,说明
	// 1,v1,甲云,vendor-lite,1,60.0000,合格,availability,可用性,0,99.95,%,100.0000,20%,20.0000%,20.0000,"可用性 99.95%,目标 99.9%,得 100 分,权重 20%,贡献 20.0 分"
	// 1,v1,甲云,vendor-lite,1,60.0000,合格,satisfaction,满意度,0,80,分,80.0000,50%,50.0000%,40.0000,"满意度 80 分,区间 0–100 分,得 80 分,权重 50%,贡献 40.0 分"
	// 1,v1,甲云,vendor-lite,1,60.0000,合格,drill,应急演练,0,missing,,0.0000,30%,30.0000%,0.0000,"应急演练 missing,按类别评分,得 0 分,权重 30%,贡献 0.0 分"
}

// cityData is a tiny in-memory implementation of the department assessor's inputs;
// in the platform, the stores and billing implement them.
type cityData struct{}

func (cityData) Systems(context.Context, string) ([]assessment.SystemRecord, error) {
	return []assessment.SystemRecord{{ID: "oa", OnPlatform: true}, {ID: "gis", OnPlatform: true}, {ID: "hr"}, {ID: "web", OnPlatform: true}}, nil
}

func (cityData) Resources(context.Context, string) ([]assessment.Resource, error) {
	return []assessment.Resource{{ID: "vm-busy", Kind: "vm", Size: "4c8g"}, {ID: "vm-idle", Kind: "vm", Size: "2c4g"}}, nil
}

func (cityData) AppendSamples(_ context.Context, dst []assessment.Sample, id string, from, to time.Time) ([]assessment.Sample, error) {
	cpu := 60.0
	if id == "vm-idle" {
		cpu = 1
	}
	for t := from; t.Before(to); t = t.Add(24 * time.Hour) {
		dst = append(dst, assessment.Sample{Start: t, Span: 24 * time.Hour, CPU: cpu, Mem: 50, NetBytes: 1000})
	}
	return dst, nil
}

func (cityData) Cost(_ context.Context, _ string, from, to time.Time) (int64, error) {
	return 50 * int64(to.Sub(from)/time.Hour), nil // 0.50 元 an hour
}

func (cityData) SystemSecurity(context.Context, string) ([]assessment.SystemSecurity, error) {
	until := calendar.Date{Year: 2027, Month: time.June, Day: 30}
	return []assessment.SystemSecurity{
		{SystemID: "oa", Level: 3, AssessedUntil: &until},
		{SystemID: "gis", Level: 2, AssessedUntil: &until, OpenVulns: [4]int{0, 1, 2, 0}},
		{SystemID: "web", Level: 2, AssessedUntil: &until},
	}, nil
}

func ExampleDepartmentAssessor() {
	scheme, err := assessment.DepartmentScheme()
	if err != nil {
		fmt.Println(err)
		return
	}
	data := cityData{}
	a := &assessment.DepartmentAssessor{Scheme: scheme, Options: assessment.DefaultDepartmentOptions(),
		Register: data, Resources: data, Utilisation: data, Cost: data, Security: data}
	checkpoint := time.Date(2027, time.January, 1, 0, 0, 0, 0, time.UTC) // assess as of the end of 2026
	rep, err := a.Assess(context.Background(), assessment.Subject{ID: "d-fin", Name: "财政局"}, []time.Time{checkpoint})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range rep.Facts.Efficiency.Findings {
		fmt.Println(f.Sentence("zh"))
	}
	for _, l := range rep.Card.Lines {
		fmt.Println(l.Text)
	}
	fmt.Printf("%.2f %s\n", rep.Card.Total, rep.Card.Grade.Name)
	// Output:
	// 资源 vm-idle:截至 2027-01-01 的 14 天内闲置(数据 336 小时,覆盖 100%),CPU p95 1%,内存 p95 50%,网络 0 MB/天,闲置费用 168.00 元
	// 上云率 75%(3/4 个系统上云),区间 0–100%,得 75 分,权重 30%,贡献 22.5 分
	// 资源使用效率 得 30 分,权重 30%,贡献 9.0 分
	// 闲置率 50%(1/2 资源·检查点闲置,0 个数据不足),区间 0–30%(越低越好),得 0 分,权重 40%,贡献 0.0 分
	// 配置过度率 0%(0/2 资源·检查点配置过度),区间 0–50%(越低越好),得 100 分,权重 30%,贡献 9.0 分
	// 闲置费用占比 50%(闲置 168.00 元 / 336.00 元),区间 0–20%(越低越好),得 0 分,权重 30%,贡献 0.0 分
	// 应用系统安全状况 得 95.5 分,权重 40%,贡献 38.2 分
	// 未修复漏洞(加权/系统) 3 点(严重 0、高危 1、中危 2、低危 0,3 个系统),区间 0–20 点(越低越好),得 85 分,权重 30%,贡献 10.2 分
	// 安全事件 0 起,达到 ≤0 起 档,得 100 分,权重 25%,贡献 10.0 分
	// 逾期未整改 0 项,达到 ≤0 项 档,得 100 分,权重 20%,贡献 8.0 分
	// 等保测评有效率 100%(3/3 个系统等保测评在有效期内),目标 100%,得 100 分,权重 25%,贡献 10.0 分
	// 69.70 合格
}
