// Package calendar is the statutory working-day calendar of the People's
// Republic of China: which days are working days (工作日), how many lie between
// two dates, and when a period of n working days ends. It serves every
// deadline counted in working days (受理 3 个工作日, 审批 2 个工作日, ...) and
// vendor response times counted in working hours.
//
// # The legal rule
//
// 《中华人民共和国行政许可法》第八十二条: periods counted in working days
// (期限以工作日计算) do not include statutory holidays and rest days (不含法定节假日).
// The day on which a period starts — the day of receipt — is not counted.
// So a period of n working days from receipt ends with the n-th working day
// strictly after the receipt date. Deadline returns the first instant after that
// day (00:00 Beijing time of the next calendar day): an act at instant t is on
// time iff t.Before(deadline). Dates are reckoned in China Standard Time
// (UTC+8, a fixed zone; no tzdata needed): 2025-01-31T17:30Z is already
// 1 February. A receipt on a rest day starts the count with the next working day.
//
// A working day is a Monday–Friday that no notice makes a rest day, or a
// Saturday or Sunday that a notice makes a working day. The latter is 调休
// (adjusted working day): to give a holiday period of consecutive days, the
// State Council moves weekend rest days next to the holiday and has people
// work on a nearby weekend day instead; 26 January 2025 (a Sunday) was such a
// working day before the 2025 Spring Festival.
//
// # Where the holidays come from
//
// The statutory holidays are fixed by 《全国年节及纪念日放假办法》, but the actual
// days off each year (and the 调休 days) are set by a notice of the General
// Office of the State Council, 国务院办公厅关于XXXX年部分节假日安排的通知,
// usually published in November of the previous year (sometimes October or
// December). Occasionally a later notice amends a year (国发明电〔2015〕1号 for
// 3 September 2015; 国办发明电〔2020〕1号 extending the 2020 Spring Festival).
// Nothing is guessed from rules: the calendar knows only what notices say, and
// covers exactly the contiguous run of years that have a notice (Coverage).
// Any date outside it, or an answer that would need one, is an error matching
// ErrNotCovered and carrying a *NotCoveredError that names the coverage.
//
// The notices are kept as data (schema 1, JSON), one record per notice and
// one per day a notice sets:
//
//	{
//	  "schema": 1,
//	  "region": "CN",
//	  "notices": [
//	    {"id": "国办发明电〔2024〕12号", "title": "国务院办公厅关于2025年部分节假日安排的通知",
//	     "published": "2024-11-12", "year": 2025, "url": "https://..."}
//	  ],
//	  "days": [
//	    {"date": "2025-01-01", "kind": "holiday", "name": "元旦", "name_en": "New Year's Day", "notice": "国办发明电〔2024〕12号"},
//	    {"date": "2025-01-26", "kind": "workday", "name": "春节", "name_en": "Spring Festival", "notice": "国办发明电〔2024〕12号"}
//	  ]
//	}
//
// "kind" is "holiday" (a rest day set by a notice), "workday" (调休: a weekend
// day made a working day) or "closure" (an ad-hoc closure such as a typhoon; a
// rest day). A notice covers 1 January – 31 December of its "year", unless it
// has "covers": {"from", "to"} (amendments and most regional notices); it may
// name the notice it amends in "amends". Load validates a file and reports
// every problem with its line (DataErrors of *DataError, matching
// ErrInvalidData): unknown kinds or fields, bad dates, a 调休 "workday" that is
// not on a weekend, a date listed twice (or as both a rest day and a workday),
// a day naming an unknown notice or lying outside its notice's span (a
// whole-year notice may reach 7 days across New Year, as 元旦 2023 began on
// 31 December 2022).
//
// # The embedded calendar and the next notice
//
// China returns the national calendar built from the notices embedded at
// build time (data/cn.json). When the next year's notice is published, an
// operator need not wait for a new build: write it in the same format and load
// it at start-up,
//
//	ds, err := calendar.Load(f)       // e.g. cn-2027.json
//	cal, err := calendar.China().With(ds)
//
// which extends the coverage by that year. Loading a notice that the embedded
// data already has, with the same days, is a no-op, so the file may stay in
// place after an upgrade; a different arrangement for an arranged year is an
// error. CoverageWarning tells an operator in time that the coverage is about
// to end (with RecommendedWarningHorizon, from early November): call it at
// start-up and daily with the injected clock's now.
//
// # Regional overlays
//
// Some regions have holidays of their own: Guangxi's 壮族三月三, the Eid
// holidays (开斋节, 古尔邦节) in Xinjiang and Ningxia, and ad-hoc closures such as
// a city's typhoon closure. They are datasets with a region code such as
// "CN-GX", "CN-XJ", "CN-NX" or "CN-ZJ-Wenzhou", loaded the same way and applied
// with With (or New) on top of the national calendar: their days replace the
// national status of those dates. Overlays never extend the coverage. Day
// reports the region and the notice that set a day.
//
// # The provisional extension
//
// A strict calendar never guesses. A caller that must plan beyond the coverage
// (a schedule in January before the notice is out) may opt in with
// WithProvisional: the ProvisionalCalendar answers beyond the coverage by
// assuming Monday–Friday working days and no holidays, and returns a Basis
// with every answer — BasisProvisional when any day the answer needed lies
// outside the coverage — so the caller can mark it and recompute once the
// notice is loaded.
//
// # Working hours
//
// WorkingTime measures office time between two instants, and AddWorkingTime
// finds when a given office time has elapsed, under configurable OfficeHours
// (StandardOfficeHours: 09:00–12:00 and 13:30–17:30 Beijing time, 7 hours a
// working day). They follow the same working days, including 调休.
//
// # Performance and concurrency
//
// A Calendar is immutable after construction and safe for concurrent use;
// China builds its value once. New precomputes, for every covered day, its
// kind and a prefix sum of working days, and the list of working days in
// order. A date maps to a day index by arithmetic (no time.Time), so
// IsWorkday, Day, AddWorkdays, WorkdaysBetween, Deadline, WorkingTime and
// AddWorkingTime run in constant time and allocate nothing (except on error).
// The benchmark module bench/ compares them with github.com/rickar/cal/v2 set
// up with the same notices.
package calendar
