package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
)

// Sentinel errors.
var (
	// ErrNotFound: no job with that key.
	ErrNotFound = errors.New("dispatch: job not found")
	// ErrConflict: a job with that key exists with another request.
	ErrConflict = errors.New("dispatch: job key reused with another request")
	// ErrLeaseLost: the job is no longer leased by this dispatcher.
	ErrLeaseLost = errors.New("dispatch: lease lost")
	// ErrInvalidOptions: Options.Validate failed (an *OptionError).
	ErrInvalidOptions = errors.New("dispatch: invalid options")
	// ErrInvalidJob: a job that cannot be dispatched.
	ErrInvalidJob = errors.New("dispatch: invalid job")
)

// Status is the state of a job.
type Status string

// The job states.
const (
	// StatusPending: to be sent (first time or again after a retryable failure).
	StatusPending Status = "pending"
	// StatusWaiting: acknowledged by the vendor, completion to be polled.
	StatusWaiting Status = "waiting"
	// StatusDone: completed and reported to the workflow.
	StatusDone Status = "done"
	// StatusFailed: a permanent failure (or retries exhausted), raised to the
	// operator. It blocks the application's later jobs until Retry or Abandon.
	StatusFailed Status = "failed"
	// StatusAbandoned: given up by the operator; later jobs may proceed.
	StatusAbandoned Status = "abandoned"
)

var statusLabels = map[Status][2]string{
	StatusPending:   {"待发送", "pending"},
	StatusWaiting:   {"等待完成", "waiting for completion"},
	StatusDone:      {"已完成", "done"},
	StatusFailed:    {"失败待处理", "failed"},
	StatusAbandoned: {"已放弃", "abandoned"},
}

// String returns the Chinese label.
func (s Status) String() string {
	if l, ok := statusLabels[s]; ok {
		return l[0]
	}
	return string(s)
}

// English returns the English label.
func (s Status) English() string {
	if l, ok := statusLabels[s]; ok {
		return l[1]
	}
	return string(s)
}

// finished reports whether the job no longer blocks its application's later jobs.
func (s Status) finished() bool { return s == StatusDone || s == StatusAbandoned }

