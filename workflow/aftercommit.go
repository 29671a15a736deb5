package workflow

import (
	"context"
	"sync"
)

// AfterCommit registers fn to run once the transition that ctx belongs to has
// committed. ctx must be the context a [Participant]'s OnTransition was given (or one
// derived from it); this is how a participant defers what must not happen for a
// transition that may still roll back: a notice, a message to another system, a
// cache entry that only a committed transition makes true.
//
// The engine calls the registered functions after [Store.Commit] has returned nil,
// in the order they were registered, in the goroutine that called Submit, Fire or
// CompleteWorkOrder, before that call returns. It never calls them when the
// transition does not commit: a later participant's error, ErrConflict, a store or
// database failure; and when a store runs its transaction (and so the participants)
// more than once, only the functions registered by the run that committed are
// called. The functions run at most once: a transition that committed although the
// engine could not learn it (the connection failed during COMMIT, the process
// stopped right after it) does not run them, so use AfterCommit for notices and
// caches, and the outbox (a [Subscriber]) for what must happen at least once.
// fn should be quick and must not block for long: the engine's caller waits
// for it. A panic in fn reaches that caller (the transition is committed; the
// functions after fn do not run).
//
// AfterCommit reports whether fn was registered. With any other ctx — one that does
// not come from an engine's participant call, or one kept after that transition has
// finished — it registers nothing, does not call fn, and returns false: there is no
// transition to wait for, and running fn at once could announce work that the
// caller's own transaction may still roll back. The caller decides what to do then
// (run fn itself, or report an error).
func AfterCommit(ctx context.Context, fn func()) bool {
	if fn == nil || ctx == nil {
		return false
	}
	h, _ := ctx.Value(afterCommitKey{}).(*txHooks)
	return h != nil && h.add(fn)
}

// afterCommitKey is the context key under which a participant's context carries
// its transaction's *txHooks.
type afterCommitKey struct{}

// txHooks is the context the engine gives to the participants of one run of a
// transition's store transaction, and what they registered with AfterCommit during
// it. It is the context itself (Value answers afterCommitKey), which saves the
// allocation of a separate context.WithValue.
type txHooks struct {
	context.Context
	mu     sync.Mutex
	fns    []func()
	closed bool
}

// Value returns h for afterCommitKey and asks the parent context otherwise.
func (h *txHooks) Value(key any) any {
	if _, ok := key.(afterCommitKey); ok {
		return h
	}
	return h.Context.Value(key)
}

func (h *txHooks) add(fn func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.fns = append(h.fns, fn)
	return true
}

// close stops registrations and returns what was registered.
func (h *txHooks) close() []func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	fns := h.fns
	h.fns = nil
	return fns
}

// participation is one transition's call of the participants: the Commit callback
// (inTx) and the hooks of its latest run.
type participation struct {
	parts []Participant
	tr    Transition
	cur   *txHooks // the latest run of inTx; nil when it failed or never ran
	first txHooks  // the hooks of the first run (a retry allocates its own)
	ran   bool     // inTx has run
}

// inTx runs every participant on p.tr in the store's transaction tx.
func (p *participation) inTx(ctx context.Context, tx Tx) error {
	if p.cur != nil {
		// The store runs its transaction again (a retry): what the earlier run
		// registered belongs to a transaction that did not commit.
		p.cur.close()
	}
	h := &p.first
	if p.ran {
		h = &txHooks{}
	}
	p.ran = true
	h.Context = ctx
	p.cur = h
	for _, part := range p.parts {
		if err := part.OnTransition(h, tx, p.tr); err != nil {
			h.close()
			p.cur = nil
			return err
		}
	}
	return nil
}

// finish ends the participation once Store.Commit has returned err: it closes the
// latest run's registrations and, when the transition committed, calls them in
// order.
func (p *participation) finish(err error) {
	h := p.cur
	if h == nil {
		return
	}
	p.cur = nil
	fns := h.close()
	if err != nil {
		return
	}
	for _, fn := range fns {
		fn()
	}
}
