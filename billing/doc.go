// Package billing prices what departments use on the government cloud and
// settles it once a year: the service catalog (服务目录), usage (计量/用量),
// rating (计价), monthly statements (账单), the annual settlement (结算),
// budgets (费随事走), service-level deductions and three-way reconciliation
// of vendors' bills. Money is integer 分 (int64) everywhere.
//
// # Catalog
//
// An [Item] has a code, a Chinese name (optional English name), a unit as
// written in the catalog (核·月, GiB·月, Mbps·月, 实例·月, 次), a resource
// footprint per unit (a quota.Vector, e.g. {vcpu: 1000} for one core, used by
// quota checks), a billing [Basis] and a [Proration] rule.
//
// Codes are our own scheme: 2–5 upper-case segments joined by '-', the first
// naming the layer — IAAS (compute, storage, network), PAAS (databases,
// middleware), SAAS, SEC (云安全), NET, SVC (services such as migration) —
// then the service and the metered dimension: IAAS-ECS-VCPU, IAAS-EVS-SSD,
// IAAS-NET-BW, PAAS-RDS-INST, SVC-MIG-ONCE. The national standard on service
// classification and coding for e-government cloud platforms is GB/T
// 34079.1 (基于云计算的电子政务公共平台服务规范 第1部分: 服务分类与编码); this
// package does not reproduce its codes. Where a catalog must carry them, put
// the standard's code in Item.StdCode: it is stored and exported, not
// checked.
//
// Prices are per vendor contract: a [Price] gives an item's UnitPrice in 分
// per unit per basis period (per 核·月 for a monthly item, per unit-day,
// per unit-hour, per unit once) for a vendor and contract, effective from a
// [Date] (00:00 in the billing location) and optionally to a Date
// (exclusive). Versions are append-only. An open version runs until the next
// version of the same item and vendor starts — that is how a price changes;
// a closed version must not contain another version's start, and two
// versions may not start on the same day ([ErrOverlap]). A price without a
// vendor is [ErrNoVendor].
//
// Catalogs import and export as CSV ([ImportCatalogCSV], two files: items
// and prices, columns [ItemColumns] and [PriceColumns]) and JSON
// ([ImportCatalogJSON]: {"items": [...], "prices": [...]}). Every row is
// validated; an error is a [*RowError] naming the row (CSV: the header is row
// 1; JSON: the 1-based array index) and the field, and nothing is imported.
//
// # Proration
//
// Usage is rated piece by piece: a usage record is cut at month boundaries
// and at price changes (which fall at midnight), and each piece is charged
//
//	amount = round_half_up(quantity × unit price × Num ÷ Den)
//
// in exact arithmetic — int64 with overflow checks, math/big when a product
// would leave 64 bits — rounded half away from zero to 分 once per piece. The
// factor Num/Den is recorded on the statement line:
//
//	basis    proration  Num / Den                       a started … counts whole
//	monthly  days       days touched / days in month    day
//	monthly  hours      hours touched / (24 × days)     hour
//	monthly  none       1 / 1 per month touched, at the price in force when the record enters the month
//	daily    hours      hours touched / 24              hour
//	daily    none       days touched / 1                day
//	hourly   none       hours touched / 1               hour
//	one_time none       1 / 1, once, in the month of Start
//
// Worked examples (price 50.00 元 per 核·月 = 5000 分):
//
//   - 4 cores from 10 January 00:00 to 1 February 00:00: 10…31 January are
//     22 days; 4 × 5000 × 22/31 = 14193.548… → 14194 分 (141.94 元).
//   - 1 core from 27 February 23:00 to 1 March 00:30: February 2/28 →
//     357.14 → 357 分; March 1/31 → 161.29 → 161 分. The piece boundary is
//     1 March 00:00, so no day is counted twice.
//   - 1 core for March when the price drops to 45.00 元 from 16 March: 15/31
//     at 5000 → 2419 分 and 16/31 at 4500 → 2323 分.
//   - 100 GiB of SSD (1.00 元 per GiB·月, by hours) from 1 January 00:00 to
//     10:30: 11 hours of 744; 100 × 100 × 11/744 = 147.85 → 148 分.
//   - Exact halves round up: 0.01 core × 4500 × 3/30 = 4.5 → 5 分.
//
// Periods and dates are counted in the billing location (Options.Location,
// default [CST], UTC+8). Use a location without daylight saving time; for a
// fixed-offset location the [Rater] counts on int64 seconds without
// allocating (a calendar path, checked equal by tests, serves other
// locations).
//
// For streams of millions of records, [Rater.Compact] resolves a record
// once to a [CompactUsage] (item × vendor as a dense [RateKey], times as
// Unix seconds) and [Rater.RateBatch] rates slices of them: the Rater
// precomputes, per key and month, the price version in force, and per
// month length the multiply-shift reciprocal of each proration divisor, so
// a record inside one month (or across one month end) costs a table lookup,
// one checked product and one multiply-shift division rounding half up —
// no map, no time.Time, no interface call. Anything else (a price change
// inside the month, a quantity that could overflow, dates outside the
// tables) takes Rate's general path with its math/big fallback; tests check
// both against big.Rat arithmetic on random records. Unpriced records come
// back as issues (*NoPriceError, to park), never as zero.
//
// # Usage
//
// A [UsageRecord] carries a key, a source (a vendor's meter or the
// application lifecycle), vendor, department, item, quantity in thousandths
// of a unit ([Quantity]) and the interval it was held. Vendors report theirs
// ([Service.Ingest], or [ReadUsageCSV] / [ReadUsageJSON] streamed into it);
// the authority meters active applications ([Service.MeterApplications]:
// each item from activation — or from the trial's start when
// Policy.BillTrial — to reclaim, once a month has closed). Billing does not
// import the workflow package: an application is anything implementing
// [MeteredApplication].
//
// Ingestion is idempotent and all-or-nothing: the same record twice changes
// nothing, the same key with a different payload is [ErrConflict], and an
// unknown item, a negative quantity or a malformed field is a typed error
// naming the batch row and field; nothing of the batch is written.
//
// Usage for which no price is in force is parked ([ParkedUsage], listed by
// [Service.Parked] and in each [GenerateReport]) and retried whenever its
// month's draft is rated again — never rated at zero.
//
// Late usage (arriving after its month's statement exists): if that
// statement is still a draft it is re-rated in full; if it has left draft
// (confirmed, under audit or approved), the late record is rated for that
// month and billed as adjustment lines, linked to the closed statement
// (Line.RefStatement), in the next open statement of the same department and
// vendor (created if needed). Because every piece is rounded on its own, the
// difference between re-rating the closed month and its statement is
// exactly the late record's pieces. (A price version added later with a
// start inside a closed month re-prices only drafts and future ratings;
// statements that have left draft change only through explicit
// corrections.)
//
// # Statements
//
// Each month, every department × vendor with usage gets a statement
// ([Service.GenerateStatements]). Every line carries the department's budget
// code and fiscal year (费随事走; see [Budget]).
//
//	draft ──vendor confirms──▶ vendor_confirmed ──authority opens audit──▶ under_audit ──authority approves──▶ approved
//	  │                              │                                        │   ▲
//	  │                              │                                        └───┘ adjust (authority; reason required)
//	  └──────────────────────────────┴──────── void (authority; reason required) ────▶ void
//
// A transition out of order is a [*TransitionError] ([ErrTransition]). An
// approved statement is sealed with a hash and never edited: a correction is
// an adjustment line linked to it in the next open statement
// ([Service.Correct]); a voided statement keeps its reason, and the month can
// be generated anew.
//
// Roles ([Actor]) are enforced in the core:
//
//	role        may
//	department  read its own statements; ask quotes and forecasts for itself
//	vendor      ingest its own usage; read and confirm its own statements; reconcile its own bill
//	authority   keep the catalog and budgets, meter, generate, audit, adjust, approve, void, correct,
//	            apply deductions, reconcile, build, approve and submit the settlement
//	finance     read everything, set budgets, record payment of the settlement
//
// # Settlement calendar (B 第四条)
//
// Fees are computed from the service catalog, "先用后付、先审再付": use first,
// pay later; audit first, pay after. The authority prices the services
// actually used, audits and aggregates them before the end of September and
// submits them to finance; the departments pay in the next year. Here:
//
//   - fiscal year = calendar year; statements of months Jan–Dec of year Y
//     belong to fiscal year Y;
//   - [Service.BuildSettlement] aggregates the approved statements of Y into a
//     [Settlement] with summaries by department and by vendor; statements
//     neither approved nor void are listed and block approval;
//   - the settlement of Y is due on 30 September of Y+1 (Policy.Settlement;
//     configurable month, day and year offset); it is approved (sealed with a
//     hash), then submitted to finance — a submission after the due date is
//     recorded as Overdue;
//   - finance records payment, which may not happen within fiscal year Y
//     itself ([ErrTooEarly]): departments pay from the following year's
//     budget, which [Service.Forecast] helps plan.
//
// Reading "在每年9月底前审核汇总" as "by 30 September of the year after the
// usage" is our interpretation (a usage year can only be audited once it has
// ended); a province reading it otherwise sets YearOffset to 0.
//
// # Hashes
//
// An approved statement's Hash is the hex SHA-256 of
// [Statement.CanonicalEncoding]: a version tag, the statement's identity,
// period, fiscal year and budget code, every line sorted by ID with every
// field, and the totals, each field written as "<byte length>:<bytes>;" so no
// two different contents encode alike. A settlement's hash covers its
// entries (including each statement's own hash), summaries and total.
// [Statement.Verify] and [Settlement.Verify] recompute it ([ErrHashMismatch]);
// approving a settlement re-verifies every statement it includes.
//
// # Budgets, quotes and forecasts
//
// [Service.Quote] prices an application's items from a start date to the end
// of that fiscal year and compares them with the department's budget minus
// the net of the year's live statements; by policy it notifies
// ([BudgetNotify]) or blocks ([BudgetBlock], [*BudgetError]).
// [Service.Forecast] estimates next year's cost per department: the active
// items rated over the whole year at the contract prices in force (including
// announced future versions) — the run-rate — plus the approved pipeline
// from its expected activation.
//
// # Deductions and reconciliation
//
// Service-level shortfalls come in from assessment as [DeductionInput]
// (target and achieved in basis points); [DeductionTier]s map the shortfall
// to a credit (default: any shortfall 5 %, ≥ 0.5 point 10 %, ≥ 1 point 25 %)
// of the statement's usage amount, written as a negative deduction line.
// [Reconcile] compares a vendor's own bill with metered usage and the
// catalog price, with a tolerance, and lists every discrepancy: missing in
// bill, missing in usage, quantity, price and amount mismatches, unpriced
// usage, duplicate bill lines.
//
// # Exports
//
// [WriteStatementsCSV], [WriteSettlementCSV] and [WriteFinanceXLSX] write
// statement details and summaries by department and by vendor (usage,
// adjustments, deductions, net payable) with Chinese headers (English on
// request). Amounts are written in 元 from exact decimal text; XLSX amount
// cells are numbers formatted 0.00.
//
// A year of a province is millions of lines: [Service.AllStatements]
// streams a listing a page at a time ([StatementFilter.After] and
// [StatementFilter.Limit], keyset paging in the listing order), and
// [WriteStatementsCSVFrom] and [WriteFinanceXLSXFrom] write from such a
// stream, so memory does not grow with the year. Settlements
// ([Service.BuildSettlement], [Service.ApproveSettlement]), [Service.VerifyYear]
// and budget checks read their statements page by page too.
//
// # Storage
//
// A [Store] runs transactions ([Store.Update], [Store.View]); every service
// method that writes does so in one transaction, and an error leaves nothing
// written. adapters/memstore.BillingStore is the reference implementation;
// billing/billingtest.Run is the conformance suite every Store must pass.
// ReadTx.Statements must honour StatementFilter.After and Limit where it
// reads (adapters/gormstore does, on an index in the listing order), so
// that a page costs what it returns.
package billing
