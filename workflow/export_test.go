package workflow

import (
	"context"

	"github.com/qmuntal/stateless"
)

type bareKey struct{}

// NewBareMachine returns a stateless machine with the lifecycle graph and external
// state storage read from the context (WithBareState), for the baseline benchmark.
func NewBareMachine() *stateless.StateMachine {
	sm := stateless.NewStateMachineWithExternalStorage(
		func(ctx context.Context) (stateless.State, error) { return *ctx.Value(bareKey{}).(*State), nil },
		func(ctx context.Context, s stateless.State) error {
			*ctx.Value(bareKey{}).(*State) = s.(State)
			return nil
		},
		stateless.FiringImmediate)
	noop := func(context.Context, ...any) error { return nil }
	for _, e := range lifecycle {
		if e.to[0] == e.from {
			sm.Configure(e.from).InternalTransition(e.trigger, noop)
		} else {
			sm.Configure(e.from).Permit(e.trigger, e.to[0])
		}
	}
	return sm
}

// WithBareState carries the state a bare machine reads and writes.
func WithBareState(ctx context.Context, s *State) context.Context {
	return context.WithValue(ctx, bareKey{}, s)
}
