package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/openstack"
)

// OpenStackOpStore is the durable openstack.OpStore of the OpenStack vendor
// adapter (table openstack_ops, migration 600): an adapter restarted on the
// same database, or several adapter instances sharing one PostgreSQL
// database, keep every operation and its idempotency key.
//
// Put is the compare-and-set the openstack.OpStore contract asks for: a
// first write (Revision 0) is INSERT … ON CONFLICT DO NOTHING, a later one
// UPDATE … WHERE revision = ?; no row written means another writer got
// there first, and Put returns an error matching openstack.ErrStaleOp. On
// PostgreSQL the second of two racing writers waits for the first's row
// lock and then finds the revision changed; on SQLite writes are serialised.
type OpenStackOpStore struct{ db *DB }

// OpenStackOps returns the OpenStack adapter's operation store of db; pass
// it as openstack.Options.Ops.
func (db *DB) OpenStackOps() *OpenStackOpStore { return &OpenStackOpStore{db: db} }

var _ openstack.OpStore = (*OpenStackOpStore)(nil)

// opDoc is the JSON document of an operation: the Op and what its JSON
// leaves out (a ProviderError's RetryAfter).
type opDoc struct {
	Op         openstack.Op  `json:"op"`
	RetryAfter time.Duration `json:"err_retry_after,omitempty"`
}

func opsErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("gormstore: openstack ops: %s: %w", what, err)
}

// Get implements openstack.OpStore.
func (s *OpenStackOpStore) Get(ctx context.Context, key string) (openstack.Op, bool, error) {
	if err := ctx.Err(); err != nil {
		return openstack.Op{}, false, err
	}
	var docs []string
	if err := s.db.reader(ctx).Raw(`SELECT doc FROM openstack_ops WHERE op_key = ?`, key).Scan(&docs).Error; err != nil {
		return openstack.Op{}, false, opsErr(ctx, "get", err)
	}
	if len(docs) == 0 {
		return openstack.Op{}, false, nil
	}
	var d opDoc
	if err := json.Unmarshal([]byte(docs[0]), &d); err != nil {
		return openstack.Op{}, false, fmt.Errorf("gormstore: openstack ops: decode %q: %w", key, err)
	}
	if d.Op.Err != nil {
		d.Op.Err.RetryAfter = d.RetryAfter
	}
	utcAll(&d.Op)
	return d.Op, true, nil
}

// Put implements openstack.OpStore: it stores op as revision op.Revision+1
// if the stored revision is op.Revision (0: the key is absent), and returns
// an error matching openstack.ErrStaleOp otherwise, having written nothing.
func (s *OpenStackOpStore) Put(ctx context.Context, op openstack.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if op.Key == "" {
		return fmt.Errorf("gormstore: openstack ops: put: empty key")
	}
	prev := op.Revision
	op.Revision++
	d := opDoc{Op: op}
	if op.Err != nil {
		d.RetryAfter = op.Err.RetryAfter
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("gormstore: openstack ops: encode %q: %w", op.Key, err)
	}
	w := s.db.w.WithContext(ctx)
	var affected int64
	if prev == 0 {
		res := w.Exec(`INSERT INTO openstack_ops (op_key, application, running, accepted_at, revision, doc)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (op_key) DO NOTHING`,
			op.Key, op.Order.Application, op.Running(), nanos(op.Accepted), op.Revision, string(doc))
		if res.Error != nil {
			return opsErr(ctx, "insert", res.Error)
		}
		affected = res.RowsAffected
	} else {
		res := w.Exec(`UPDATE openstack_ops SET application = ?, running = ?, accepted_at = ?, revision = ?, doc = ?
			WHERE op_key = ? AND revision = ?`,
			op.Order.Application, op.Running(), nanos(op.Accepted), op.Revision, string(doc), op.Key, prev)
		if res.Error != nil {
			return opsErr(ctx, "update", res.Error)
		}
		affected = res.RowsAffected
	}
	if affected == 0 {
		return fmt.Errorf("%w: key %q is no longer at revision %d", openstack.ErrStaleOp, op.Key, prev)
	}
	return nil
}

// Running implements openstack.OpStore: the application's unfinished
// operation accepted first (then the smallest key), "" if none; it reads
// the partial index openstack_ops_running.
func (s *OpenStackOpStore) Running(ctx context.Context, application string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Ties on accepted_at go to the smallest key byte by byte, as Go orders
	// strings: PostgreSQL compares in the "C" collation, not the database's.
	key := `op_key`
	if s.db.driver == Postgres {
		key = `op_key COLLATE "C"`
	}
	var keys []string
	if err := s.db.reader(ctx).Raw(`SELECT op_key FROM openstack_ops WHERE application = ? AND running
		ORDER BY accepted_at, `+key+` LIMIT 1`, application).Scan(&keys).Error; err != nil {
		return "", opsErr(ctx, "running", err)
	}
	if len(keys) == 0 {
		return "", nil
	}
	return keys[0], nil
}
