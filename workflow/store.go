package workflow

import (
	"context"
	"time"
)

// This file is the storage contract of the workflow. It is read by the authors of
// Store implementations (adapters/memstore, adapters/gormstore). Every change after the
// first version is additive: a new capability is an optional interface of its own
// (OutboxPruner, OutboxBatchAcker), so that an existing Store keeps compiling and
// working.
//
// General rules for every method of Store:
//
//   - ctx is honoured: a cancelled context may abort the call with ctx.Err(); an aborted
//     Commit writes nothing.
//   - Values passed in are not retained and values returned are copies: callers may
//     mutate them freely (deep copies of slices, maps and pointers).
//   - Time values are stored with at least microsecond precision and are returned in
//     UTC; callers compare instants with Equal/Before, never ==. The engine truncates
//     every instant it writes to whole microseconds, so a round-trip is exact.
//   - A zero time.Time means "not set" and must round-trip as a zero time.Time
//     (IsZero() true), e.g. NULL in SQL.
//   - Nil and empty slices are equivalent; a store may return either.
//   - The store does not interpret the domain: it does not check transitions, roles or
//     hashes. The engine does. The store enforces exactly the checks listed here.

// Store persists applications, their audit trail, work orders and the outbox.
//
// Implementations must be safe for concurrent use by many goroutines and, for stores on
// a shared database, by many processes.
type Store interface {
	// Commit writes one transition atomically: c.Application (created or updated),
	// c.Audit, every c.Outbox message, every c.NewWorkOrders row and every
	// c.DoneWorkOrders update, and whatever inTx writes through tx. Either all of it is
	// committed or none of it is.
	//
	// Optimistic versioning: when c.ExpectedVersion is 0 the application must not exist
	// (else ErrConflict); otherwise the stored application's Version must equal
	// c.ExpectedVersion (else ErrConflict; ErrNotFound if it does not exist). The row
	// is stored exactly as given in c.Application; the engine sets
	// c.Application.Version = c.ExpectedVersion+1.
	//
	// Further checks, each failing with ErrConflict and writing nothing:
	//   - an audit record with the same (ApplicationID, Seq) already exists;
	//   - an outbox message with the same ID or the same (ApplicationID, Seq) exists;
	//   - a work order in NewWorkOrders already exists (same ID);
	//   - a work order in DoneWorkOrders does not exist (ErrNotFound) or is not
	//     currently WorkOrderOpen (ErrConflict); it is replaced by the given value.
	//
	// inTx, if not nil, is called inside the transaction after the store's own writes
	// and checks have succeeded and before commit; tx is the store's transaction handle
	// (see Tx). If inTx returns an error, the transaction is rolled back and Commit
	// returns that error unchanged (wrapping allowed, errors.Is must match). A store
	// that runs the transaction again (a retry) calls inTx again; Commit returns nil
	// only if the transaction of its last inTx call committed ([AfterCommit] relies on
	// this). Outbox messages get their Position assigned by the store during Commit.
	Commit(ctx context.Context, c Commit, inTx func(ctx context.Context, tx Tx) error) error

	// GetApplication returns the application with the given ID, or ErrNotFound.
	GetApplication(ctx context.Context, id string) (Application, error)

	// ListApplications returns the applications matching f, ordered by ID ascending.
	ListApplications(ctx context.Context, f ApplicationFilter) ([]Application, error)

	// Overdue returns the applications whose Due is set (non-zero) and not after q.Now
	// (i.e. !q.Now.Before(Due): a step is on time iff it happens before its due
	// instant), restricted by q's other fields, ordered by Due ascending then ID.
	// It must be cheap on a large platform: SQL stores index (due) or (party, due)
	// and filter on the columns, never scan the JSON payloads.
	Overdue(ctx context.Context, q OverdueQuery) ([]Application, error)

	// History returns the audit records of an application ordered by Seq ascending,
	// exactly as committed (ErrNotFound if the application does not exist).
	History(ctx context.Context, applicationID string) ([]AuditRecord, error)

	// GetWorkOrder returns the work order with the given ID, or ErrNotFound.
	GetWorkOrder(ctx context.Context, id string) (WorkOrder, error)

	// ListWorkOrders returns the work orders matching f, ordered by CreatedAt then ID.
	ListWorkOrders(ctx context.Context, f WorkOrderFilter) ([]WorkOrder, error)

	// Lease leases outbox messages to one subscriber. Subscribers are identified by
	// name and need no registration: a new subscriber starts at the beginning of the
	// outbox (it sees every message ever committed that it has not acknowledged).
	//
	// Per application and subscriber, messages are delivered strictly in Seq order: only
	// the application's head (the unacknowledged message with the lowest Seq for this
	// subscriber) can be leased, so message n+1 is never handed out before message n is
	// acknowledged. A head is eligible when it has no lease for this subscriber or its
	// lease has expired (!r.Now.Before(LeasedUntil)). Lease returns up to r.Max eligible
	// heads (r.Max <= 0 means 1), ordered by Position, possibly none, and
	// records for each: LeaseID = r.LeaseID, LeasedUntil = r.Until, Attempt+1.
	//
	// Exactly one lessee: under concurrent Lease calls for the same subscriber, a
	// message is returned to at most one call until its lease expires (PostgreSQL:
	// SELECT … FOR UPDATE SKIP LOCKED; SQLite: one writer). Different subscribers are
	// independent. An expired lease is re-delivered with the next Attempt number.
	Lease(ctx context.Context, r LeaseRequest) ([]Delivery, error)

	// Ack acknowledges one delivered message for one subscriber. It is idempotent: an
	// already acknowledged message returns nil. It succeeds when the message's current
	// lease for r.Subscriber carries r.LeaseID, even if that lease has expired (nobody
	// has re-leased it). It returns ErrLeaseLost when the message was re-leased under
	// another LeaseID or was never leased to this subscriber, and ErrNotFound when no
	// such message exists.
	Ack(ctx context.Context, r AckRequest) error
}

