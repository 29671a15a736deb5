package govcloud_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/workflow"
)

// Open a platform on an SQLite file with the defaults (Zhejiang policy,
// official calendar); the clock and IDs are fixed here so the output is stable.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "govcloud-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	n := 0
	p, err := govcloud.Open(context.Background(), govcloud.Options{
		SQLitePath: filepath.Join(dir, "govcloud.db"),
		Clock:      workflow.ClockFunc(func() time.Time { return time.Date(2026, 9, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) }),
		IDs:        workflow.IDFunc(func() string { n++; return fmt.Sprintf("A%03d", n) }),
	})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "市自然资源局"}
	doc := func(name string) workflow.Attachment {
		return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
	}
	app, err := p.Workflow().Submit(context.Background(), dept, workflow.SubmitRequest{
		SystemName: "不动产登记系统", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 3,
		Items: []workflow.Item{{Code: "ecs.8c16g", Quantity: 4}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: doc("建设方案.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: doc("自测报告.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: doc("资源需求.xlsx")},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(app.ID, app.State, "→", app.Party)
	// Three working days, skipping the weekend and the National Day holiday.
	fmt.Println("受理期限:", app.Due.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"))
	// Output:
	// A001 已提交待受理 → 行政主管部门
	// 受理期限: 2026-10-10 00:00
}
