package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/workflow"
)

var _ workflow.OutboxPruner = (*WorkflowStore)(nil)

// outboxLockClass is the first key of the PostgreSQL advisory lock that keeps
// PruneOutbox apart from the materialization of deliveries in Lease (the second
// key is the schema, as for migrations): Lease takes it shared, so leases never
// wait for each other, and PruneOutbox takes it exclusive for its short
// transaction. Without it, a subscriber's first Lease could copy a message into
// its deliveries while a prune deletes that message, leaving a delivery that
// nothing can lease or acknowledge.
const outboxLockClass = 0x6776636f // "gvco"

// lockOutbox takes the outbox advisory lock in tx on PostgreSQL (SQLite has one
// writer and needs none).
func (s *WorkflowStore) lockOutbox(tx *gorm.DB, exclusive bool) error {
	if s.db.driver != Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if err := tx.Exec(`SELECT `+fn+`(?, hashtext(current_schema()))`, outboxLockClass).Error; err != nil {
		return fmt.Errorf("gormstore: outbox lock: %w", err)
	}
	return nil
}

// PruneOutbox implements workflow.OutboxPruner. A message is acknowledged by a
// subscriber when its delivery row for that subscriber is acked; a message past a
// subscriber's materialization cursor has no such row, so it is kept. Messages go
// oldest position first through the outbox's primary key; their delivery rows go
// with them.
func (s *WorkflowStore) PruneOutbox(ctx context.Context, r workflow.PruneRequest) (workflow.PruneResult, error) {
	if err := ctx.Err(); err != nil {
		return workflow.PruneResult{}, err
	}
	if err := r.Validate(); err != nil {
		return workflow.PruneResult{}, err
	}
	limit := r.Limit()
	var res workflow.PruneResult
	err := s.db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = workflow.PruneResult{}
		if err := s.lockOutbox(tx, true); err != nil {
			return err
		}
		for _, name := range r.Subscribers {
			if err := tx.Exec(`INSERT INTO wf_subscribers (subscriber) VALUES (?) ON CONFLICT (subscriber) DO NOTHING`,
				name).Error; err != nil {
				return fmt.Errorf("gormstore: subscriber %s: %w", name, err)
			}
		}
		var rows []struct {
			Position int64
			ID       string
		}
		// The scan reads the messages created before the horizon in index
		// wf_outbox_created, never the ones kept for the retention; only the
		// old ones some subscriber still holds are read again on each call.
		// PostgreSQL's planner takes the index by itself; SQLite's would walk
		// the whole table in position order, so it is told to.
		from := `wf_outbox o`
		if s.db.driver == SQLite {
			from = `wf_outbox o INDEXED BY wf_outbox_created`
		}
		if err := tx.Raw(`SELECT o.position, o.id FROM `+from+`
			WHERE o.created_at < ?
			  AND NOT EXISTS (SELECT 1 FROM wf_subscribers s
			      WHERE NOT EXISTS (SELECT 1 FROM wf_deliveries d
			          WHERE d.subscriber = s.subscriber AND d.message_id = o.id AND d.acked))
			ORDER BY o.position LIMIT ?`, nanos(r.Before), limit+1).Scan(&rows).Error; err != nil {
			return fmt.Errorf("gormstore: prune outbox: %w", err)
		}
		if len(rows) > limit {
			rows, res.More = rows[:limit], true
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		// Every delivery row belongs to a registered subscriber: naming them lets
		// the primary key (subscriber, message_id) find the rows.
		if err := tx.Exec(`DELETE FROM wf_deliveries
			WHERE subscriber IN (SELECT subscriber FROM wf_subscribers) AND message_id IN ?`, ids).Error; err != nil {
			return fmt.Errorf("gormstore: prune deliveries: %w", err)
		}
		del := tx.Exec(`DELETE FROM wf_outbox WHERE id IN ?`, ids)
		if del.Error != nil {
			return fmt.Errorf("gormstore: prune outbox: %w", del.Error)
		}
		res.Pruned = int(del.RowsAffected)
		return nil
	})
	if err != nil {
		return workflow.PruneResult{}, err
	}
	return res, nil
}