// Tx is the opaque transaction handle a Store passes to the inTx callback of Commit
// and from there to every [Participant]. Its dynamic type is store specific:
// adapters/gormstore passes its *gorm.DB transaction, adapters/memstore passes a
// *memstore.WorkflowTx on which participants can stage writes that apply only on commit.
// A participant type-asserts the handle it understands and fails (rolling back the
// transition) on one it does not.
type Tx any

// Commit is everything one transition writes. See Store.Commit.
type Commit struct {
	// ExpectedVersion is the version the caller read; 0 creates the application.
	ExpectedVersion int64
	// Application is the full new row (Version = ExpectedVersion+1).
	Application Application
	// Audit is the audit record of the transition (Seq = Application.AuditSeq).
	Audit AuditRecord
	// Outbox holds the messages published by the transition.
	Outbox []Message
	// NewWorkOrders are created (status WorkOrderOpen).
	NewWorkOrders []WorkOrder
	// DoneWorkOrders replace existing open work orders (status WorkOrderDone).
	DoneWorkOrders []WorkOrder
}

// Actor is who performs an act: a role and, for departments and vendors, the identity
// of the department or vendor (for the other roles ID optionally names the office or
// person and is recorded in the audit trail).
type Actor struct {
	Role Role   `json:"role"`
	ID   string `json:"id,omitempty"`
}

// Item is one line of the resources an application asks for: a service catalog item
// code and a quantity in the item's unit.
type Item struct {
	Code     string `json:"code"`
	Quantity int64  `json:"quantity"`
}

// Attachment references a document kept elsewhere (the workflow stores references,
// never contents).
type Attachment struct {
	Name   string `json:"name"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256,omitempty"` // hex digest of the content, if known
}

// MaterialKind names a kind of document a step requires (第七条, 第十二条).
type MaterialKind string

// Material is one submitted document of a given kind.
type Material struct {
	Kind       MaterialKind `json:"kind"`
	Attachment Attachment   `json:"attachment"`
}

