// Package simprovider is a simulated cloud vendor (云服务商): a seeded,
// deterministic govcloud.Provider for tests, demonstrations and the city
// simulation. It implements every optional capability: Poller,
// UsageReporter, UtilisationReporter, IncidentReporter and MonthlyReporter.
//
// # Time
//
// Time is injected (Options.Clock; ManualClock moves only when told). Every
// operation is acknowledged at once and completes after a latency drawn from
// Options.Latency, counted in working time — office hours of working days of
// the statutory calendar (workflow/calendar: calendar.China() and
// calendar.StandardOfficeHours() by default) — so a provision acknowledged on
// the Friday before the National Day holiday completes after it. Operations
// complete lazily: any call (or Tick) completes every operation due by the
// clock's now, in due order, and pushes its Completion to Options.Sink.
//
// # Determinism
//
// Every random choice — latencies, faults, resource IDs, utilisation noise,
// incidents, bulletins — is a hash of Options.Seed and the choice's own
// identity (the idempotency key and attempt, the resource and instant, the
// day), never of call order or the wall clock. The same seed and the same
// calls give the same results, also under concurrency across applications.
//
// # Faults
//
// Options.Faults sets rates (‰ of mutating calls) of timeouts (half of them
// after the request was accepted: the caller cannot tell), server errors and
// partial deliveries; InjectFault queues one fault for the next call,
// including FaultHang, which blocks until the caller's context ends. All are
// retryable: sending the same request again completes it without duplicates.
//
// # The vendor model
//
// One environment per application, one resource per catalog item code (its
// quantity is the item's quantity), kept from the trial to the formal
// environment. A change converges the resources to the new item list
// (resize, add, remove; see govcloud.DiffItems). Usage is metered per
// resource and closed hour in milli-units (govcloud.UsageScale). A share of
// resources (Options.IdlePermille) is idle; the others follow a daily cycle
// peaking at 15:00 on working days. Incidents happen on a seeded share of
// days (Options.IncidentPermille). Monthly reports aggregate hourly samples,
// advise on idle and over- or under-provisioned resources, and mark the
// yearly emergency drill in Options.DrillMonth.
package simprovider
