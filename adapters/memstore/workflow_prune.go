package memstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/opengovcloud/govcloud/workflow"
)

var _ workflow.OutboxPruner = (*WorkflowStore)(nil)

// PruneOutbox implements workflow.OutboxPruner. Every subscriber acknowledges an
// application's messages in Seq order, so what all of them have acknowledged is a
// prefix of each application's messages; the deleted messages are the oldest
// positions among those prefixes, which are again prefixes. Their payload bytes are
// released as the chunks holding them become unreferenced.
func (s *WorkflowStore) PruneOutbox(ctx context.Context, r workflow.PruneRequest) (workflow.PruneResult, error) {
	if err := ctx.Err(); err != nil {
		return workflow.PruneResult{}, err
	}
	if err := r.Validate(); err != nil {
		return workflow.PruneResult{}, err
	}
	limit, before := r.Limit(), r.Before.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range r.Subscribers {
		s.sub(name)
	}
	type cand struct {
		pos int64
		e   *appEntry
	}
	var cands []cand
	for app, e := range s.apps {
		if len(e.msgs) == 0 {
			continue
		}
		done := e.pruned + len(e.msgs) // acknowledged by every subscriber
		for _, sb := range s.subs {
			done = min(done, max(sb.acked[app], e.pruned))
		}
		for _, m := range e.msgs[:done-e.pruned] {
			if m.m.CreatedAt.UnixMicro() >= before {
				break
			}
			cands = append(cands, cand{m.m.Position, e})
		}
	}
	more := len(cands) > limit
	if more {
		slices.SortFunc(cands, func(x, y cand) int { return cmp.Compare(x.pos, y.pos) })
		cands = cands[:limit]
	}
	cut := map[*appEntry]int{}
	for _, c := range cands {
		cut[c.e]++
	}
	for e, n := range cut {
		for _, m := range e.msgs[:n] {
			if s.otherID[m.m.ID] == m {
				delete(s.otherID, m.m.ID)
			}
			for _, sb := range s.subs {
				delete(sb.leases, m.m.ID)
			}
		}
		e.msgs = append([]*storedMsg(nil), e.msgs[n:]...)
		e.pruned += n
	}
	return workflow.PruneResult{Pruned: len(cands), More: more}, nil
}