// Job is one call the dispatcher owes a vendor: a work order (or the
// promotion after activation) with the exact request to send, which never
// changes, so that every retry carries the same idempotency key and body.
type Job struct {
	// Key is the idempotency key sent to the vendor.
	Key string `json:"key"`
	// Application orders jobs: an application's job runs only when every job
	// with a lower Seq is done or abandoned.
	Application string `json:"application"`
	Seq         int64  `json:"seq"`
	Vendor      string `json:"vendor"`
	// WorkOrder is the workflow work order completed when the job is done
	// ("" for a promotion, which has none).
	WorkOrder string      `json:"work_order,omitempty"`
	Op        govcloud.Op `json:"op"`
	// Request is the JSON of the govcloud request (ProvisionRequest …).
	Request []byte `json:"request"`
	// Due is the vendor's deadline (the work order's); it keeps running
	// while the job fails.
	Due time.Time `json:"due"`

	Status   Status `json:"status"`
	Attempts int    `json:"attempts"`
	// NextAt is when the job may be leased again.
	NextAt      time.Time `json:"next_at"`
	LeaseOwner  string    `json:"lease_owner,omitempty"`
	LeasedUntil time.Time `json:"leased_until"`
	// LastError is the last failure (Chinese first), LastCode its code.
	LastError string    `json:"last_error,omitempty"`
	LastCode  string    `json:"last_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Outcome is the result of one attempt.
type Outcome string

// The outcomes.
const (
	OutcomeAccepted  Outcome = "accepted"  // acknowledged, not done yet
	OutcomeDone      Outcome = "done"      // completed and reported
	OutcomeRetryable Outcome = "retryable" // retryable failure
	OutcomePermanent Outcome = "permanent" // permanent failure
	OutcomeGaveUp    Outcome = "gave_up"   // retryable, but MaxAttempts reached
)

// Attempt records one call to the vendor (a send or a poll).
type Attempt struct {
	JobKey  string    `json:"job_key"`
	N       int       `json:"n"`
	At      time.Time `json:"at"`
	Owner   string    `json:"owner"`
	Poll    bool      `json:"poll,omitempty"`
	Outcome Outcome   `json:"outcome"`
	Code    string    `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`
}

// Store persists jobs and attempts. It must be safe for concurrent use by
// several dispatchers (in several processes for a database store).
type Store interface {
	// Enqueue adds a job (status pending). It is idempotent: a job with the
	// same Key and Request is left as it is; another Request is ErrConflict.
	Enqueue(ctx context.Context, j Job) error
	// Lease claims up to max jobs for owner until until: jobs pending or
	// waiting, NextAt not after now, not leased (or lease expired), and the
	// first unfinished job (lowest Seq) of their application. A job is
	// leased by at most one owner at a time.
	Lease(ctx context.Context, owner string, now, until time.Time, max int) ([]Job, error)
	// Record writes the job's new state and appends the attempt, in one
	// transaction, if owner still holds the lease (else ErrLeaseLost). The
	// lease is released.
	Record(ctx context.Context, owner string, j Job, a Attempt) error
	// Get returns the job with key.
	Get(ctx context.Context, key string) (Job, error)
	// List returns the jobs with one of the statuses (all when none), ordered
	// by Application then Seq.
	List(ctx context.Context, statuses ...Status) ([]Job, error)
	// Attempts returns the attempts of a job in order.
	Attempts(ctx context.Context, key string) ([]Attempt, error)
	// Resolve sets a failed job to pending (retry) or abandoned; else ErrConflict.
	Resolve(ctx context.Context, key string, to Status, now time.Time) error
	// Nudge makes a pending or waiting job due at now if it was due later
	// (a pushed completion: poll it at once). Other jobs are left alone.
	// ErrNotFound if there is no such job.
	Nudge(ctx context.Context, key string, now time.Time) error
	// NextDue returns the earliest NextAt after t of a pending or waiting
	// job, and false when there is none: when a job that is not due yet
	// falls due (a simulation's next round, a worker's sleep). Jobs blocked
	// behind an earlier job of their application count too. Leases are not
	// considered, and jobs already due are not reported: drain them first
	// (call RunOnce until it attempts fewer than its batch), and wake up at
	// the lease period anyway to pick up a crashed worker's expired leases.
	// Database stores answer from an index, without reading the jobs.
	NextDue(ctx context.Context, after time.Time) (time.Time, bool, error)
}

// MemStore is an in-memory Store for tests and single-process use.
type MemStore struct {
	mu       sync.Mutex
	jobs     map[string]*Job
	attempts map[string][]Attempt
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{jobs: map[string]*Job{}, attempts: map[string][]Attempt{}}
}

func cloneJob(j Job) Job {
	j.Request = slices.Clone(j.Request)
	return j
}

// Enqueue implements Store.
func (m *MemStore) Enqueue(ctx context.Context, j Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.jobs[j.Key]; ok {
		if string(old.Request) != string(j.Request) {
			return fmt.Errorf("%w: %q", ErrConflict, j.Key)
		}
		return nil
	}
	c := cloneJob(j)
	m.jobs[j.Key] = &c
	return nil
}

// Lease implements Store.
func (m *MemStore) Lease(ctx context.Context, owner string, now, until time.Time, max int) ([]Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	head := map[string]*Job{} // first unfinished job per application
	for _, j := range m.jobs {
		if j.Status.finished() {
			continue
		}
		if h := head[j.Application]; h == nil || j.Seq < h.Seq {
			head[j.Application] = j
		}
	}
	var cands []*Job
	for _, j := range head {
		if (j.Status == StatusPending || j.Status == StatusWaiting) && !j.NextAt.After(now) &&
			(j.LeaseOwner == "" || !now.Before(j.LeasedUntil)) {
			cands = append(cands, j)
		}
	}
	slices.SortFunc(cands, func(a, b *Job) int {
		if c := a.NextAt.Compare(b.NextAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if max <= 0 {
		max = 1
	}
	var out []Job
	for _, j := range cands {
		if len(out) == max {
			break
		}
		j.LeaseOwner, j.LeasedUntil = owner, until
		out = append(out, cloneJob(*j))
	}
	return out, nil
}

// Record implements Store.
func (m *MemStore) Record(ctx context.Context, owner string, j Job, a Attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.jobs[j.Key]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, j.Key)
	}
	if cur.LeaseOwner != owner {
		return fmt.Errorf("%w: job %q is leased by %q", ErrLeaseLost, j.Key, cur.LeaseOwner)
	}
	c := cloneJob(j)
	c.LeaseOwner, c.LeasedUntil = "", time.Time{}
	c.Request = cur.Request // never changes
	m.jobs[j.Key] = &c
	m.attempts[j.Key] = append(m.attempts[j.Key], a)
	return nil
}

// Get implements Store.
func (m *MemStore) Get(ctx context.Context, key string) (Job, error) {
	if err := ctx.Err(); err != nil {
		return Job{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[key]
	if !ok {
		return Job{}, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return cloneJob(*j), nil
}

// List implements Store.
func (m *MemStore) List(ctx context.Context, statuses ...Status) ([]Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Job
	for _, j := range m.jobs {
		if len(statuses) == 0 || slices.Contains(statuses, j.Status) {
			out = append(out, cloneJob(*j))
		}
	}
	sortJobs(out)
	return out, nil
}

func sortJobs(js []Job) {
	slices.SortFunc(js, func(a, b Job) int {
		if c := strings.Compare(a.Application, b.Application); c != 0 {
			return c
		}
		if a.Seq != b.Seq {
			return compareInt(a.Seq, b.Seq)
		}
		return strings.Compare(a.Key, b.Key)
	})
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Attempts implements Store.
func (m *MemStore) Attempts(ctx context.Context, key string) ([]Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.attempts[key]), nil
}

// Resolve implements Store.
func (m *MemStore) Resolve(ctx context.Context, key string, to Status, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if to != StatusPending && to != StatusAbandoned {
		return fmt.Errorf("%w: resolve to %q (want pending or abandoned)", ErrInvalidJob, to)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[key]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if j.Status != StatusFailed {
		return fmt.Errorf("%w: job %q is %s, not failed", ErrConflict, key, j.Status.English())
	}
	j.Status, j.NextAt, j.UpdatedAt = to, now, now
	if to == StatusPending {
		j.Attempts = 0
	}
	return nil
}

// NextDue implements Store.
func (m *MemStore) NextDue(ctx context.Context, after time.Time) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	for _, j := range m.jobs {
		if (j.Status == StatusPending || j.Status == StatusWaiting) && j.NextAt.After(after) &&
			(next.IsZero() || j.NextAt.Before(next)) {
			next = j.NextAt
		}
	}
	return next, !next.IsZero(), nil
}

// Nudge implements Store.
func (m *MemStore) Nudge(ctx context.Context, key string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[key]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if (j.Status == StatusPending || j.Status == StatusWaiting) && j.NextAt.After(now) {
		j.NextAt = now
	}
	return nil
}
