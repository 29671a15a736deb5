package memstore

import "slices"

// The workflow store's history (audit records, outbox messages and their payloads,
// attachments, completed work orders) is append-only: nothing is ever replaced or
// deleted. It is therefore kept in chunks allocated a few dozen rows at a time
// instead of one heap object per row, which cuts allocations per commit and the
// number of objects the garbage collector walks. Chunk memory is never handed out:
// every read returns a fresh copy, and slices cut from a chunk are capped, so an
// append can never write into a neighbour.

// wfRows hands out pointers to zeroed rows of type T, wfRowChunk at a time.
type wfRows[T any] struct{ free []T }

const wfRowChunk = 64

func (a *wfRows[T]) new() *T {
	if len(a.free) == 0 {
		a.free = make([]T, wfRowChunk)
	}
	p := &a.free[0]
	a.free = a.free[1:]
	return p
}

// wfSlices copies short slices into shared chunks of chunk elements; slices longer
// than chunk/8 get their own allocation.
type wfSlices[T any] struct {
	free  []T
	chunk int
}

func (a *wfSlices[T]) clone(s []T) []T {
	n := len(s)
	switch {
	case n == 0:
		return nil
	case n > a.chunk/8:
		return slices.Clone(s)
	case len(a.free) < n:
		a.free = make([]T, a.chunk)
	}
	out := a.free[:n:n]
	copy(out, s)
	a.free = a.free[n:]
	return out
}
