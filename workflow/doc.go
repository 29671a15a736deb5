// Package workflow runs the life of an application (使用申请) on a government cloud:
// 申请 → 受理 → 审批 → 测试 → 开通 → 变更 → 终止 (浙江省电子政务云计算平台管理办法 第六条),
// with statutory deadlines in working days, role-based access, a hash-chained audit
// trail, vendor work orders and a transactional outbox.
//
// # Lifecycle
//
// The engine ([Engine]) is a [github.com/qmuntal/stateless] machine configured once
// per policy, with external state storage: every call loads the application from the
// [Store], fires the trigger against the stored state, and commits the result in one
// transaction. Deadlines ("wd" = working days, the day of receipt not counted, 行政许可法
// 第八十二条) come from the [Policy]; the numbers below are [ZhejiangPreset].
//
//	state               responsible  deadline         triggers (role) → next state                         article
//	(none)              department   –                submit (department) → submitted                        第七条
//	submitted           authority    3 wd             accept (authority) → accepted                          第八条
//	                                                  reject (authority, opinion) → rejected
//	                                                  withdraw (department) → withdrawn
//	rejected            department   none             resubmit (department, materials) → submitted;          第八条
//	                                                  the 3 wd clock restarts
//	                                                  withdraw (department) → withdrawn
//	accepted            authority    2 wd             approve (authority, trial days) → provisioning,        第八条
//	                                                  work order "trial environment" to the vendor
//	                                                  deny (authority, opinion) → denied
//	                                                  withdraw (department) → withdrawn
//	provisioning        vendor       2 wd             provide_trial (vendor, by completing the work order)    第九条
//	                                                  → trial
//	trial               department   15–30 days       record_test_report (department) → trial                第九条
//	                                 (calendar)       extend_trial (authority, within the policy limit)
//	                                                  submit_tests (department; function, performance and
//	                                                  security reports passed, third-party CNAS reports for
//	                                                  等保 level ≥ 3) → final_review
//	                                                  fail_trial (department or authority) → reclaiming
//	                                                  expire_trial (authority, once the trial is over)
//	                                                  → reclaiming
//	final_review        authority    none             activate (authority) → active                          第十条
//	                                                  reject_final (authority, opinion) → trial, or
//	                                                  change_testing after a major change
//	active              –            –                request_change (department) → change_review            第十一条
//	                                                  request_termination (department; offboarding and       第十二条
//	                                                  data backup materials) → termination_review
//	change_review       authority    5 wd             approve_change → change_executing, work order          第十一条
//	                                                  deny_change (opinion) → active
//	change_executing    vendor       3 wd             complete_change (work order) → active, or              第十一条
//	                                                  change_testing for a major change
//	change_testing      department   none             record_test_report → change_testing                    第十一条
//	                                                  submit_tests (performance, security) → final_review
//	termination_review  authority    5 wd             approve_termination → reclaiming, work order           第十二条
//	                                                  deny_termination (opinion) → active
//	reclaiming          vendor       3 wd             complete_reclaim (work order) → terminated             第十二条
//	denied, withdrawn, terminated                     terminal
//
// A major change (ChangeSpec.Major) needs the 第七条 materials again and, after the
// vendor executed it, passing performance and security reports and a final review.
//
// # Deadlines and timing
//
// Every waiting state has a responsible [Party] and, when the policy gives one, a due
// instant computed by the [Calendar] (calendar.China() from workflow/calendar): the
// first instant after the n-th working day after entering the state, 00:00 UTC+8. A
// step is on time iff it happens before that instant. The trial ends at 00:00 UTC+8
// after its last calendar day. Every transition records in its [AuditRecord] the
// [Timing] of the state it leaves: the party, the due instant, whether it was late and
// by how many working days (those after the last allowed day up to the day of the act;
// 0 when late only on rest days); transitions that stay in their state (recording a test
// report, extending the trial) leave no state and record a zero Timing. Application.Due and Application.Party are stored on
// the application row, so [Engine.Overdue] is one indexed query.
//
// # Roles and tenancy
//
// An [Actor] has a [Role] and, for departments and vendors, an ID. A department sees and
// acts only on its own applications, a vendor only on those assigned to it; the
// authority sees all; the operator and finance read everything and change nothing
// (第二十条). The policy says which roles may fire each trigger. A forbidden act returns
// a *[ForbiddenError] (ErrForbidden) and writes nothing.
//
// # Audit chain
//
// Each transition appends an AuditRecord (actor, role, time, from, to, trigger,
// opinion, attachment references, details, timing). Records are chained per
// application: Hash = SHA-256 over the canonical encoding of the record (see
// [HashAuditRecord]) including Seq and PrevHash (the previous record's Hash, "" for
// Seq 1); the application row keeps the head (AuditSeq, AuditHead). [VerifyChain] and
// [Engine.Verify] detect an altered, deleted or reordered record and return a
// *[TamperError] with the sequence number and the problem.
//
// # Storage, transactions and the outbox
//
// [Store] is the persistence contract (adapters/memstore in memory, adapters/gormstore
// on SQLite and PostgreSQL; workflow/workflowtest is the conformance suite). One
// transition is one Store.Commit: the application row (optimistic versioning: a stale
// write returns ErrConflict), its audit record, its outbox message, the work orders it
// creates or completes, and whatever the [Participant]s write through the store's
// transaction handle [Tx] — all or nothing. Participants are how quota can commit a
// reservation in the same transaction as an approval when both stores share a database.
// What a participant must do only once the transition has committed (a notice, a call
// to another system) it registers with [AfterCommit] on the context it was given: the
// engine runs it after Store.Commit has returned nil, never for a transition that
// rolled back.
//
// A Store must copy what it keeps, as the contract says (values passed in are not
// retained): the engine reuses the memory it passes to Commit — the outbox payload,
// the record's attachment list, the one-element message and work-order slices — for
// its next call. The conformance suite checks this (InputsNotRetained).
//
// Vendor work (trial environment, change, reclaim) is a [WorkOrder] with its own
// deadline, written in the transaction that asks for it. The vendor reports completion
// with [Engine.CompleteWorkOrder]: the same Completion twice is a no-op, a different
// one is ErrConflict.
//
// Every committed transition is an outbox [Message] (topic [TopicTransition], payload
// the JSON [Transition], ID and idempotency key "<application>/<seq>"). Subscribers
// lease messages per subscriber name with an expiry and acknowledge them; per
// application a subscriber gets messages strictly in order, each at least once; an
// expired lease is delivered again. [Relay] polls the store and hands transitions to
// [Subscriber]s; with a store implementing [OutboxBatchAcker] it acknowledges the
// messages of a batch in one store transaction. [Relay.Prune] deletes messages older than a retention that every
// subscriber has acknowledged (stores implementing [OutboxPruner]); the audit trail is
// never pruned.
//
// # Errors
//
// Every error matches a sentinel with errors.Is (ErrNotFound, ErrConflict,
// ErrForbidden, ErrInvalidTrigger, ErrMissingMaterial, ErrInvalidInput,
// ErrInvalidPolicy, ErrTampered, ErrLeaseLost) and carries detail in a typed error
// (*FieldError naming the field, *TriggerError, *ForbiddenError, *NotFoundError,
// *TamperError, *MultiError for several problems at once). A call that fails writes
// nothing.
package workflow
