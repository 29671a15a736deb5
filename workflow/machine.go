package workflow

import (
	"context"

	"github.com/qmuntal/stateless"
)

// firing is the per-call state the shared state machine reads and writes through
// external storage: the machine is configured once per Engine (per policy) and every
// Fire runs against the application's stored state carried in the context.
type firing struct {
	state State
	// What guards and dynamic destinations read of the application (copied, so that
	// nothing of the caller's escapes through the context).
	activated bool
	major     bool
	trialEnd  int64 // unix micro; 0 without a trial
	now       int64 // unix micro
}

type firingKey struct{}

func firingOf(ctx context.Context) *firing {
	f, _ := ctx.Value(firingKey{}).(*firing)
	return f
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
			firingOf(ctx).state = s.(State)
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
// *TriggerError when the trigger is not allowed.
func (e *Engine) destination(ctx context.Context, app *Application, trigger Trigger, nowMicro int64) (State, error) {
	f := &firing{state: app.State, activated: !app.ActivatedAt.IsZero(), major: app.Change != nil && app.Change.Major, now: nowMicro}
	if app.Trial != nil {
		f.trialEnd = app.Trial.End.UnixMicro()
	}
	if err := e.sm.FireCtx(context.WithValue(ctx, firingKey{}, f), trigger); err != nil {
		return "", err
	}
	return f.state, nil
}
