package workflow

import (
	"context"
	"strings"

	"github.com/qmuntal/stateless"
)

// firing is the per-call state the shared state machine reads and writes through
// external storage: the machine is configured once per Engine (per policy) and every
// Fire runs against the application's stored state carried in the context.
type firing struct {
	// state is the application's state, boxed once (see boxState) so that the
	// machine's state accessor does not allocate on every read.
	state stateless.State
	// What guards and dynamic destinations read of the application (copied, so that
	// nothing of the caller's escapes through the context).
	activated bool
	major     bool
	trialEnd  int64 // unix micro; 0 without a trial
	now       int64 // unix micro
}

type firingKey struct{}

// firingCtx carries a firing to the machine's callbacks. It is part of an Engine
// call's pooled scratch space, so firing a trigger allocates no context; the
// machine fires in FiringImmediate mode and keeps no reference to it after FireCtx.
type firingCtx struct {
	context.Context
	f firing
}

func (c *firingCtx) Value(key any) any {
	if _, ok := key.(firingKey); ok {
		return &c.f
	}
	return c.Context.Value(key)
}

func firingOf(ctx context.Context) *firing {
	f, _ := ctx.Value(firingKey{}).(*firing)
	return f
}

// boxState returns s as a stateless.State without allocating for the declared
// states (a constant converts to an interface statically).
func boxState(s State) stateless.State {
	switch s {
	case StateNone:
		return StateNone
	case StateSubmitted:
		return StateSubmitted
	case StateRejected:
		return StateRejected
	case StateAccepted:
		return StateAccepted
	case StateDenied:
		return StateDenied
	case StateWithdrawn:
		return StateWithdrawn
	case StateProvisioning:
		return StateProvisioning
	case StateTrial:
		return StateTrial
	case StateFinalReview:
		return StateFinalReview
	case StateActive:
		return StateActive
	case StateChangeReview:
		return StateChangeReview
	case StateChangeExecuting:
		return StateChangeExecuting
	case StateChangeTesting:
		return StateChangeTesting
	case StateTerminationReview:
		return StateTerminationReview
	case StateReclaiming:
		return StateReclaiming
	case StateTerminated:
		return StateTerminated
	}
	// Not a declared state (the machine will refuse it): a copy, so that the
	// caller's string does not escape.
	return State(strings.Clone(string(s)))
}

// boxTrigger returns t as a stateless.Trigger without allocating for the declared
// triggers.
func boxTrigger(t Trigger) stateless.Trigger {
	switch t {
	case TriggerSubmit:
		return TriggerSubmit
	case TriggerAccept:
		return TriggerAccept
	case TriggerReject:
		return TriggerReject
	case TriggerResubmit:
		return TriggerResubmit
	case TriggerWithdraw:
		return TriggerWithdraw
	case TriggerApprove:
		return TriggerApprove
	case TriggerDeny:
		return TriggerDeny
	case TriggerProvideTrial:
		return TriggerProvideTrial
	case TriggerRecordTestReport:
		return TriggerRecordTestReport
	case TriggerExtendTrial:
		return TriggerExtendTrial
	case TriggerSubmitTests:
		return TriggerSubmitTests
	case TriggerFailTrial:
		return TriggerFailTrial
	case TriggerExpireTrial:
		return TriggerExpireTrial
	case TriggerActivate:
		return TriggerActivate
	case TriggerRejectFinal:
		return TriggerRejectFinal
	case TriggerRequestChange:
		return TriggerRequestChange
	case TriggerApproveChange:
		return TriggerApproveChange
	case TriggerDenyChange:
		return TriggerDenyChange
	case TriggerCompleteChange:
		return TriggerCompleteChange
	case TriggerRequestTermination:
		return TriggerRequestTermination
	case TriggerApproveTermination:
		return TriggerApproveTermination
	case TriggerDenyTermination:
		return TriggerDenyTermination
	case TriggerCompleteReclaim:
		return TriggerCompleteReclaim
	}
	return Trigger(strings.Clone(string(t)))
}

// lifecycle lists the lifecycle graph: the machine is built from it.
// Dynamic destinations are resolved by selectors below.
type edge struct {
	from    State
	trigger Trigger
	to      []State // several: chosen dynamically; same as from: internal
}

