package workflow

import (
	"context"

	"github.com/qmuntal/stateless"
)

// NewBareMachine returns a stateless machine configured exactly as the engine's (same
// graph, same guard on expire_trial, same dynamic destinations, same handler of
// unhandled triggers, FiringImmediate, external state storage), for the baseline
// benchmark: the machine alone, without the engine around it. Fire it with a context
// from WithBareState.
func NewBareMachine() *stateless.StateMachine { return newMachine() }

// WithBareState returns a context carrying the external state a bare machine reads
// and writes, a new application in StateNone (the state is stored as a
// stateless.State, as a program keeping its state for stateless would, so that
// reading it does not box a string on every Fire). Its trial has not ended.
func WithBareState(ctx context.Context) context.Context {
	return context.WithValue(ctx, firingKey{}, &firing{state: stateless.State(StateNone)})
}

// BareState returns the state held by a context from WithBareState.
func BareState(ctx context.Context) State {
	s, _ := firingOf(ctx).state.(State)
	return s
}

// EncodeTransition exposes encodeTransition to the benchmarks.
func EncodeTransition(b []byte, t *Transition) []byte { return encodeTransition(b, t) }
