// Command quickstart is the shortest complete use of the govcloud SDK: it
// opens a Platform on a temporary SQLite file, sets up the quota pools
// (platform capacity → city cloud → one department), and takes one
// application (使用申请) through its whole regulated path:
//
//	submit 提交 → accept 受理 → approve 审批通过 (quota reserved)
//	→ the vendor completes its work order: trial environment 提供试用环境
//	→ test reports 测试报告 (function, performance, security)
//	→ submit_tests 申请终审 → activate 终审通过 (quota committed) → active 已开通
//
// and finally shows that the application's hash-chained audit trail
// (审计链) verifies.
//
// Run it with
//
//	go run ./examples/quickstart
//
// The same code runs as the package's godoc Example, with an injected clock
// and ID generator so that its output is deterministic.
package main
