package gormstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/workflow"
)

// WorkflowStore is workflow.Store on a DB. Get it from (*DB).Workflow.
//
// Commit runs one transaction on the writer; the Tx it passes to
// participants is that transaction's *gorm.DB, so stores of other areas
// that share the DB write in the same transaction:
//
//	func (s *QuotaStore) OnTransition(ctx context.Context, tx workflow.Tx, t workflow.Transition) error {
//		g, ok := tx.(*gorm.DB)
//		if !ok { return fmt.Errorf("quota: foreign transaction %T", tx) }
//		return g.Exec(`UPDATE ...`).Error
//	}
type WorkflowStore struct {
	db *DB
}

var _ workflow.Store = (*WorkflowStore)(nil)

// Workflow returns the workflow store on db.
func (db *DB) Workflow() *WorkflowStore { return &WorkflowStore{db: db} }

func conflictf(format string, args ...any) error {
	return fmt.Errorf("gormstore: "+format+": %w", append(args, workflow.ErrConflict)...)
}

func notFoundf(format string, args ...any) error {
	return fmt.Errorf("gormstore: "+format+": %w", append(args, workflow.ErrNotFound)...)
}

// Commit implements workflow.Store. On PostgreSQL the application row,
// audit record, outbox messages and work orders are written by one statement
// (data-modifying CTEs chained on the application row, so a lost race locks
// nothing else), which saves two or three round trips per transition. On
// SQLite, where a statement costs no round trip, they are separate
// statements, and commits arriving together share one SQLite transaction,
// each in its own savepoint (group commit): Commit returns once that
// transaction has committed.
func (s *WorkflowStore) Commit(ctx context.Context, c workflow.Commit, inTx func(ctx context.Context, tx workflow.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := encodeCommit(c)
	if err != nil {
		return err
	}
	body := func(tx *gorm.DB) error {
		var err error
		if s.db.driver == Postgres && e.distinctWorkOrders {
			err = commitOneStatement(tx, c, e)
		} else {
			err = commitStatements(tx, c, e)
		}
		if err != nil {
			return err
		}
		if inTx != nil {
			return inTx(ctx, tx)
		}
		return nil
	}
	if s.db.group != nil {
		return s.db.group.do(ctx, body)
	}
	return s.db.w.WithContext(ctx).Transaction(body)
}

// encoded holds the JSON documents of a Commit, encoded before the
// transaction starts so that the write lock is held as briefly as possible.
type encoded struct {
	app, audit    string
	newWO, doneWO []string
	// distinctWorkOrders: no work order ID appears twice in the commit.
	distinctWorkOrders bool
}

func encodeCommit(c workflow.Commit) (encoded, error) {
	var e encoded
	b, err := json.Marshal(c.Application)
	if err != nil {
		return e, fmt.Errorf("gormstore: encode application %s: %w", c.Application.ID, err)
	}
	e.app = string(b)
	if b, err = json.Marshal(c.Audit); err != nil {
		return e, fmt.Errorf("gormstore: encode audit %s/%d: %w", c.Audit.ApplicationID, c.Audit.Seq, err)
	}
	e.audit = string(b)
	seen := map[string]bool{}
	e.distinctWorkOrders = true
	enc := func(wos []workflow.WorkOrder) ([]string, error) {
		out := make([]string, len(wos))
		for i, wo := range wos {
			b, err := json.Marshal(wo)
			if err != nil {
				return nil, fmt.Errorf("gormstore: encode work order %s: %w", wo.ID, err)
			}
			out[i] = string(b)
			if seen[wo.ID] {
				e.distinctWorkOrders = false
			}
			seen[wo.ID] = true
		}
		return out, nil
	}
	if e.newWO, err = enc(c.NewWorkOrders); err != nil {
		return e, err
	}
	if e.doneWO, err = enc(c.DoneWorkOrders); err != nil {
		return e, err
	}
	return e, nil
}

// commitStatements writes c with one statement per row set, checking each.
func commitStatements(tx *gorm.DB, c workflow.Commit, e encoded) error {
	a := c.Application
	if c.ExpectedVersion == 0 {
		res := execFast(tx, `INSERT INTO wf_applications
			(id, department, vendor, state, version, party, due_at, created_at, updated_at, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			a.ID, a.Department, a.Vendor, string(a.State), a.Version, string(a.Party),
			nullNanos(a.Due), nanos(a.CreatedAt), nanos(a.UpdatedAt), e.app)
		if res.Error != nil {
			return fmt.Errorf("gormstore: insert application %s: %w", a.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return diagnoseApplication(tx, c)
		}
	} else {
		// Only the columns a transition changes are SET: SQLite rewrites
		// the entries of every index that has a SET column, changed or not.
		// The columns the engine never changes come back via RETURNING and
		// are written only when they did change.
		rows, err := queryFast(tx, `UPDATE wf_applications SET
			state = ?, version = ?, party = ?, due_at = ?, updated_at = ?, doc = ?
			WHERE id = ? AND version = ? RETURNING department, vendor, created_at`,
			string(a.State), a.Version, string(a.Party), nullNanos(a.Due), nanos(a.UpdatedAt), e.app,
			a.ID, c.ExpectedVersion)
		if err != nil {
			return fmt.Errorf("gormstore: update application %s: %w", a.ID, err)
		}
		var (
			found            bool
			department, vend string
			created          int64
		)
		for rows.Next() {
			found = true
			err = rows.Scan(&department, &vend, &created)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return fmt.Errorf("gormstore: update application %s: %w", a.ID, err)
		}
		if !found {
			return diagnoseApplication(tx, c)
		}
		if department != a.Department || vend != a.Vendor || created != nanos(a.CreatedAt) {
			res := execFast(tx, `UPDATE wf_applications SET department = ?, vendor = ?, created_at = ? WHERE id = ?`,
				a.Department, a.Vendor, nanos(a.CreatedAt), a.ID)
			if res.Error != nil {
				return fmt.Errorf("gormstore: update application %s: %w", a.ID, res.Error)
			}
		}
	}

	au := c.Audit
	res := execFast(tx, `INSERT INTO wf_audit (application_id, seq, at, fired, actor_role, actor_id, hash, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (application_id, seq) DO NOTHING`,
		au.ApplicationID, au.Seq, nanos(au.At), string(au.Trigger), string(au.Actor.Role), au.Actor.ID,
		au.Hash, e.audit)
	if res.Error != nil {
		return fmt.Errorf("gormstore: insert audit %s/%d: %w", au.ApplicationID, au.Seq, res.Error)
	}
	if res.RowsAffected == 0 {
		return conflictf("audit record %s/%d already exists", au.ApplicationID, au.Seq)
	}

	if n := len(c.Outbox); n > 0 {
		var sb strings.Builder
		args := make([]any, 0, 7*n)
		sb.WriteString(`INSERT INTO wf_outbox (id, application_id, seq, topic, idempotency_key, payload, created_at) VALUES `)
		for i, m := range c.Outbox {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, m.ID, m.ApplicationID, m.Seq, m.Topic, m.IdempotencyKey, payloadArg(m.Payload), nanos(m.CreatedAt))
		}
		sb.WriteString(" ON CONFLICT DO NOTHING")
		res := execFast(tx, sb.String(), args...)
		if res.Error != nil {
			return fmt.Errorf("gormstore: insert outbox: %w", res.Error)
		}
		if res.RowsAffected != int64(n) {
			return conflictf("outbox message (same ID or application and seq) already exists among %s", outboxIDs(c.Outbox))
		}
	}

	if n := len(c.NewWorkOrders); n > 0 {
		var sb strings.Builder
		args := make([]any, 0, 9*n)
		sb.WriteString(`INSERT INTO wf_work_orders (id, application_id, department, vendor, kind, status, created_at, due_at, doc) VALUES `)
		for i, wo := range c.NewWorkOrders {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, wo.ID, wo.ApplicationID, wo.Department, wo.Vendor, string(wo.Kind), string(wo.Status),
				nanos(wo.CreatedAt), nullNanos(wo.Due), e.newWO[i])
		}
		sb.WriteString(" ON CONFLICT (id) DO NOTHING")
		res := execFast(tx, sb.String(), args...)
		if res.Error != nil {
			return fmt.Errorf("gormstore: insert work orders: %w", res.Error)
		}
		if res.RowsAffected != int64(n) {
			return conflictf("work order already exists among %s", workOrderIDs(c.NewWorkOrders))
		}
	}

	for i, wo := range c.DoneWorkOrders {
		res := execFast(tx, `UPDATE wf_work_orders SET
			application_id = ?, department = ?, vendor = ?, kind = ?, status = ?, created_at = ?, due_at = ?, doc = ?
			WHERE id = ? AND status = ?`,
			wo.ApplicationID, wo.Department, wo.Vendor, string(wo.Kind), string(wo.Status),
			nanos(wo.CreatedAt), nullNanos(wo.Due), e.doneWO[i],
			wo.ID, string(workflow.WorkOrderOpen))
		if res.Error != nil {
			return fmt.Errorf("gormstore: update work order %s: %w", wo.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return diagnoseDoneWorkOrder(tx, wo.ID)
		}
	}

	return nil
}

// queryFast is execFast for statements that return rows (queryRows with
// tx's context).
func queryFast(tx *gorm.DB, q string, args ...any) (*sql.Rows, error) {
	return queryRows(tx.Statement.Context, tx, q, args...)
}

// execResult is the part of a *gorm.DB result execFast reports.
type execResult struct {
	Error        error
	RowsAffected int64
}

// execFast runs q on tx's connection directly when the dialect's
// placeholder is '?' (SQLite), skipping GORM's statement building and
// callbacks (and its SQL logger), which cost about a tenth of the single
// writer's time; on other dialects it is tx.Exec. (execContext with tx's
// context.)
func execFast(tx *gorm.DB, q string, args ...any) execResult {
	return execContext(tx.Statement.Context, tx, q, args...)
}

// diagnoseApplication explains why the application write matched no row.
func diagnoseApplication(tx *gorm.DB, c workflow.Commit) error {
	a := c.Application
	if c.ExpectedVersion == 0 {
		return conflictf("application %s already exists", a.ID)
	}
	var have []int64
	if err := tx.Raw(`SELECT version FROM wf_applications WHERE id = ?`, a.ID).Scan(&have).Error; err != nil {
		return fmt.Errorf("gormstore: read application %s: %w", a.ID, err)
	}
	if len(have) == 0 {
		return notFoundf("application %s", a.ID)
	}
	return conflictf("application %s has version %d, expected %d", a.ID, have[0], c.ExpectedVersion)
}

// diagnoseDoneWorkOrder explains why completing a work order matched no row.
func diagnoseDoneWorkOrder(tx *gorm.DB, id string) error {
	var status []string
	if err := tx.Raw(`SELECT status FROM wf_work_orders WHERE id = ?`, id).Scan(&status).Error; err != nil {
		return fmt.Errorf("gormstore: read work order %s: %w", id, err)
	}
	if len(status) == 0 {
		return notFoundf("work order %s", id)
	}
	return conflictf("work order %s is %s, not open", id, status[0])
}

// commitOneStatement writes c on PostgreSQL with a single statement: every
// insert and work-order update reads FROM the CTE that wrote the application
// row, so it runs only after that row is written and locked, and not at all
// when the version check fails. The statement returns the number of rows
// each part wrote; any shortfall is reported like commitStatements does and
// rolls the transaction back.
func commitOneStatement(tx *gorm.DB, c workflow.Commit, e encoded) error {
	a := c.Application
	var sb strings.Builder
	var args []any
	if c.ExpectedVersion == 0 {
		sb.WriteString(`WITH app AS (INSERT INTO wf_applications
			(id, department, vendor, state, version, party, due_at, created_at, updated_at, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?::bigint, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING 1 AS one)`)
		args = append(args, a.ID, a.Department, a.Vendor, string(a.State), a.Version, string(a.Party),
			nullNanos(a.Due), nanos(a.CreatedAt), nanos(a.UpdatedAt), e.app)
	} else {
		sb.WriteString(`WITH app AS (UPDATE wf_applications SET
			department = ?, vendor = ?, state = ?, version = ?, party = ?, due_at = ?::bigint,
			created_at = ?, updated_at = ?, doc = ?
			WHERE id = ? AND version = ? RETURNING 1 AS one)`)
		args = append(args, a.Department, a.Vendor, string(a.State), a.Version, string(a.Party),
			nullNanos(a.Due), nanos(a.CreatedAt), nanos(a.UpdatedAt), e.app, a.ID, c.ExpectedVersion)
	}
	au := c.Audit
	sb.WriteString(`, au AS (INSERT INTO wf_audit (application_id, seq, at, fired, actor_role, actor_id, hash, doc)
		SELECT ?::text, ?::bigint, ?::bigint, ?::text, ?::text, ?::text, ?::text, ?::text FROM app
		ON CONFLICT (application_id, seq) DO NOTHING RETURNING 1 AS one)`)
	args = append(args, au.ApplicationID, au.Seq, nanos(au.At), string(au.Trigger), string(au.Actor.Role), au.Actor.ID,
		au.Hash, e.audit)
	parts := []string{"app", "au"}
	if len(c.Outbox) > 0 {
		sb.WriteString(`, ob AS (INSERT INTO wf_outbox (id, application_id, seq, topic, idempotency_key, payload, created_at)
			SELECT v.* FROM (VALUES `)
		for i, m := range c.Outbox {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?::text, ?::text, ?::bigint, ?::text, ?::text, ?::bytea, ?::bigint)")
			args = append(args, m.ID, m.ApplicationID, m.Seq, m.Topic, m.IdempotencyKey, payloadArg(m.Payload), nanos(m.CreatedAt))
		}
		sb.WriteString(`) AS v (id, application_id, seq, topic, idempotency_key, payload, created_at) CROSS JOIN app
			ON CONFLICT DO NOTHING RETURNING 1 AS one)`)
		parts = append(parts, "ob")
	}
	if len(c.NewWorkOrders) > 0 {
		sb.WriteString(`, nw AS (INSERT INTO wf_work_orders (id, application_id, department, vendor, kind, status, created_at, due_at, doc)
			SELECT v.* FROM (VALUES `)
		for i, wo := range c.NewWorkOrders {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::text)")
			args = append(args, wo.ID, wo.ApplicationID, wo.Department, wo.Vendor, string(wo.Kind), string(wo.Status),
				nanos(wo.CreatedAt), nullNanos(wo.Due), e.newWO[i])
		}
		sb.WriteString(`) AS v (id, application_id, department, vendor, kind, status, created_at, due_at, doc) CROSS JOIN app
			ON CONFLICT (id) DO NOTHING RETURNING 1 AS one)`)
		parts = append(parts, "nw")
	}
	for i, wo := range c.DoneWorkOrders {
		name := fmt.Sprintf("dw%d", i)
		fmt.Fprintf(&sb, `, %s AS (UPDATE wf_work_orders w SET
			application_id = ?, department = ?, vendor = ?, kind = ?, status = ?, created_at = ?, due_at = ?::bigint, doc = ?
			FROM app WHERE w.id = ? AND w.status = ? RETURNING 1 AS one)`, name)
		args = append(args, wo.ApplicationID, wo.Department, wo.Vendor, string(wo.Kind), string(wo.Status),
			nanos(wo.CreatedAt), nullNanos(wo.Due), e.doneWO[i], wo.ID, string(workflow.WorkOrderOpen))
		parts = append(parts, name)
	}
	for i, p := range parts {
		if i > 0 {
			sb.WriteString(" UNION ALL")
		}
		fmt.Fprintf(&sb, " SELECT %d AS k, count(*) AS n FROM %s", i, p)
	}
	res, err := tx.Raw(sb.String(), args...).Rows()
	if err != nil {
		return fmt.Errorf("gormstore: commit application %s: %w", a.ID, err)
	}
	n := make([]int64, len(parts))
	for res.Next() {
		var k int
		var v int64
		if err := res.Scan(&k, &v); err != nil {
			res.Close()
			return fmt.Errorf("gormstore: commit application %s: %w", a.ID, err)
		}
		n[k] = v
	}
	res.Close()
	if err := res.Err(); err != nil {
		return fmt.Errorf("gormstore: commit application %s: %w", a.ID, err)
	}
	if n[0] == 0 {
		return diagnoseApplication(tx, c)
	}
	if n[1] == 0 {
		return conflictf("audit record %s/%d already exists", au.ApplicationID, au.Seq)
	}
	k := 2
	if len(c.Outbox) > 0 {
		if n[k] != int64(len(c.Outbox)) {
			return conflictf("outbox message (same ID or application and seq) already exists among %s", outboxIDs(c.Outbox))
		}
		k++
	}
	if len(c.NewWorkOrders) > 0 {
		if n[k] != int64(len(c.NewWorkOrders)) {
			return conflictf("work order already exists among %s", workOrderIDs(c.NewWorkOrders))
		}
		k++
	}
	for _, wo := range c.DoneWorkOrders {
		if n[k] == 0 {
			return diagnoseDoneWorkOrder(tx, wo.ID)
		}
		k++
	}
	return nil
}

// payloadArg keeps an empty payload distinct from NULL on both engines.
func payloadArg(p []byte) any {
	if p == nil {
		return nil
	}
	return p
}

func outboxIDs(ms []workflow.Message) string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = fmt.Sprintf("%s (%s/%d)", m.ID, m.ApplicationID, m.Seq)
	}
	return strings.Join(ids, ", ")
}

func workOrderIDs(ws []workflow.WorkOrder) string {
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	return strings.Join(ids, ", ")
}

// column runs q and returns its single column. (gorm's Scan formats every
// statement with its arguments for its logger, whether it logs or not; on
// the hot paths that costs more than the query.)
func column[T any](q *gorm.DB) ([]T, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func decodeDoc[T any](kind, id string, doc []byte) (T, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("gormstore: decode %s %s: %w", kind, id, err)
	}
	utcAll(&v)
	return v, nil
}

func decodeDocs[T any](kind string, docs []string) ([]T, error) {
	out := make([]T, 0, len(docs))
	for _, d := range docs {
		v, err := decodeDoc[T](kind, "", []byte(d))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetApplication implements workflow.Store.
func (s *WorkflowStore) GetApplication(ctx context.Context, id string) (workflow.Application, error) {
	// The document is decoded straight from the row (no string copy); the
	// id is the primary key, so there is at most one row.
	var a workflow.Application
	found := false
	err := readDocs(ctx, s.db.r, "application "+id, "get application "+id, `SELECT doc FROM wf_applications WHERE id = ?`, []any{id},
		func(_ int64, v workflow.Application) { a, found = v, true })
	if err != nil {
		return workflow.Application{}, err
	}
	if !found {
		return workflow.Application{}, notFoundf("application %s", id)
	}
	return a, nil
}

// ListApplications implements workflow.Store.
func (s *WorkflowStore) ListApplications(ctx context.Context, f workflow.ApplicationFilter) ([]workflow.Application, error) {
	q := s.db.reader(ctx).Table("wf_applications").Select("doc")
	if f.Department != "" {
		q = q.Where("department = ?", f.Department)
	}
	if f.Vendor != "" {
		q = q.Where("vendor = ?", f.Vendor)
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		q = q.Where("state IN ?", states)
	}
	if f.AfterID != "" {
		q = q.Where("id > ?", f.AfterID)
	}
	q = q.Order("id")
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	docs, err := column[string](q)
	if err != nil {
		return nil, fmt.Errorf("gormstore: list applications: %w", err)
	}
	return decodeDocs[workflow.Application]("application", docs)
}

// Overdue implements workflow.Store. It reads the partial indexes on
// (due_at, id) and (party, due_at, id).
func (s *WorkflowStore) Overdue(ctx context.Context, oq workflow.OverdueQuery) ([]workflow.Application, error) {
	if oq.Now.IsZero() {
		return nil, nil // nothing is due at or before the zero instant
	}
	q := s.db.reader(ctx).Table("wf_applications").Select("doc").
		Where("due_at IS NOT NULL AND due_at <= ?", nanos(oq.Now))
	if oq.Party != workflow.PartyNone {
		q = q.Where("party = ?", string(oq.Party))
	}
	if oq.Department != "" {
		q = q.Where("department = ?", oq.Department)
	}
	if oq.Vendor != "" {
		q = q.Where("vendor = ?", oq.Vendor)
	}
	q = q.Order("due_at, id")
	if oq.Limit > 0 {
		q = q.Limit(oq.Limit)
	}
	docs, err := column[string](q)
	if err != nil {
		return nil, fmt.Errorf("gormstore: overdue applications: %w", err)
	}
	return decodeDocs[workflow.Application]("application", docs)
}

// History implements workflow.Store.
func (s *WorkflowStore) History(ctx context.Context, applicationID string) ([]workflow.AuditRecord, error) {
	var docs []string
	err := s.db.reader(ctx).Transaction(func(tx *gorm.DB) error {
		var n []int
		if err := tx.Raw(`SELECT 1 FROM wf_applications WHERE id = ?`, applicationID).Scan(&n).Error; err != nil {
			return err
		}
		if len(n) == 0 {
			return notFoundf("application %s", applicationID)
		}
		var err error
		docs, err = column[string](tx.Raw(`SELECT doc FROM wf_audit WHERE application_id = ? ORDER BY seq`, applicationID))
		return err
	})
	if err != nil {
		if errors.Is(err, workflow.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("gormstore: history of %s: %w", applicationID, err)
	}
	return decodeDocs[workflow.AuditRecord]("audit record", docs)
}

// GetWorkOrder implements workflow.Store.
func (s *WorkflowStore) GetWorkOrder(ctx context.Context, id string) (workflow.WorkOrder, error) {
	docs, err := column[string](s.db.reader(ctx).Raw(`SELECT doc FROM wf_work_orders WHERE id = ?`, id))
	if err != nil {
		return workflow.WorkOrder{}, fmt.Errorf("gormstore: get work order %s: %w", id, err)
	}
	if len(docs) == 0 {
		return workflow.WorkOrder{}, notFoundf("work order %s", id)
	}
	return decodeDoc[workflow.WorkOrder]("work order", id, []byte(docs[0]))
}

// ListWorkOrders implements workflow.Store.
func (s *WorkflowStore) ListWorkOrders(ctx context.Context, f workflow.WorkOrderFilter) ([]workflow.WorkOrder, error) {
	q := s.db.reader(ctx).Table("wf_work_orders").Select("doc")
	if f.ApplicationID != "" {
		q = q.Where("application_id = ?", f.ApplicationID)
	}
	if f.Vendor != "" {
		q = q.Where("vendor = ?", f.Vendor)
	}
	if f.Department != "" {
		q = q.Where("department = ?", f.Department)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	q = q.Order("created_at, id")
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	docs, err := column[string](q)
	if err != nil {
		return nil, fmt.Errorf("gormstore: list work orders: %w", err)
	}
	return decodeDocs[workflow.WorkOrder]("work order", docs)
}

// Lease implements workflow.Store.
//
// Each subscriber has a delivery row per outbox message (wf_deliveries),
// created lazily: Lease first copies the messages past the subscriber's
// cursor (wf_subscribers) into its delivery rows, then leases the eligible
// heads. On PostgreSQL the cursor advances only past transactions older
// than the snapshot's xmin, so a message whose transaction commits late is
// still picked up; the heads are locked with FOR UPDATE SKIP LOCKED, so
// concurrent Lease calls, in any process, hand each message to one caller.
// On SQLite the single writer serialises Lease calls.
func (s *WorkflowStore) Lease(ctx context.Context, r workflow.LeaseRequest) ([]workflow.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Subscriber == "" {
		return nil, &workflow.FieldError{Kind: workflow.ErrInvalidInput, Field: "subscriber", Reason: "must not be empty"}
	}
	if r.LeaseID == "" {
		return nil, &workflow.FieldError{Kind: workflow.ErrInvalidInput, Field: "lease_id", Reason: "must not be empty"}
	}
	max := r.Max
	if max <= 0 {
		max = 1
	}
	if err := s.materialize(ctx, r.Subscriber); err != nil {
		return nil, err
	}
	var out []workflow.Delivery
	err := s.db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		out = nil
		lock := ""
		if s.db.driver == Postgres {
			lock = " FOR UPDATE OF d SKIP LOCKED"
		}
		var ids []string
		err := tx.Raw(`SELECT d.message_id FROM wf_deliveries d
			WHERE d.subscriber = ? AND NOT d.acked
			  AND (d.leased_until IS NULL OR d.leased_until <= ?)
			  AND NOT EXISTS (SELECT 1 FROM wf_deliveries e
			      WHERE e.subscriber = d.subscriber AND e.application_id = d.application_id
			        AND NOT e.acked AND e.seq < d.seq)
			ORDER BY d.position LIMIT ?`+lock,
			r.Subscriber, nanos(r.Now), max).Scan(&ids).Error
		if err != nil {
			return fmt.Errorf("gormstore: lease for %s: %w", r.Subscriber, err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE wf_deliveries SET lease_id = ?, leased_until = ?, attempt = attempt + 1
			WHERE subscriber = ? AND message_id IN ?`,
			r.LeaseID, nanos(r.Until), r.Subscriber, ids).Error; err != nil {
			return fmt.Errorf("gormstore: lease for %s: %w", r.Subscriber, err)
		}
		var rows []leasedRow
		if err := tx.Raw(`SELECT o.position, o.id, o.application_id, o.seq, o.topic, o.idempotency_key,
				o.payload, o.created_at, d.attempt
			FROM wf_deliveries d JOIN wf_outbox o ON o.id = d.message_id
			WHERE d.subscriber = ? AND d.message_id IN ?
			ORDER BY o.position`, r.Subscriber, ids).Scan(&rows).Error; err != nil {
			return fmt.Errorf("gormstore: lease for %s: %w", r.Subscriber, err)
		}
		out = make([]workflow.Delivery, len(rows))
		until := r.Until.UTC()
		for i, row := range rows {
			out[i] = workflow.Delivery{
				Message: workflow.Message{
					ID:             row.ID,
					ApplicationID:  row.ApplicationID,
					Seq:            row.Seq,
					Position:       row.Position,
					Topic:          row.Topic,
					IdempotencyKey: row.IdempotencyKey,
					Payload:        row.Payload,
					CreatedAt:      fromNanos(nanoPtr(row.CreatedAt)),
				},
				Subscriber:  r.Subscriber,
				LeaseID:     r.LeaseID,
				LeasedUntil: until,
				Attempt:     row.Attempt,
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type leasedRow struct {
	Position       int64
	ID             string
	ApplicationID  string
	Seq            int64
	Topic          string
	IdempotencyKey string
	Payload        []byte
	CreatedAt      int64
	Attempt        int
}

// nanoPtr maps the stored created_at back: math.MinInt64 is the zero time.
func nanoPtr(n int64) *int64 {
	if n == math.MinInt64 {
		return nil
	}
	return &n
}

// materialize copies the outbox messages past subscriber's cursor into its
// delivery rows and advances the cursor as far as it is safe.
func (s *WorkflowStore) materialize(ctx context.Context, subscriber string) error {
	return s.db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockOutbox(tx, false); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO wf_subscribers (subscriber) VALUES (?) ON CONFLICT (subscriber) DO NOTHING`,
			subscriber).Error; err != nil {
			return fmt.Errorf("gormstore: subscriber %s: %w", subscriber, err)
		}
		lock := ""
		if s.db.driver == Postgres {
			// One materializer per subscriber at a time; the others skip
			// this step and lease what is already there.
			lock = " FOR UPDATE SKIP LOCKED"
		}
		var cur []struct {
			CursorTxid int64
			CursorPos  int64
		}
		if err := tx.Raw(`SELECT cursor_txid, cursor_pos FROM wf_subscribers WHERE subscriber = ?`+lock,
			subscriber).Scan(&cur).Error; err != nil {
			return fmt.Errorf("gormstore: subscriber %s: %w", subscriber, err)
		}
		if len(cur) == 0 {
			return nil // another Lease is materializing for this subscriber
		}
		horizon := int64(math.MaxInt64)
		if s.db.driver == Postgres {
			// Every transaction with an id below xmin has ended: its rows
			// are visible now or never will be.
			if err := tx.Raw(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&horizon).Error; err != nil {
				return fmt.Errorf("gormstore: snapshot horizon: %w", err)
			}
		}
		c := cur[0]
		// After the cursor: (txid, position) > cursor on PostgreSQL (index
		// wf_outbox_txid). On SQLite txid is always 0 (one writer, commits
		// in position order) and has no index: the row-value comparison
		// would scan the whole outbox on every Lease, so the same condition
		// is written as a range on position, the rowid.
		after, args := `(txid, position) > (?, ?)`, []any{c.CursorTxid, c.CursorPos}
		order, desc := `txid, position`, `txid DESC, position DESC`
		if s.db.driver == SQLite && c.CursorTxid == 0 {
			after, args = `txid = 0 AND position > ?`, []any{c.CursorPos}
			order, desc = `position`, `position DESC`
		}
		if err := tx.Exec(`INSERT INTO wf_deliveries (subscriber, message_id, application_id, seq, position)
			SELECT ?, id, application_id, seq, position FROM wf_outbox
			WHERE `+after+` ORDER BY `+order+`
			ON CONFLICT DO NOTHING`, append([]any{subscriber}, args...)...).Error; err != nil {
			return fmt.Errorf("gormstore: deliveries for %s: %w", subscriber, err)
		}
		var last []struct {
			Txid     int64
			Position int64
		}
		if err := tx.Raw(`SELECT txid, position FROM wf_outbox
			WHERE `+after+` AND txid < ?
			ORDER BY `+desc+` LIMIT 1`, append(args, horizon)...).Scan(&last).Error; err != nil {
			return fmt.Errorf("gormstore: cursor of %s: %w", subscriber, err)
		}
		if len(last) == 0 {
			return nil
		}
		return tx.Exec(`UPDATE wf_subscribers SET cursor_txid = ?, cursor_pos = ? WHERE subscriber = ?`,
			last[0].Txid, last[0].Position, subscriber).Error
	})
}

// Ack implements workflow.Store.
func (s *WorkflowStore) Ack(ctx context.Context, r workflow.AckRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		reqErr, err := ackOne(tx, r)
		if err != nil {
			return err
		}
		return reqErr
	})
}

var _ workflow.OutboxBatchAcker = (*WorkflowStore)(nil)

// AckBatch implements workflow.OutboxBatchAcker: one transaction for the
// whole batch. The requests run in (subscriber, message) order, so that two
// batches that overlap (a lease taken over) lock their delivery rows in the
// same order and cannot deadlock on PostgreSQL.
func (s *WorkflowStore) AckBatch(ctx context.Context, rs []workflow.AckRequest) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]error, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(rs[a].Subscriber, rs[b].Subscriber), strings.Compare(rs[a].MessageID, rs[b].MessageID))
	})
	err := s.db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		clear(out) // a retried transaction starts over
		for _, i := range order {
			reqErr, err := ackOne(tx, rs[i])
			if err != nil {
				return err
			}
			out[i] = reqErr
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ackOne acknowledges r in tx. reqErr is what was wrong with the request
// (ErrLeaseLost, ErrNotFound); err is a failure of the database.
func ackOne(tx *gorm.DB, r workflow.AckRequest) (reqErr, err error) {
	res := execFast(tx, `UPDATE wf_deliveries SET acked = TRUE
		WHERE subscriber = ? AND message_id = ? AND lease_id = ? AND NOT acked`,
		r.Subscriber, r.MessageID, r.LeaseID)
	if res.Error != nil {
		return nil, fmt.Errorf("gormstore: ack %s for %s: %w", r.MessageID, r.Subscriber, res.Error)
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var rows []struct {
		Acked   bool
		LeaseID *string
	}
	if err := tx.Raw(`SELECT acked, lease_id FROM wf_deliveries WHERE subscriber = ? AND message_id = ?`,
		r.Subscriber, r.MessageID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: ack %s for %s: %w", r.MessageID, r.Subscriber, err)
	}
	if len(rows) == 1 {
		if rows[0].Acked {
			return nil, nil
		}
		if rows[0].LeaseID == nil {
			return fmt.Errorf("gormstore: message %s was never leased to %s: %w", r.MessageID, r.Subscriber, workflow.ErrLeaseLost), nil
		}
		return fmt.Errorf("gormstore: message %s is leased to %s under another lease: %w", r.MessageID, r.Subscriber, workflow.ErrLeaseLost), nil
	}
	var n []int
	if err := tx.Raw(`SELECT 1 FROM wf_outbox WHERE id = ?`, r.MessageID).Scan(&n).Error; err != nil {
		return nil, fmt.Errorf("gormstore: ack %s: %w", r.MessageID, err)
	}
	if len(n) == 0 {
		return notFoundf("outbox message %s", r.MessageID), nil
	}
	return fmt.Errorf("gormstore: message %s was never leased to %s: %w", r.MessageID, r.Subscriber, workflow.ErrLeaseLost), nil
}
