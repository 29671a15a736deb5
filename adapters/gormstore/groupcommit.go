package gormstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// ErrClosed reports a call on a closed DB.
var ErrClosed = errors.New("gormstore: database closed")

// maxGroup bounds how many commits share one SQLite transaction.
const maxGroup = 64

// groupCommitter runs the transitions committed concurrently on an SQLite
// database in one SQLite transaction ("group commit"): each in its own
// savepoint, so one failing commit rolls back only itself, and all of them
// made durable by a single COMMIT. SQLite has one writer, so commits queue
// anyway; grouping them writes each shared page (index, table leaf, WAL
// frame) once per group instead of once per commit, which is where a
// transition's time goes (see notes). A caller's Commit returns only after
// the group's COMMIT, so durability is unchanged.
type groupCommitter struct {
	w    *gorm.DB
	reqs chan *groupReq
	stop chan struct{}
	done sync.WaitGroup
	// groups and commits count transactions run and requests served.
	groups, commits atomic.Int64
}

type groupReq struct {
	ctx context.Context
	fn  func(tx *gorm.DB) error
	err chan error
}

func newGroupCommitter(w *gorm.DB) *groupCommitter {
	g := &groupCommitter{w: w, reqs: make(chan *groupReq), stop: make(chan struct{})}
	g.done.Add(1)
	go g.loop()
	return g
}

// do runs fn in a savepoint of the next group transaction and returns fn's
// error, or the group's COMMIT error, once the group has committed.
func (g *groupCommitter) do(ctx context.Context, fn func(tx *gorm.DB) error) error {
	r := &groupReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return ErrClosed
	}
	return <-r.err
}

func (g *groupCommitter) close() {
	close(g.stop)
	g.done.Wait()
}

func (g *groupCommitter) loop() {
	defer g.done.Done()
	for {
		var first *groupReq
		select {
		case <-g.stop:
			return
		case first = <-g.reqs:
		}
		batch := []*groupReq{first}
	collect:
		for len(batch) < maxGroup {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		// Counted before run answers the requests, so that a caller whose
		// request has returned sees its group counted.
		g.groups.Add(1)
		g.commits.Add(int64(len(batch)))
		g.run(batch)
	}
}

// run commits batch in one transaction and answers every request.
func (g *groupCommitter) run(batch []*groupReq) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.err <- err
		}
	}
	// The transaction is not bound to any caller's context: one caller
	// giving up must not roll back the others.
	tx := g.w.WithContext(context.Background()).Begin()
	if tx.Error != nil {
		fail(fmt.Errorf("gormstore: begin: %w", tx.Error))
		return
	}
	pending := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		sp := fmt.Sprintf("gc%d", i)
		if err := tx.SavePoint(sp).Error; err != nil {
			tx.Rollback()
			fail(fmt.Errorf("gormstore: savepoint: %w", err))
			return
		}
		if err := r.fn(tx.WithContext(r.ctx)); err != nil {
			errs[i] = err
			if rerr := tx.RollbackTo(sp).Error; rerr != nil {
				// SQLite may have rolled the whole transaction back (disk
				// full, I/O error): nothing of the group is written.
				tx.Rollback()
				for j, r := range batch {
					if errs[j] == nil || j == i {
						r.err <- fmt.Errorf("gormstore: group transaction lost after %v: %w", err, rerr)
					} else {
						r.err <- errs[j]
					}
				}
				return
			}
		} else {
			pending++
		}
		if err := tx.Exec("RELEASE " + sp).Error; err != nil {
			tx.Rollback()
			fail(fmt.Errorf("gormstore: release savepoint: %w", err))
			return
		}
	}
	var cerr error
	if pending > 0 {
		cerr = tx.Commit().Error
	} else {
		cerr = tx.Rollback().Error
	}
	for i, r := range batch {
		switch {
		case errs[i] != nil:
			r.err <- errs[i]
		case cerr != nil:
			r.err <- fmt.Errorf("gormstore: commit: %w", cerr)
		default:
			r.err <- nil
		}
	}
}
