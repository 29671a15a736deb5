package billing

import (
	"context"
	"fmt"
	"time"
)

// AppItem is one catalog item of an application: Quantity units, held
// within [From, To) when set (a change request closes one AppItem and opens
// another); zero bounds mean the application's whole active life.
type AppItem struct {
	Item     string    `json:"item"`
	Quantity Quantity  `json:"quantity"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
}

// Instants are the lifecycle instants billing needs. Zero means "not yet".
type Instants struct {
	TrialStart time.Time // the vendor provided the trial environment (试用)
	Activated  time.Time // go-live after final review (开通)
	Reclaimed  time.Time // resources reclaimed after termination (回收)
}

// MeteredApplication is what billing needs of an application (使用申请). The
// workflow package's application is adapted to it by the caller; billing
// does not import workflow. AppSnapshot is a plain implementation.
type MeteredApplication interface {
	BillingID() string
	BillingDepartment() string
	BillingVendor() string
	BillingItems() []AppItem
	BillingInstants() Instants
}

// AppSnapshot is a plain MeteredApplication.
type AppSnapshot struct {
	ID         string
	Department string
	Vendor     string
	Items      []AppItem
	Instants   Instants
}

// BillingID returns a.ID.
func (a AppSnapshot) BillingID() string { return a.ID }

// BillingDepartment returns a.Department.
func (a AppSnapshot) BillingDepartment() string { return a.Department }

// BillingVendor returns a.Vendor.
func (a AppSnapshot) BillingVendor() string { return a.Vendor }

// BillingItems returns a.Items.
func (a AppSnapshot) BillingItems() []AppItem { return a.Items }

// BillingInstants returns a.Instants.
func (a AppSnapshot) BillingInstants() Instants { return a.Instants }

// billedFrom returns when billing of app starts under the policy (zero: not
// billed yet).
func (s *Service) billedFrom(in Instants) time.Time {
	if s.policy.BillTrial && !in.TrialStart.IsZero() {
		return in.TrialStart
	}
	return in.Activated
}

// lifecycleRecords returns the usage records of app inside [from, to).
func (s *Service) lifecycleRecords(app MeteredApplication, from, to time.Time, keySuffix string) []UsageRecord {
	in := app.BillingInstants()
	start := s.billedFrom(in)
	if start.IsZero() {
		return nil
	}
	var out []UsageRecord
	for i, it := range app.BillingItems() {
		a, b := maxTime(start, from, it.From), to
		if !in.Reclaimed.IsZero() && in.Reclaimed.Before(b) {
			b = in.Reclaimed
		}
		if !it.To.IsZero() && it.To.Before(b) {
			b = it.To
		}
		if !a.Before(b) {
			continue
		}
		out = append(out, UsageRecord{
			Key:    fmt.Sprintf("lc:%s:%d:%s:%s", app.BillingID(), i, it.Item, keySuffix),
			Source: SourceLifecycle, Vendor: app.BillingVendor(), Department: app.BillingDepartment(),
			Application: app.BillingID(), Item: it.Item, Quantity: it.Quantity, Start: a, End: b,
		})
	}
	return out
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// MeterApplications turns the active applications' items into usage records
// for month m (authority), from activation — or the trial start if
// Policy.BillTrial — to reclaim, and ingests them like Ingest. Keys are
// "lc:<application>:<index>:<item>:<month>", so metering a month twice is
// idempotent. Only a closed month (its end not after now) may be metered:
// a reclaim later in the month would otherwise conflict.
func (s *Service) MeterApplications(ctx context.Context, a Actor, m Month, apps []MeteredApplication) (IngestReport, error) {
	if err := a.require("meter applications", RoleAuthority); err != nil {
		return IngestReport{}, err
	}
	if !m.Valid() {
		return IngestReport{}, fieldErr(ErrInvalid, "month", m.String(), "not a valid month")
	}
	if m.End(s.loc).After(s.now()) {
		return IngestReport{}, fieldErr(ErrInvalid, "month", m.String(), "month not yet closed")
	}
	var recs []UsageRecord
	for _, app := range apps {
		recs = append(recs, s.lifecycleRecords(app, m.Start(s.loc), m.End(s.loc), m.String())...)
	}
	return s.Ingest(ctx, a, recs)
}