var lifecycle = []edge{
	{StateNone, TriggerSubmit, []State{StateSubmitted}},
	{StateSubmitted, TriggerAccept, []State{StateAccepted}},
	{StateSubmitted, TriggerReject, []State{StateRejected}},
	{StateSubmitted, TriggerWithdraw, []State{StateWithdrawn}},
	{StateRejected, TriggerResubmit, []State{StateSubmitted}},
	{StateRejected, TriggerWithdraw, []State{StateWithdrawn}},
	{StateAccepted, TriggerApprove, []State{StateProvisioning}},
	{StateAccepted, TriggerDeny, []State{StateDenied}},
	{StateAccepted, TriggerWithdraw, []State{StateWithdrawn}},
	{StateProvisioning, TriggerProvideTrial, []State{StateTrial}},
	{StateTrial, TriggerRecordTestReport, []State{StateTrial}},
	{StateTrial, TriggerExtendTrial, []State{StateTrial}},
	{StateTrial, TriggerSubmitTests, []State{StateFinalReview}},
	{StateTrial, TriggerFailTrial, []State{StateReclaiming}},
	{StateTrial, TriggerExpireTrial, []State{StateReclaiming}},
	{StateFinalReview, TriggerActivate, []State{StateActive}},
	{StateFinalReview, TriggerRejectFinal, []State{StateTrial, StateChangeTesting}},
	{StateActive, TriggerRequestChange, []State{StateChangeReview}},
	{StateActive, TriggerRequestTermination, []State{StateTerminationReview}},
	{StateChangeReview, TriggerApproveChange, []State{StateChangeExecuting}},
	{StateChangeReview, TriggerDenyChange, []State{StateActive}},
	{StateChangeExecuting, TriggerCompleteChange, []State{StateActive, StateChangeTesting}},
	{StateChangeTesting, TriggerRecordTestReport, []State{StateChangeTesting}},
	{StateChangeTesting, TriggerSubmitTests, []State{StateFinalReview}},
	{StateTerminationReview, TriggerApproveTermination, []State{StateReclaiming}},
	{StateTerminationReview, TriggerDenyTermination, []State{StateActive}},
	{StateReclaiming, TriggerCompleteReclaim, []State{StateTerminated}},
}

const guardTrialOver = "the trial has not ended yet"

// newMachine builds the shared state machine with external state storage.
func newMachine() *stateless.StateMachine {
	sm := stateless.NewStateMachineWithExternalStorage(
		func(ctx context.Context) (stateless.State, error) {
			return firingOf(ctx).state, nil
		},
		func(ctx context.Context, s stateless.State) error {
			firingOf(ctx).state = s
			return nil
		},
		stateless.FiringImmediate,
	)
	sm.OnUnhandledTrigger(func(ctx context.Context, state stateless.State, trigger stateless.Trigger, unmet []string) error {
		reason := ""
		if len(unmet) > 0 {
			reason = guardTrialOver
		}
		return &TriggerError{Trigger: trigger.(Trigger), State: state.(State), Reason: reason}
	})
	noop := func(context.Context, ...any) error { return nil }
	trialOver := stateless.GuardFunc(func(ctx context.Context, _ ...any) bool {
		f := firingOf(ctx)
		return f.trialEnd != 0 && f.now >= f.trialEnd
	})
	for _, e := range lifecycle {
		c := sm.Configure(e.from)
		switch {
		case len(e.to) == 1 && e.to[0] == e.from:
			c.InternalTransition(e.trigger, noop)
		case e.trigger == TriggerRejectFinal:
			c.PermitDynamic(e.trigger, func(ctx context.Context, _ ...any) (stateless.State, error) {
				if !firingOf(ctx).activated {
					return StateTrial, nil
				}
				return StateChangeTesting, nil
			})
		case e.trigger == TriggerCompleteChange:
			c.PermitDynamic(e.trigger, func(ctx context.Context, _ ...any) (stateless.State, error) {
				if firingOf(ctx).major {
					return StateChangeTesting, nil
				}
				return StateActive, nil
			})
		case e.trigger == TriggerExpireTrial:
			c.Permit(e.trigger, e.to[0], stateless.GuardFunc(trialOver))
		default:
			c.Permit(e.trigger, e.to[0])
		}
	}
	return sm
}

// destination asks the machine where trigger leads from app's state. It returns a
// *TriggerError when the trigger is not allowed. fc is the call's scratch context.
func (e *Engine) destination(ctx context.Context, fc *firingCtx, app *Application, trigger Trigger, nowMicro int64) (State, error) {
	fc.Context = ctx
	fc.f = firing{state: boxState(app.State), activated: !app.ActivatedAt.IsZero(), major: app.Change != nil && app.Change.Major, now: nowMicro}
	if app.Trial != nil {
		fc.f.trialEnd = app.Trial.End.UnixMicro()
	}
	err := e.sm.FireCtx(fc, boxTrigger(trigger))
	to, _ := fc.f.state.(State)
	fc.Context, fc.f.state = nil, nil
	if err != nil {
		return "", err
	}
	return to, nil
}
