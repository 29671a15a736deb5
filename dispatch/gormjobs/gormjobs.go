package gormjobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	govcloud "github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/dispatch"
)

type jobRow struct {
	Key         string `gorm:"column:job_key;primaryKey;size:300"`
	Application string `gorm:"size:200;not null;index:idx_dispatch_jobs_app_seq,priority:1"`
	Seq         int64  `gorm:"not null;index:idx_dispatch_jobs_app_seq,priority:2"`
	Vendor      string `gorm:"size:200;not null"`
	WorkOrder   string `gorm:"size:200;not null;default:''"`
	Op          string `gorm:"size:20;not null"`
	Request     []byte `gorm:"not null"`
	Due         time.Time
	Status      string    `gorm:"size:20;not null;index:idx_dispatch_jobs_status_next,priority:1"`
	Attempts    int       `gorm:"not null;default:0"`
	NextAt      int64     `gorm:"not null;index:idx_dispatch_jobs_status_next,priority:2"` // Unix µs
	LeaseOwner  string    `gorm:"size:200;not null;default:''"`
	LeasedUntil int64     `gorm:"not null;default:0"` // Unix µs
	LastError   string    `gorm:"not null;default:''"`
	LastCode    string    `gorm:"size:100;not null;default:''"`
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
}

func (jobRow) TableName() string { return "dispatch_jobs" }

type attemptRow struct {
	ID      int64     `gorm:"primaryKey;autoIncrement"`
	JobKey  string    `gorm:"size:300;not null;index"`
	N       int       `gorm:"not null"`
	At      time.Time `gorm:"not null"`
	Owner   string    `gorm:"size:200;not null"`
	Poll    bool      `gorm:"not null"`
	Outcome string    `gorm:"size:20;not null"`
	Code    string    `gorm:"size:100;not null;default:''"`
	Message string    `gorm:"not null;default:''"`
}

func (attemptRow) TableName() string { return "dispatch_attempts" }

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func toRow(j dispatch.Job) jobRow {
	return jobRow{Key: j.Key, Application: j.Application, Seq: j.Seq, Vendor: j.Vendor, WorkOrder: j.WorkOrder, Op: string(j.Op),
		Request: j.Request, Due: utc(j.Due), Status: string(j.Status), Attempts: j.Attempts, NextAt: micros(j.NextAt),
		LeaseOwner: j.LeaseOwner, LeasedUntil: micros(j.LeasedUntil), LastError: j.LastError, LastCode: j.LastCode,
		CreatedAt: utc(j.CreatedAt), UpdatedAt: utc(j.UpdatedAt)}
}

func (r jobRow) job() dispatch.Job {
	return dispatch.Job{Key: r.Key, Application: r.Application, Seq: r.Seq, Vendor: r.Vendor, WorkOrder: r.WorkOrder, Op: govcloud.Op(r.Op),
		Request: r.Request, Due: utc(r.Due), Status: dispatch.Status(r.Status), Attempts: r.Attempts, NextAt: fromMicros(r.NextAt),
		LeaseOwner: r.LeaseOwner, LeasedUntil: fromMicros(r.LeasedUntil), LastError: r.LastError, LastCode: r.LastCode,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// Store is a dispatch.Store on a *gorm.DB.
type Store struct{ db *gorm.DB }

var _ dispatch.Store = (*Store)(nil)

// New returns a store on db (call Migrate once first).
func New(db *gorm.DB) *Store { return &Store{db: db} }

// Migrate creates or updates the tables.
func Migrate(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).AutoMigrate(&jobRow{}, &attemptRow{})
}

func dbErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Enqueue implements dispatch.Store.
func (s *Store) Enqueue(ctx context.Context, j dispatch.Job) error {
	row := toRow(j)
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return dbErr(ctx, res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	var old jobRow
	if err := s.db.WithContext(ctx).Select("request").Where("job_key = ?", j.Key).Take(&old).Error; err != nil {
		return dbErr(ctx, err)
	}
	if string(old.Request) != string(j.Request) {
		return fmt.Errorf("%w: %q", dispatch.ErrConflict, j.Key)
	}
	return nil
}

var active = []string{string(dispatch.StatusPending), string(dispatch.StatusWaiting)}
var finished = []string{string(dispatch.StatusDone), string(dispatch.StatusAbandoned)}

// Lease implements dispatch.Store.
func (s *Store) Lease(ctx context.Context, owner string, now, until time.Time, max int) ([]dispatch.Job, error) {
	if max <= 0 {
		max = 1
	}
	n := micros(now)
	var cands []jobRow
	err := s.db.WithContext(ctx).
		Where("status IN ? AND next_at <= ? AND (lease_owner = '' OR leased_until <= ?)", active, n, n).
		Where("NOT EXISTS (SELECT 1 FROM dispatch_jobs p WHERE p.application = dispatch_jobs.application AND p.seq < dispatch_jobs.seq AND p.status NOT IN ?)", finished).
		Order("next_at, job_key").Limit(max * 2).Find(&cands).Error
	if err != nil {
		return nil, dbErr(ctx, err)
	}
	var out []dispatch.Job
	for _, c := range cands {
		if len(out) == max {
			break
		}
		res := s.db.WithContext(ctx).Model(&jobRow{}).
			// Compare-and-set on the candidate as it was read: another dispatcher may
			// have leased, sent and recorded it since, and a stale copy must not be sent.
			Where("job_key = ? AND status = ? AND attempts = ? AND (lease_owner = '' OR leased_until <= ?)", c.Key, c.Status, c.Attempts, n).
			Updates(map[string]any{"lease_owner": owner, "leased_until": micros(until)})
		if res.Error != nil {
			return out, dbErr(ctx, res.Error)
		}
		if res.RowsAffected == 1 {
			c.LeaseOwner, c.LeasedUntil = owner, micros(until)
			out = append(out, c.job())
		}
	}
	return out, nil
}

// Record implements dispatch.Store.
func (s *Store) Record(ctx context.Context, owner string, j dispatch.Job, a dispatch.Attempt) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&jobRow{}).Where("job_key = ? AND lease_owner = ?", j.Key, owner).Updates(map[string]any{
			"status": string(j.Status), "attempts": j.Attempts, "next_at": micros(j.NextAt), "lease_owner": "", "leased_until": 0,
			"last_error": j.LastError, "last_code": j.LastCode, "updated_at": utc(j.UpdatedAt),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var n int64
			if err := tx.Model(&jobRow{}).Where("job_key = ?", j.Key).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: %q", dispatch.ErrNotFound, j.Key)
			}
			return fmt.Errorf("%w: job %q", dispatch.ErrLeaseLost, j.Key)
		}
		return tx.Create(&attemptRow{JobKey: a.JobKey, N: a.N, At: utc(a.At), Owner: a.Owner, Poll: a.Poll,
			Outcome: string(a.Outcome), Code: a.Code, Message: a.Message}).Error
	})
	if errors.Is(err, dispatch.ErrLeaseLost) || errors.Is(err, dispatch.ErrNotFound) {
		return err
	}
	if err != nil {
		return dbErr(ctx, err)
	}
	return nil
}

