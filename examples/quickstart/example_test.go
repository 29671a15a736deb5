package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opengovcloud/govcloud/workflow"
)

// One application from submission to active, with quota and the audit
// chain, on a temporary SQLite file. The clock and the IDs are injected so
// that the output (and the audit hashes) are the same on every run.
func Example() {
	dir, err := os.MkdirTemp("", "govcloud-quickstart")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	// A clock that advances one hour per reading, from Monday 2 March 2026, 09:00 Beijing time.
	t := time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	clock := workflow.ClockFunc(func() time.Time { t = t.Add(time.Hour); return t })
	n := 0
	ids := workflow.IDFunc(func() string { n++; return fmt.Sprintf("ID%04d", n) })

	if err := run(context.Background(), os.Stdout, filepath.Join(dir, "govcloud.db"), clock, ids); err != nil {
		panic(err)
	}
	// Output:
	// 已提交待受理 (submitted) → 下一步 next: 行政主管部门
	// 已受理待审批 (accepted) → 下一步 next: 行政主管部门
	// 试用环境准备中 (provisioning) → 下一步 next: 云服务商
	// 配额: 已预留 内存 32768 MiB, 存储 500 GiB, 虚拟CPU 16000 毫核
	// 试用中 (trial) → 下一步 next: 使用单位
	// 终审中 (final_review) → 下一步 next: 行政主管部门
	// 已开通 (active) → 下一步 next: 无
	// 配额: 已占用 内存 32768 MiB, 存储 500 GiB, 虚拟CPU 16000 毫核
	// #1 63359db78fe0 提交申请 (submit)
	// #2 1a9c62721995 受理 (accept)
	// #3 857606d8c109 审批通过 (approve)
	// #4 c70aa24ae0d5 提供试用环境 (provide_trial)
	// #5 51e5b1f7a0df 登记测试报告 (record_test_report)
	// #6 7d5fb5db6671 登记测试报告 (record_test_report)
	// #7 8ab4812eaa80 登记测试报告 (record_test_report)
	// #8 a6e4fd75955a 提交测试结果 (submit_tests)
	// #9 aabea5060406 终审通过并开通 (activate)
	// 审计链校验通过 / audit chain verified
}