// TestReport is one test report recorded in a trial or after a major change (第九条).
type TestReport struct {
	Kind TestKind `json:"kind"`
	// Passed tells whether the system passed the test.
	Passed bool `json:"passed"`
	// ThirdParty marks a report by a CNAS-accredited third-party lab, named in Lab.
	ThirdParty bool       `json:"third_party,omitempty"`
	Lab        string     `json:"lab,omitempty"`
	Report     Attachment `json:"report"`
	RecordedAt time.Time  `json:"recorded_at"`
}

// Trial is the trial period of an application (第九条). Days count calendar days; the
// trial ends at End (the first instant after the last trial day, 00:00 UTC+8).
type Trial struct {
	Start         time.Time `json:"start"`
	Days          int       `json:"days"`
	Extensions    int       `json:"extensions,omitempty"`
	ExtensionDays int       `json:"extension_days,omitempty"`
	End           time.Time `json:"end"`
}

// ChangeRequest is a pending or executed change of an active application (第十一条).
type ChangeRequest struct {
	// Items is the complete new list of resources after the change.
	Items []Item `json:"items"`
	// Major marks a 重大变更: materials are resubmitted and tests re-run.
	Major       bool      `json:"major,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
}

// Application is one department's request to host one system and the record of that
// hosting until termination (使用申请). It is the row a Store keeps per application.
//
// SQL stores keep ID (primary key), Department, Vendor, State, Version, Due, Party and
// the timestamps as columns with indexes on (department), (vendor), (state) and (due)
// or (party, due); the nested values (Items, Materials, TestReports, Trial, Change) may
// be stored as JSON. Every field round-trips.
type Application struct {
	ID            string `json:"id"`
	Department    string `json:"department"`
	Vendor        string `json:"vendor"`
	SystemName    string `json:"system_name"`
	Zone          Zone   `json:"zone"`
	SecurityLevel int    `json:"security_level"`
	Items         []Item `json:"items"`

	State   State `json:"state"`
	Version int64 `json:"version"`
	// StateSince is when the current state was entered.
	StateSince time.Time `json:"state_since"`
	// Due is when the responsible Party must have acted (zero: no deadline).
	Due time.Time `json:"due"`
	// Party is responsible for the next step of a waiting state (PartyNone in terminal
	// and active states); it is set even when the policy gives the step no deadline.
	Party Party `json:"party,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ActivatedAt is when the application first went live (zero before).
	ActivatedAt time.Time `json:"activated_at"`

	// Submissions counts submissions (1 + resubmissions).
	Submissions int `json:"submissions"`
	// Materials are the documents currently on file, latest per kind.
	Materials []Material `json:"materials,omitempty"`
	// TestReports are the reports of the current test round (trial or major change).
	TestReports []TestReport `json:"test_reports,omitempty"`
	// Trial is set once the trial environment has been provided.
	Trial *Trial `json:"trial,omitempty"`
	// Change is the change under review or execution (nil otherwise).
	Change *ChangeRequest `json:"change,omitempty"`
	// OpenWorkOrder is the ID of the vendor's open work order, if any.
	OpenWorkOrder string `json:"open_work_order,omitempty"`

	// AuditSeq is the Seq of the last audit record and AuditHead its Hash.
	AuditSeq  int64  `json:"audit_seq"`
	AuditHead string `json:"audit_head"`
}

// Timing records whether the party responsible for the state being left acted on time.
type Timing struct {
	Party Party     `json:"party,omitempty"`
	Due   time.Time `json:"due"`
	// Late is true when the transition happened at or after Due.
	Late bool `json:"late,omitempty"`
	// LateWorkdays is the number of working days after the due working day up to the
	// day of the transition (0 when on time; may be 0 when late on a rest day).
	LateWorkdays int `json:"late_workdays,omitempty"`
}