// Get implements dispatch.Store.
func (s *Store) Get(ctx context.Context, key string) (dispatch.Job, error) {
	var r jobRow
	err := s.db.WithContext(ctx).Where("job_key = ?", key).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return dispatch.Job{}, fmt.Errorf("%w: %q", dispatch.ErrNotFound, key)
	}
	if err != nil {
		return dispatch.Job{}, dbErr(ctx, err)
	}
	return r.job(), nil
}

// List implements dispatch.Store.
func (s *Store) List(ctx context.Context, statuses ...dispatch.Status) ([]dispatch.Job, error) {
	q := s.db.WithContext(ctx).Order("application, seq, job_key")
	if len(statuses) > 0 {
		ss := make([]string, len(statuses))
		for i, st := range statuses {
			ss[i] = string(st)
		}
		q = q.Where("status IN ?", ss)
	}
	var rows []jobRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, dbErr(ctx, err)
	}
	out := make([]dispatch.Job, len(rows))
	for i, r := range rows {
		out[i] = r.job()
	}
	return out, nil
}

// Attempts implements dispatch.Store.
func (s *Store) Attempts(ctx context.Context, key string) ([]dispatch.Attempt, error) {
	var rows []attemptRow
	if err := s.db.WithContext(ctx).Where("job_key = ?", key).Order("id").Find(&rows).Error; err != nil {
		return nil, dbErr(ctx, err)
	}
	out := make([]dispatch.Attempt, len(rows))
	for i, r := range rows {
		out[i] = dispatch.Attempt{JobKey: r.JobKey, N: r.N, At: utc(r.At), Owner: r.Owner, Poll: r.Poll,
			Outcome: dispatch.Outcome(r.Outcome), Code: r.Code, Message: r.Message}
	}
	return out, nil
}

// Resolve implements dispatch.Store.
func (s *Store) Resolve(ctx context.Context, key string, to dispatch.Status, now time.Time) error {
	if to != dispatch.StatusPending && to != dispatch.StatusAbandoned {
		return fmt.Errorf("%w: resolve to %q (want pending or abandoned)", dispatch.ErrInvalidJob, to)
	}
	upd := map[string]any{"status": string(to), "next_at": micros(now), "updated_at": utc(now)}
	if to == dispatch.StatusPending {
		upd["attempts"] = 0
	}
	res := s.db.WithContext(ctx).Model(&jobRow{}).Where("job_key = ? AND status = ?", key, string(dispatch.StatusFailed)).Updates(upd)
	if res.Error != nil {
		return dbErr(ctx, res.Error)
	}
	if res.RowsAffected == 0 {
		j, err := s.Get(ctx, key)
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: job %q is %s, not failed", dispatch.ErrConflict, key, j.Status.English())
	}
	return nil
}

// Nudge implements dispatch.Store.
func (s *Store) Nudge(ctx context.Context, key string, now time.Time) error {
	n := micros(now)
	res := s.db.WithContext(ctx).Model(&jobRow{}).Where("job_key = ? AND status IN ? AND next_at > ?", key, active, n).
		Update("next_at", n)
	if res.Error != nil {
		return dbErr(ctx, res.Error)
	}
	if res.RowsAffected == 0 {
		_, err := s.Get(ctx, key)
		return err
	}
	return nil
}
