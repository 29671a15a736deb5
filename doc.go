// Package govcloud is a library-first SDK for running a government cloud (政务云) the
// way Chinese regulations require.
//
// Provinces and cities buy cloud services from vendors (云服务商) and must run every
// department's use of them through a regulated lifecycle — 申请 → 受理 → 审批 → 测试 →
// 开通 → 变更 → 终止 — each step with a deadline counted in statutory working days;
// allocate resources within quotas; settle fees by a priced service catalog under
// "先用后付、先审再付" (use first and pay later; audit first and pay after); and assess
// departments and vendors. The rules encoded here come from the 浙江省电子政务云计算平台
// 管理办法 (the default preset) and the provincial and municipal measures summarised in
// the repository's RULES digest.
//
// The SDK is a set of importable packages a city composes into its own platform:
//
//   - workflow/calendar: the statutory working-day calendar (official holiday notices,
//     调休 working days, 行政许可法 第八十二条 deadlines, working hours).
//   - workflow: the life of an application (使用申请), its policy, roles, deadlines,
//     hash-chained audit trail, work orders for vendors and a transactional outbox.
//   - quota: resource vectors, hierarchical pools, a reservation ledger and fair
//     allocation algorithms (proportional, priority, max-min, DRF).
//   - billing: the service catalog, idempotent usage, exact rating, monthly statements,
//     the annual settlement for finance, reconciliation and exports.
//   - assessment: explainable indicator trees scoring departments and vendors.
//   - dispatch: delivers vendor work orders from the outbox to a [Provider], durably.
//   - adapters/memstore and adapters/gormstore: every Store in memory, and on GORM
//     (SQLite embedded by default, PostgreSQL when a platform outgrows one machine).
//   - adapters/simprovider, adapters/httpprovider, adapters/openstack: vendors; the
//     conformance suite every Provider passes is adapters/providertest.
//
// Package govcloud itself wires them into one Platform: [Open] returns a platform on an
// embedded SQLite file by default, or on PostgreSQL from a DSN, with the calendar, the
// clock, the ID generator and the policy injected. Quota follows the lifecycle — the
// approval's reservation commits in the approval's own transaction when the ledger
// shares the platform's database, or through the outbox otherwise. The vendor contract,
// [Provider], is documented for implementers on the interface itself.
//
// 中文简介:govcloud 是一套以库为先的 Go SDK,按照我国政务云管理办法运行政务云:使用申请
// 的全流程(以法定工作日计时)、配额、按服务目录计费结算、对使用单位和云服务商的考核。
// 各子包可以单独引用,由各市按需组装成自己的政务云平台。
package govcloud