// AuditRecord is one entry of an application's audit trail. Records are hash-chained:
// Hash = SHA-256 over the canonical encoding of the record including Seq and PrevHash
// (see the package documentation); the first record has Seq 1 and PrevHash "".
type AuditRecord struct {
	ApplicationID string       `json:"application_id"`
	Seq           int64        `json:"seq"`
	At            time.Time    `json:"at"`
	Actor         Actor        `json:"actor"`
	From          State        `json:"from"`
	To            State        `json:"to"`
	Trigger       Trigger      `json:"trigger"`
	Opinion       string       `json:"opinion,omitempty"`
	Attachments   []Attachment `json:"attachments,omitempty"`
	// Details is canonical JSON of the trigger-specific input (trial days, change,
	// test report, work order…), "" when none.
	Details  string `json:"details,omitempty"`
	Timing   Timing `json:"timing"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Completion is a vendor's report that a work order is done. Two completions are the
// same when Key, Note and Attachments are equal.
type Completion struct {
	// Key is the vendor's idempotency key for this completion.
	Key         string       `json:"key"`
	Note        string       `json:"note,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// WorkOrder is a task for a vendor with its own deadline (工单).
type WorkOrder struct {
	ID            string          `json:"id"`
	ApplicationID string          `json:"application_id"`
	Department    string          `json:"department"`
	Vendor        string          `json:"vendor"`
	Kind          WorkOrderKind   `json:"kind"`
	Trigger       Trigger         `json:"trigger"` // fired on the application when done
	Status        WorkOrderStatus `json:"status"`
	CreatedAt     time.Time       `json:"created_at"`
	Due           time.Time       `json:"due"`
	// Completion and CompletedAt are set when Status is WorkOrderDone.
	Completion  *Completion `json:"completion,omitempty"`
	CompletedAt time.Time   `json:"completed_at"`
	Timing      Timing      `json:"timing"`
}

// Message is one outbox row: a committed transition published to subscribers.
type Message struct {
	// ID is unique; the engine uses the IdempotencyKey as ID.
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	// Seq orders the messages of one application (the engine uses the audit Seq).
	Seq int64 `json:"seq"`
	// Position is assigned by the store at Commit: strictly increasing in commit order
	// within one process, used to order leases across applications.
	Position       int64     `json:"position"`
	Topic          string    `json:"topic"`
	IdempotencyKey string    `json:"idempotency_key"`
	Payload        []byte    `json:"payload"`
	CreatedAt      time.Time `json:"created_at"`
}

// Delivery is a leased message.
type Delivery struct {
	Message     Message   `json:"message"`
	Subscriber  string    `json:"subscriber"`
	LeaseID     string    `json:"lease_id"`
	LeasedUntil time.Time `json:"leased_until"`
	// Attempt is 1 on the first delivery to this subscriber and grows on redelivery.
	Attempt int `json:"attempt"`
}

// LeaseRequest asks Store.Lease for messages.
type LeaseRequest struct {
	Subscriber string
	// LeaseID identifies this lease (the caller generates it, unique per call).
	LeaseID string
	// Now is the current instant; Until (> Now) is when the lease expires.
	Now   time.Time
	Until time.Time
	// Max is the most messages returned (<= 0 means 1).
	Max int
}

// AckRequest acknowledges a delivered message.
type AckRequest struct {
	Subscriber string
	MessageID  string
	LeaseID    string
}

// ApplicationFilter selects applications; zero fields do not filter.
type ApplicationFilter struct {
	Department string
	Vendor     string
	// States, when not empty, keeps applications in one of these states.
	States []State
	// AfterID keeps IDs strictly greater than AfterID (keyset pagination).
	AfterID string
	// Limit caps the result (<= 0: no limit).
	Limit int
}

// OverdueQuery selects overdue applications; zero fields other than Now do not filter.
type OverdueQuery struct {
	Now        time.Time
	Party      Party
	Department string
	Vendor     string
	Limit      int
}

// WorkOrderFilter selects work orders; zero fields do not filter.
type WorkOrderFilter struct {
	ApplicationID string
	Vendor        string
	Department    string
	Status        WorkOrderStatus
	Limit         int
}
