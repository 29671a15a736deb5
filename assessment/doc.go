// Package assessment scores government-cloud departments and vendors (考核) with
// explainable indicator trees, following 浙江省电子政务云计算平台管理办法
// 第二十二条 (departments) and 第二十三条 (vendors), with 第十五条 (monthly
// reports) and 第十九条 (monthly security bulletins, yearly drill).
//
// The package has two layers. The scoring engine (Scheme, Score, Rank, grade
// bands, SchemeSet, JSON loading and export) knows nothing of clouds. The two
// schemes' pure computations (adoption, idle and over-provisioned resources,
// security status; work-order response, satisfaction, availability with
// exclusions, service-level credits, deliverables) turn records into Values for
// the preset schemes. Assessors wire both to small consumer-side interfaces
// (SystemRegister, ResourceLister, UtilisationSource, CostSource,
// SecuritySource, VendorSource, FeeSource, WorkingTimer) that stores and billing
// implement; nothing here does I/O or reads the clock. Results are kept as
// Runs in a Store, read through a Service that enforces who sees what, and
// compared period against period (Compare).
//
// # Indicator trees
//
// A Scheme is a tree of Indicators. A leaf takes a raw value (a number, or a
// category for lookup leaves) and normalises it to a score in [0, 100]; an inner
// node's score is the weighted mean of its children's scores; the scheme's
// total is the weighted mean of the top-level scores. Leaves are addressed by
// path, the IDs from the top joined by "/": "quality/stability/restore_hours".
//
// Weights are integers in basis points (Weight, 万分之一): the weights of every
// group of siblings must sum to exactly 10000 (100 %). An integer check cannot
// drift, 33.33 % is expressible, and a scheme whose weights do not add up is
// rejected with ErrWeightSum naming the parent.
//
// # Normalisers
//
// With x the raw value and s the score (always clamped to [0, 100]):
//
//	minmax  higher is better: s = 100·(x − Min)/(Max − Min)
//	        lower is better:  s = 100·(Max − x)/(Max − Min)
//	target  higher is better: x ≥ Target → 100; x < Threshold → 0;
//	        otherwise s = TS + (100 − TS)·(x − Threshold)/(Target − Threshold)
//	        where TS = ThresholdScore (default 60). Lower is better mirrors it
//	        (Target < Threshold; x ≤ Target → 100; x > Threshold → 0).
//	ladder  Steps [{Bound, Score}] from best to worst: the first step reached
//	        (x ≥ Bound, or x ≤ Bound when lower is better) gives its Score;
//	        none reached gives Otherwise. Bounds must be strictly ordered and
//	        scores non-increasing, so a better value never scores less.
//	lookup  Table[category]; an unknown category is ErrUnknownCategory.
//
// A leaf may declare a valid Range; a value outside it (or NaN/Inf) is an error
// (ErrOutOfRange), not a score of 0. Every normaliser is monotone, so improving
// one indicator never lowers the total (a property test checks this).
//
// # Missing data
//
// Each indicator has a MissingPolicy for when it has no value (absent from
// Values, or MissingValue with a reason):
//
//	renormalise (default)  leave it out; its present siblings' weights are
//	                       scaled up to 100 % (LocalWeight). If no sibling is
//	                       present the parent is missing in turn, by its own
//	                       policy. All missing: ErrNoData.
//	zero                   count it as present with score 0.
//	fail                   scoring fails with ErrMissingValue naming the path.
//
// Re-normalisation keeps every score within [0, 100]; leaf contributions still
// add up to the total.
//
// # Explanations, grades and ranking
//
// Score returns a Scorecard with one Line per indicator: raw value, score,
// nominal and effective weight, contribution to the total (score × product of
// local weights along the path), and a sentence in Chinese (Text) and English
// (TextEn), e.g. "可用性 99.2%,目标 99.9%,得 60 分,权重 20%,贡献 12.0 分".
// Totals are rounded to 4 decimals. GradeBands map totals to grades (default
// 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 below; a scheme may set its own,
// validated: strictly falling minimums ending at 0). Rank sorts by total
// descending, then subject ID ascending, and gives equal totals the same rank
// (1, 1, 3). WriteJSON and WriteCSV (Chinese headers by default) export cards;
// WriteDeductionsCSV exports service-level credits; the sub-package
// assessment/xlsx writes both to an Excel workbook.
//
// # Schemes as data
//
// Schemes are JSON documents (ParseScheme, LoadScheme). Unknown fields are
// rejected, and every problem in a document is reported at once in a
// *SchemeError, each naming its location or indicator path. A Scheme has an ID
// (its family), a Version and an EffectiveFrom date; a SchemeSet picks the
// version in force on a date (the latest EffectiveFrom on or before it).
// Dates are workflow/calendar.Date values; in JSON "2006-01-02", and an absent
// (zero) EffectiveFrom, written "" or left out, means in force since always.
//
// # Department scheme (第二十二条), presets/department.json
//
// Article 22 names three aspects and no weights; the weights and thresholds are
// a proposal (edit the JSON, or load another):
//
//	adoption 30 %           上云率: systems on the platform ÷ registered systems (Adoption)
//	efficiency 30 %         云资源是否闲置或配置过度
//	  idle 40 %             share of resource-checkpoints idle (minmax 0–30 %, lower better)
//	  overprovisioned 30 %  share over-provisioned (minmax 0–50 %, lower better)
//	  idle_cost 30 %        cost of idle windows ÷ cost of all assessed windows (0–20 %)
//	security 40 %           应用系统安全状况
//	  vulnerabilities 30 %  open vulnerabilities weighted 10/5/2/1 by severity, per system
//	  incidents 25 %        security incidents (ladder)
//	  overdue_fixes 20 %    fixes past their deadline (ladder)
//	  dengbao 25 %          share of systems whose 等保 assessment is current (target 100 %)
//
// Idle and over-provisioned resources come from utilisation Samples,
// classified at checkpoints (e.g. MonthEnds) by EfficiencyOptions: idle when p95
// CPU < 5 % and network < 5 MB a day (traffic ÷ days of data) over the 14 days
// before the checkpoint; over-provisioned when p95 CPU and p95 memory < 40 %
// over 30 days, with one size down suggested from SizeLadders; a window with
// less than 30 hours of data is InsufficientData and never idle. Percentiles are
// exact (nearest rank, by selection on a reused buffer). Every Finding records
// its window and coverage. The cost of idle windows comes from a CostSource (分).
//
// # Vendor scheme (第二十三条), presets/vendor.json
//
//	response 25 %           服务响应
//	  on_time 70 %          work orders completed by their deadline (target 100 %, 60 at 90 %)
//	  working_hours 30 %    mean working time per completed order (WorkingTimer; 0–24 h)
//	satisfaction 25 %       服务满意度: mean points of 不满意/基本满意/满意/非常满意
//	                        (default 0/60/80/100); fewer answers than MinSample → missing
//	quality 40 %            服务质量
//	  availability 40 %     period availability (ladder ≥99.95 → 100, ≥99.9 → 90, ≥99.5 → 75, ≥99 → 60)
//	  performance 15 %      performance checks passed
//	  stability 20 %        incidents (ladder), mean time to restore (target 1 h, 60 at 4 h)
//	  security 25 %         monthly bulletins, yearly drill (lookup), security incidents (第十九条)
//	reports 10 %            months with the monthly reports delivered (第十五条)
//
// A work order completed by its Due instant is on time; one still open after
// Due at the end of the period is late. Working time comes from a WorkingTimer:
// OfficeTimer counts office hours on the working days of workflow/calendar
// (official holidays and 调休 included), NewOfficeTimer uses calendar.China().
//
// Availability is computed per month in whole minutes as
// A = (T − T_excluded − T_down) / (T − T_excluded), kept as integers. Outages are
// rounded outward to whole minutes and exclusions inward; overlapping intervals
// are merged; downtime inside an exclusion counts once, as excluded. Every
// Exclusion (announced maintenance, force majeure, caused by the department)
// needs Evidence and ApprovedBy, or it is an *ExclusionError. A month below a
// CreditOptions tier becomes a DeductionLine for billing: Amount (分) =
// monthly fee × tier rate, rounded half-up, in integer arithmetic; thresholds
// and rates are PPM (millionths), compared exactly.
//
// # Runs: persisting scorecards
//
// A Run is one scoring of every subject of a SubjectKind (SubjectDepartment
// or SubjectVendor) for one Period ("2026", "2026-H1", "2026-Q3", "2026-03";
// ParsePeriod, Previous, Next, First, Last) under one scheme version. NewRun
// scores a RunSpec's Inputs (subject and Values), ranks the cards and records
// InputDigest: the SHA-256 of the scheme document and every subject's values,
// independent of input order. The caller supplies the run ID and the scoring
// time (ScoredAt), as everywhere: nothing here reads the clock or makes IDs.
// Run.Verify re-scores inputs and reports, in a *ReproductionError, whether the
// inputs differ from those scored (digest) and every total, grade, rank, score,
// contribution or explanation that differs, so a published result can be
// reproduced years later and any change of data or code shows.
//
// A Store keeps runs (adapters/memstore.AssessmentStore; adapters/gormstore
// AssessmentStore on SQLite or PostgreSQL; the conformance suite
// assessment/assessmenttest). Saving is idempotent by run ID: the same payload
// again is a no-op, a different payload under a stored ID is ErrConflict, and a
// saved run never changes. A correction is a new run that Supersedes the
// period's current run; the runs of a (kind, period) form one chain whose last
// run is current, so the first result stays readable next to the corrected
// one (Service.History) and two racing corrections cannot both win.
//
// # Comparing periods
//
// Compare(from, to) sets two runs of the same kind and scheme family side by
// side (versions may differ): per subject the change of total, rank (positive
// RankChange = moved up) and grade, with a sentence ("总分 80 → 85.5(+5.5),
// 排名 3 → 1(上升 2 位),等级 良好 → 优秀"), and per indicator the change of
// raw value, score and contribution; subjects and indicators present in one
// run only are marked OnlyTo (新增) or OnlyFrom (已无). WriteComparisonCSV
// exports it, and assessment/xlsx adds it as a sheet (Options.Comparison).
//
// # Who reads what (第二十条)
//
// Service wraps a Store and enforces tenancy for a workflow.Actor: the
// authority and the operator save runs and read everything; a department
// reads department runs and sees only its own card (with its rank and the
// number of subjects ranked), a vendor likewise for vendor runs; every other
// role (finance included) reads nothing. Asking for another subject's card is
// ErrForbidden before the store is read.
//
// # Errors
//
// Every error matches a sentinel (ErrInvalidScheme, ErrWeightSum,
// ErrUnknownField, ErrUnknownIndicator, ErrOutOfRange, ErrMissingValue,
// ErrInvalidExclusion, ErrInvalidPeriod, ErrInvalidRun, ErrNotFound,
// ErrConflict, ErrForbidden, ErrNotReproduced, ErrIncomparable, ...) and
// carries detail in a typed error (*SchemeError, *ValueError, *RecordError,
// *ExclusionError, *OptionError, *PeriodError, *RunError, *NotFoundError,
// *ConflictError, *ForbiddenError, *ReproductionError) naming the indicator
// path, record, field or run.
package assessment
